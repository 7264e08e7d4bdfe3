"""Post-generation checks: markers point at shown evidence, each answer sentence is supported by what it cites,
and every quote is verbatim in its article. What fails is dropped; an answer with nothing left abstains.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from .evidence import INJECTION_NOTE, Evidence, addresses_the_model
from .prompts import REFUSAL
from .text import MARKER, content_tokens, has_amount, has_time, numbers, sentence_spans

_SENTENCE_END = re.compile(r"[.!?](?:\s*\[\d+\])*(?=\s|$)")
_NUMBER = re.compile(r"\d+")
# "am 28. Februar", "der 3. Platz": a German ordinal's full stop, not a sentence end.
_ORDINAL_STOP = re.compile(r"(?<!\w)\d{1,2}\.$")
# What the question asks for, when its form says so: an amount ("how many", "wie viele") or a time ("when",
# "seit wann", "in which year"). An answer without one does not answer it, however well its words are sourced.
_ASKS_AMOUNT = re.compile(
    r"\b(how (many|much|old|long|far|high|large|big|often)|what (percentage|share|proportion|number|amount)"
    r"|wie (viele?|alt|lange?|hoch|groß|weit|oft)|wieviele?|welche[nrms]? (anteil|zahl|anzahl|summe|betrag))\b",
    re.IGNORECASE,
)
_ASKS_TIME = re.compile(
    r"\b(when|wann|what time|(in|since|until|by) (which|what) (year|month)|on (which|what) (day|date)"
    r"|in welchem (jahr|monat)|an welchem (tag|datum)|um wie viel uhr|welche[nrms]? (uhrzeit|datum|jahr|tag))\b",
    re.IGNORECASE,
)
_ABOUT_SOURCES = re.compile(r"\b(articles?|evidence|artikel\w*|quellen?)\b")
# "do not say / does not mention" and "sagen nichts / erwähnen ... nicht": the sources not saying something,
# as opposed to a sourced fact that is negative ("the article states she had not seen her mother").
_NOT_SAID = re.compile(
    r"(\bnot|\bno|n['’]t)\s+(\w+\s+)?(say|mention|state|contain|cover|provide|specify|give|include|answer)\w*"
    r"|\b(sag|erwähn|nenn|enthalt|enthält|geben|gibt|beantwort)\w*\b.{0,60}\b(nicht|nichts|kein\w*)\b"
)

# The prompt's fence around a quoted instruction, copied into an answer with the instruction it fences.
_COPIED_FENCE = re.compile(r"\[?" + re.escape(INJECTION_NOTE.lstrip("[")) + r'\s*"[^"]*"\]?', re.IGNORECASE)

Similarity = Callable[[str, Sequence[str]], float]  # answer sentence vs cited sentences -> best cosine


@dataclass(frozen=True)
class Checked:
    text: str  # the answer with markers renumbered [1]..[m] in order of first use
    used: list[int]  # evidence indices (0-based) behind [1]..[m]
    dropped: list[str] = field(default_factory=list)  # sentences removed as unsupported
    refused: bool = False  # the model said the evidence does not answer the question
    quotes: list[Evidence] = field(default_factory=list)  # behind [1]..[m]: the cited sentences of each snippet


def split_sentences(text: str) -> list[str]:
    """Answer sentences, each keeping the markers that follow its full stop."""
    out, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if match.group() == "." and _ORDINAL_STOP.search(text[start : match.end()]) and text[match.end() :].strip():
            continue
        out.append(text[start : match.end()].strip())
        start = match.end()
    if text[start:].strip():
        out.append(text[start:].strip())
    return [s for s in out if s]


def lexical_support(claim: str, sources: Sequence[str]) -> float:
    """Share of the claim's content words found in the sources (1.0 for a claim with none)."""
    tokens = content_tokens(claim)
    if not tokens:
        return 1.0
    known = set(content_tokens(" ".join(sources)))
    return sum(t in known for t in tokens) / len(tokens)


def numbers_supported(claim: str, sources: Sequence[str], question: str = "") -> bool:
    """Every number in the claim appears in the sources: a year or age that is not there was made up. The
    sources' number words count ("fünf Elfmeter" supports "5 penalties"). A number the question gives may
    be repeated as context ("the 1951 loan"), but only beside a sourced number the question did not give: an
    answer whose only figures come from the question adds nothing the evidence says."""
    known, asked, claimed = numbers(" ".join(sources), words=True), numbers(question), numbers(claim)
    unsupported = claimed - known
    return not unsupported or (unsupported <= asked and bool((claimed & known) - asked))


def is_refusal(sentence: str) -> bool:
    """The refusal phrase, or a sentence about what the articles do not say ("The articles do not mention X")."""
    core = MARKER.sub("", sentence).strip().lower()
    return REFUSAL.lower().rstrip(".") in core or bool(_ABOUT_SOURCES.search(core) and _NOT_SAID.search(core))


def repeats_example(claim: str, examples: Sequence[str], share: float = 0.6) -> bool:
    """Most of the claim's content words come from one worked example's answer: the model copied the example
    instead of answering (their articles are made up, so no real answer shares that much with one)."""
    tokens = content_tokens(claim)
    if not tokens:
        return False
    for example in examples:
        known = set(content_tokens(example))
        if sum(t in known for t in tokens) >= share * len(tokens):
            return True
    return False


def answers_the_form(question: str, claims: Sequence[str]) -> bool:
    """The claims carry what the question's form asks for: an amount for "how many", a time for "when"."""
    text = " ".join(claims)
    if _ASKS_AMOUNT.search(question) and not has_amount(text):
        return False
    return not (_ASKS_TIME.search(question) and not has_time(text))


