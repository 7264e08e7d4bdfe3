"""Eval scorers: small deterministic functions, no LLM judge."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

from .text import GERMAN_MONTHS, NUMBER_WORDS, THOUSANDS

_MONTH_WORD = re.compile(r"\b(" + "|".join(GERMAN_MONTHS) + r")\b")
_NUMBER_WORD = re.compile(r"\b(" + "|".join(NUMBER_WORDS) + r")\b")


def normalize(text: str) -> str:
    """Lower case, one kind of quote and space, German month names and small number words as English/digits."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"').replace("„", '"')
    text = THOUSANDS.sub("", text)  # 1.000 / 1,000 -> 1000
    text = _MONTH_WORD.sub(lambda m: GERMAN_MONTHS[m.group()], text)
    text = _NUMBER_WORD.sub(lambda m: NUMBER_WORDS[m.group()], text)
    return re.sub(r"\s+", " ", text)


def contains(text: str, form: str) -> bool:
    """`form` occurs in `text` as whole words: "3" is not found in "2023", nor "42" in "42nd"."""
    return re.search(rf"(?<!\w){re.escape(normalize(form))}(?!\w)", normalize(text)) is not None


def fact_recall(answer: str, facts: Sequence[Sequence[str]]) -> float:
    """Share of facts stated: a fact counts when any of its acceptable forms occurs (1.0 when none expected)."""
    if not facts:
        return 1.0
    return sum(any(contains(answer, form) for form in forms) for forms in facts) / len(facts)


def states_none(answer: str, forbidden: Sequence[str]) -> bool:
    """None of the forbidden forms (a false premise repeated as fact) occurs in the answer."""
    return not any(contains(answer, form) for form in forbidden)


def citation_correct(cited_doc_ids: Sequence[str], required: Sequence[str]) -> bool:
    """The cited articles include every required one."""
    return set(required) <= set(cited_doc_ids)


def citation_precision(cited_doc_ids: Sequence[str], required: Sequence[str]) -> float:
    """Share of citations that point at a required article (1.0 when nothing is required or cited)."""
    if not required or not cited_doc_ids:
        return 1.0 if not required else 0.0
    return sum(d in required for d in cited_doc_ids) / len(cited_doc_ids)


def verifiable(citations: Sequence, article_text: Callable[[str], str]) -> bool:
    """Every quote is the article's text at its offsets."""
    return all(article_text(c.doc_id)[c.start : c.end] == c.quote for c in citations)


def abstention_correct(abstained: bool, should_abstain: bool) -> bool:
    return abstained == should_abstain


def hit_at(rank: int | None, k: int) -> float:
    return 1.0 if rank is not None and rank <= k else 0.0


def reciprocal_rank(rank: int | None) -> float:
    return 1.0 / rank if rank else 0.0


# ---------------------------------------------------------------- evidence spans (article offsets)
def covers(span, items: Sequence) -> bool:
    """The span lies inside what the items (passages, evidence snippets, citations) hold of its article."""
    reach = span.start
    for item in sorted((i for i in items if i.doc_id == span.doc_id), key=lambda i: i.start):
        if item.start > reach:
            break
        reach = max(reach, item.end)
        if reach >= span.end:
            return True
    return False


def evidence_found(groups: Sequence[Sequence], items: Sequence) -> bool:
    """Every group of evidence has a span inside the items (any span of a group suffices)."""
    return all(any(covers(span, items) for span in group) for group in groups)


def cites_right_articles(cited_doc_ids: Sequence[str], case) -> bool:
    """Every evidence group is cited through one of its articles (any of a group's alternatives will do);
    a case without evidence needs its `cite` list."""
    if not case.evidence:
        return citation_correct(cited_doc_ids, case.cite)
    return all({span.doc_id for span in group} & set(cited_doc_ids) for group in case.evidence)


def cites_evidence(citations: Sequence, groups: Sequence[Sequence]) -> bool:
    """Some citation overlaps some evidence span: the answer was taken from the right place."""
    spans = [span for group in groups for span in group]
    return any(c.doc_id == s.doc_id and c.start < s.end and s.start < c.end for c in citations for s in spans)


def word_overlap(question: str, groups: Sequence[Sequence], tokens: Callable[[str], list[str]]) -> float:
    """Share of the question's content words that stand in its evidence: a high share makes retrieval easy."""
    asked = set(tokens(question))
    if not asked or not groups:
        return 0.0
    evidence = set(tokens(" ".join(span.text for group in groups for span in group)))
    return len(asked & evidence) / len(asked)


def answer_correct(case, abstained: bool, text: str) -> bool:
    """The verdict on one answer: declined a trap; corrected (or declined) a false premise; else every fact
    stated and nothing forbidden."""
    if case.should_abstain:
        return abstained
    if case.kind == "false_premise" and abstained:
        return True
    return not abstained and fact_recall(text, case.facts) == 1.0 and states_none(text, case.forbidden)
