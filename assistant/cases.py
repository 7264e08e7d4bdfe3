"""Eval cases as data: one JSON object a line, with the evidence that answers each case as article offsets.

`evidence` is a list of groups; every group must be shown (a question needing two articles has two groups),
and any one span of a group suffices (two sentences that each give the answer). Each span names the article,
its offsets and its text, so an audit can check `article.text[start:end] == text`.

`python -m assistant.cases fill FILE ARTICLES_DIR` fills in `start`/`end` for spans written with only their
text, which is how cases are drafted by hand.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import AssistantError

KINDS = (
    "cross_en_on_de",  # an English question whose answer stands only in a German article
    "cross_de_on_en",  # a German question on an English article
    "same_language",
    "two_articles",  # needs a sentence from each of two articles
    "why_how_list",
    "unanswerable",  # the articles do not say; the assistant must decline
    "false_premise",  # the question assumes what the article contradicts: correct it or decline
    "follow_up",  # only makes sense after the question in `history`
    "conflict",  # two articles disagree on a figure: both figures, both articles
)


@dataclass(frozen=True)
class Span:
    doc_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    language: str
    question: str
    facts: list[list[str]] = field(default_factory=list)  # each fact: acceptable forms, any one suffices
    cite: list[str] = field(default_factory=list)  # articles the answer must cite
    evidence: list[list[Span]] = field(default_factory=list)
    should_abstain: bool = False
    forbidden: list[str] = field(default_factory=list)  # forms that must not appear (a false premise as fact)
    history: list[str] = field(default_factory=list)  # earlier questions of the conversation, oldest first
    note: str = ""

    @property
    def answerable(self) -> bool:
        return not self.should_abstain and self.kind != "false_premise"

    def with_doc_ids(self, doc_ids: dict[str, str]) -> Case:
        """The case with its articles named by an index's doc_ids (`doc_ids`: file stem -> doc_id). Cases name
        articles by file stem, which stays the same wherever the suite is checked out; doc_ids do not."""

        def named(stem: str) -> str:
            return doc_ids.get(stem, stem)

        evidence = [[replace(span, doc_id=named(span.doc_id)) for span in group] for group in self.evidence]
        return replace(self, cite=[named(stem) for stem in self.cite], evidence=evidence)

    @staticmethod
    def from_json(data: dict) -> Case:
        data = dict(data)
        data["evidence"] = [[Span(**span) for span in group] for group in data.get("evidence", [])]
        case = Case(**data)
        if case.kind not in KINDS:
            raise ValueError(f"unknown kind '{case.kind}'")
        return case


def load_cases(path: Path) -> list[Case]:
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                cases.append(Case.from_json(json.loads(line)))
            except (json.JSONDecodeError, TypeError, ValueError) as error:
                raise AssistantError(f"{path}:{number} is not a valid case ({error})") from error
    return cases


def article_texts(folder: Path) -> dict[str, str]:
    """File stem (what cases name articles by) -> the text the index stores (what every offset refers to)."""
    from .corpus import read_article

    texts = {}
    for path in sorted(folder.glob("*.*")):
        article = read_article(path, max_bytes=10_000_000)
        if hasattr(article, "text"):
            texts[path.stem] = article.text
    return texts


def audit(cases: list[Case], texts: dict[str, str]) -> list[str]:
    """Every problem with the cases' evidence and structure, one line each (empty when all is well)."""
    problems, seen = [], set()
    for case in cases:
        if case.id in seen:
            problems.append(f"{case.id}: duplicate id")
        seen.add(case.id)
        if case.answerable and not case.evidence:
            problems.append(f"{case.id}: answerable but no evidence")
        if case.answerable and not case.facts:
            problems.append(f"{case.id}: answerable but no facts")
        if case.kind == "follow_up" and not case.history:
            problems.append(f"{case.id}: a follow-up needs the question before it in `history`")
        for group in case.evidence:
            for span in group:
                text = texts.get(span.doc_id)
                if text is None:
                    problems.append(f"{case.id}: no article {span.doc_id}")
                elif text[span.start : span.end] != span.text:
                    problems.append(f"{case.id}: span {span.start}-{span.end} of {span.doc_id} is not its text")
        for doc_id in case.cite:
            if doc_id not in texts:
                problems.append(f"{case.id}: cites unknown article {doc_id}")
    return problems


def fill_offsets(path: Path, articles: Path) -> int:
    """Fill `start`/`end` of spans that only give their text; the text must occur exactly once."""
    texts = article_texts(articles)
    lines, missing = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        data = json.loads(line)
        for group in data.get("evidence", []):
            for span in group:
                article = texts.get(span["doc_id"], "")
                found = article.find(span["text"])
                if found < 0 or article.find(span["text"], found + 1) >= 0:
                    print(
                        f"{data['id']}: text {'not found' if found < 0 else 'found twice'} in {span['doc_id']}: {span['text'][:60]}"
                    )
                    missing += 1
                    continue
                span["start"], span["end"] = found, found + len(span["text"])
        lines.append(json.dumps(data, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return missing


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "fill":
        sys.exit("usage: python -m assistant.cases fill CASES.jsonl ARTICLES_DIR")
    sys.exit(1 if fill_offsets(Path(sys.argv[2]), Path(sys.argv[3])) else 0)
