"""Prompt templates live in `prompts/*.md`; each is loaded by name and its variables are checked on load."""

from __future__ import annotations

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


class Prompts:
    """All templates, loaded once; the system prompt is filled at load because it never changes (prefix caching)."""

    def __init__(self, prompts_dir: Path):
        self.system = load_prompt(prompts_dir, "system").format(refusal=REFUSAL)
        self.answer = load_prompt(prompts_dir, "answer")
        self.evidence_article = load_prompt(prompts_dir, "evidence_article")
        self.evidence_sentence = load_prompt(prompts_dir, "evidence_sentence")