def evidence_adds(claim: str, sources: Sequence[str], question: str) -> bool:
    """Some word or number of the claim that the question did not already hold stands in the sources. Numbers
    count in either language and as words ("drei Monate" adds the "three months" of an English source), so a
    translated answer is not taken for a restated question."""
    asked = set(content_tokens(question))
    source_text = " ".join(sources)
    known = set(content_tokens(source_text))
    if any(t in known for t in content_tokens(claim) if t not in asked):
        return True
    return bool((numbers(claim, words=True) - numbers(question, words=True)) & numbers(source_text, words=True))


def verify_answer(
    raw: str,
    question: str,
    evidence: Sequence[Evidence],
    similarity: Similarity,
    lexical_threshold: float,
    similarity_threshold: float,
    examples: Sequence[str] = (),
) -> Checked:
    """Keep the supported sentences of `raw`, with valid, renumbered markers.

    A sentence is supported when every number in it stands in the evidence it cites, the evidence adds something
    the question did not say, and either enough of its words stand in that evidence or the question (restating
    the question is no new claim: "Anna Berg is 51" rests on the "Anna Berg (51)" sentence), or it is close
    in meaning to that evidence (answers in the other language than the article's). Sentences about what the
    articles do not say make no claim; they are kept only beside a supported one (a corrected false premise).
    A sentence that copies a worked example's answer is dropped whatever it cites; a copied fence around a
    quoted instruction is cut out with the instruction it fences.
    """
    kept: list[tuple[str, list[int]]] = []
    dropped: list[str] = []
    refused = False
    texts = [e.sentence for e in evidence]
    for sentence in split_sentences(raw):
        if is_refusal(sentence):
            refused = True
            if REFUSAL.lower().rstrip(".") not in sentence.lower():
                kept.append((MARKER.sub("", sentence).strip(), []))
            continue
        claim = _COPIED_FENCE.sub("", MARKER.sub("", sentence)).strip()
        if not content_tokens(claim):  # bare punctuation or markers: no claim to check
            continue
        if repeats_example(claim, examples):
            dropped.append(claim)
            continue
        cited = sorted({int(n) - 1 for n in MARKER.findall(sentence)} & set(range(len(evidence))))

        def supports(indices: list[int]) -> bool:
            sources = [texts[i] for i in indices]
            if all(addresses_the_model(t) for t in sources) and not set(content_tokens(claim)) & set(
                content_tokens(question)
            ):
                return (
                    False  # a claim taken only from injected instructions, unrelated to the question: obeyed, not cited
                )
            return (
                bool(indices)
                and numbers_supported(claim, sources, question)
                and evidence_adds(claim, sources, question)
                and (
                    lexical_support(claim, [*sources, question]) >= lexical_threshold
                    or similarity(claim, sources) >= similarity_threshold
                )
            )

        # Repair: a missing or insufficient marker gains the one other evidence item that completes the support
        # (small models often cite the sentence naming the person and not the one holding the number).
        others = sorted(set(range(len(evidence))) - set(cited), key=lambda i: -lexical_support(claim, [texts[i]]))
        options = ([cited] if cited else []) + [sorted([*cited, i]) for i in others]
        cited = next((option for option in options if supports(option)), [])
        if cited:
            kept.append((claim, cited))
        else:
            dropped.append(claim)
    if not any(cited for _, cited in kept):
        return Checked("", [], dropped, refused)
    if not answers_the_form(question, [claim for claim, cited in kept if cited]):
        return Checked("", [], dropped + [claim for claim, _ in kept], refused)
    used: list[int] = []
    parts = []
    for claim, cited in kept:
        for i in cited:
            if i not in used:
                used.append(i)
        markers = "".join(f"[{used.index(i) + 1}]" for i in cited)
        parts.append(_attach(claim, markers) if markers else claim)
    quotes = [narrow_quote(evidence[i], [claim for claim, cited in kept if i in cited]) for i in used]
    return Checked(" ".join(parts), used, dropped, False, quotes)


def narrow_quote(snippet: Evidence, claims: Sequence[str]) -> Evidence:
    """The sentences of a snippet that carry the claims citing it: first the ones holding the claims' numbers,
    else the one sharing most of their words. The quote stays verbatim: a sub-span of the snippet."""
    spans = sentence_spans(snippet.sentence)
    if len(spans) < 2:
        return snippet
    claim_text = " ".join(claims)
    numbers = set(_NUMBER.findall(claim_text))
    words = set(content_tokens(claim_text))

    def score(span) -> tuple[int, int]:
        tokens = set(content_tokens(snippet.sentence[span.start : span.end]))
        return len(numbers & tokens), len(words & tokens)

    with_numbers = [s for s in spans if score(s)[0] > 0]
    chosen = with_numbers or [max(spans, key=score)]
    start, end = chosen[0].start, chosen[-1].end
    return replace(snippet, sentence=snippet.sentence[start:end], start=snippet.start + start, end=snippet.start + end)


def _attach(claim: str, markers: str) -> str:
    """Put markers before the sentence's final punctuation: "... 2001 [1]."."""
    if claim and claim[-1] in ".!?":
        return f"{claim[:-1].rstrip()} {markers}{claim[-1]}"
    return f"{claim} {markers}"


def quote_is_verbatim(article_text: str | None, quote: str, start: int, end: int) -> bool:
    return article_text is not None and 0 <= start < end <= len(article_text) and article_text[start:end] == quote
