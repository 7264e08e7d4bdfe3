"""The answer's stages after retrieval, one job each: select evidence, generate, verify.

Each is a small component with one typed method, built by `Pipeline` from settings and replaceable through
its constructor (tests pass fakes). `answering.stream_answer` composes them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from llama_index.core.llms import ChatMessage

from .corpus import detect_question_language
from .evidence import Evidence, cosine_scores, evidence_batches, rank_evidence
from .llm import describe_failure
from .retrieval import Passage
from .settings import Settings
from .verify import Checked, verify_answer

History = Sequence[tuple[str, str]]  # (question, answer) pairs, oldest first


@dataclass(frozen=True)
class Selection:
    """What retrieval and evidence selection offer the model: the prompts' evidence, best prompt first."""

    query: str
    passages: list[Passage]
    batches: list[list[Evidence]]


class EvidenceSelector:
    """Retrieve passages for the question and cut their best sentences into evidence prompts (no LLM)."""

    def __init__(self, retrieve: Callable[[str], list[Passage]], embeddings, article_text, settings: Settings):
        self.retrieve = retrieve
        self.embeddings = embeddings
        self.article_text = article_text
        self.settings = settings

    def select(self, question: str, history: History = ()) -> Selection:
        settings = self.settings
        # A follow-up ("and when did they divorce?") is searched together with the question before it.
        query = f"{history[-1][0]} {question}" if history else question
        passages = self.retrieve(query)
        ranked = rank_evidence(
            self.embeddings,
            query,
            detect_question_language(question),
            passages,
            self.article_text,
            settings.min_relevance,
            settings.cross_language_bonus,
            settings.evidence_previous_sentence_chars,
            question,
        )
        batches = evidence_batches(ranked, settings.evidence_prompt_chars, settings.evidence_prompts, self.article_text)
        return Selection(query, passages, batches)


_MODEL_LOCKS: dict[int, threading.Lock] = {}
_MODEL_LOCKS_GUARD = threading.Lock()


def model_lock(llm) -> threading.Lock:
    """One lock per model object, so two pipelines sharing one model still take turns (a llama.cpp context is
    not thread-safe)."""
    with _MODEL_LOCKS_GUARD:
        return _MODEL_LOCKS.setdefault(id(llm), threading.Lock())


class Generator:
    """The LLM's text deltas for a conversation, one generation at a time per model."""

    def __init__(self, llm, settings: Settings):
        self.llm = llm
        self.settings = settings
        self.lock = model_lock(llm)

    def stream(self, messages: list[ChatMessage]) -> Iterator[str]:
        """A failure of the model or its server becomes one clear LLMUnavailable."""
        with self.lock:
            try:
                for chunk in self.llm.stream_chat(messages):
                    if chunk.delta:
                        yield chunk.delta
            except Exception as error:
                raise describe_failure(self.settings, error) from error


class Verifier:
    """The supported sentences of a draft, with markers renumbered and quotes narrowed (see `verify`)."""

    def __init__(self, embeddings, settings: Settings, examples: Sequence[str] = ()):
        self.embeddings = embeddings
        self.settings = settings
        self.examples = list(examples)  # the worked examples' answers, which a real answer must not copy

    def similarity(self, claim: str, sources: Sequence[str]) -> float:
        return float(max(cosine_scores(self.embeddings, claim, list(sources)), default=0.0))

    def check(self, draft: str, question: str, evidence: Sequence[Evidence]) -> Checked:
        return verify_answer(
            draft,
            question,
            evidence,
            self.similarity,
            self.settings.support_threshold,
            self.settings.support_similarity,
            self.examples,
        )
