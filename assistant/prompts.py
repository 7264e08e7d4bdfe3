"""Prompt templates live in `prompts/*.md`; each is loaded by name and its variables are checked on load."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from llama_index.core.prompts import PromptTemplate

from .errors import AssistantError

# The one refusal phrase: the system prompt asks for it, the verifier detects it, the tests expect it.
REFUSAL = "The articles don't say."

# The variables each template must use, no more and no fewer: a typo in a prompt file fails at start-up.
EXPECTED_VARIABLES = {
    "system": {"refusal"},
    "answer": {"evidence", "history", "question", "language"},
    "evidence_article": {"title", "published", "language"},
    "evidence_sentence": {"number", "sentence"},
}


def load_prompt(prompts_dir: Path, name: str) -> PromptTemplate:
    path = prompts_dir / f"{name}.md"
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise AssistantError(f"prompt file {path} is unreadable ({error.strerror}): restore it from git") from error
    template = PromptTemplate(text)
    found, expected = set(template.template_vars), EXPECTED_VARIABLES.get(name)
    if expected is not None and found != expected:
        raise AssistantError(f"prompt {path} uses variables {sorted(found)}, expected {sorted(expected)}")
    return template


@dataclass(frozen=True)
class Example:
    """A worked question about made-up articles, shown to the model as an earlier turn of the conversation."""

    question: str
    language: str  # of the answer: "en" or "de"
    articles: list[dict]  # each {"title", "published", "language", "sentences": [...]}, numbered in order
    answer: str


_EXAMPLE_KEYS = set(Example.__dataclass_fields__)


def load_examples(prompts_dir: Path) -> list[Example]:
    """`examples.jsonl`: one worked example per line; `{refusal}` in an answer stands for the refusal phrase."""
    path = prompts_dir / "examples.jsonl"
    examples = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise AssistantError(f"prompt file {path} is unreadable ({error.strerror}): restore it from git") from error
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            fields = json.loads(line)
            if set(fields) != _EXAMPLE_KEYS:
                raise ValueError(f"keys {sorted(fields)}, expected {sorted(_EXAMPLE_KEYS)}")
            example = Example(**fields)
            if example.language not in ("en", "de") or not all(a["sentences"] for a in example.articles):
                raise ValueError("language must be en or de and every article needs sentences")
        except (ValueError, KeyError, TypeError) as error:
            raise AssistantError(f"{path} line {number} is not a valid example ({error}): fix it") from error
        examples.append(replace(example, answer=example.answer.replace("{refusal}", REFUSAL)))
    return examples


class Prompts:
    """All templates, loaded once; the system prompt is filled at load because it never changes (prefix caching)."""

    def __init__(self, prompts_dir: Path):
        self.system = load_prompt(prompts_dir, "system").format(refusal=REFUSAL)
        self.examples = load_examples(prompts_dir)
        self.answer = load_prompt(prompts_dir, "answer")
        self.evidence_article = load_prompt(prompts_dir, "evidence_article")
        self.evidence_sentence = load_prompt(prompts_dir, "evidence_sentence")
