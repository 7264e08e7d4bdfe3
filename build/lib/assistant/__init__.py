"""newsdesk-qa: grounded question answering over news articles, in English and German.

    from assistant import answer, retrieve
    a = answer("When were Britney Spears and Kevin Federline married?")
    a.text, a.citations, a.abstained

The module-level functions share one Pipeline built from the environment's settings on first use; pass
`pipeline=Pipeline(settings, ...)` to use another index, model or injected fakes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from .answering import Answer, Citation, History
from .errors import AssistantError, InputError, LLMUnavailable
from .pipeline import Pipeline
from .retrieval import Passage

__all__ = [
    "answer",
    "stream_answer",
    "retrieve",
    "Answer",
    "Citation",
    "Passage",
    "Pipeline",
    "AssistantError",
    "InputError",
    "LLMUnavailable",
]

_default: Pipeline | None = None
_default_lock = threading.Lock()


def default_pipeline() -> Pipeline:
    global _default
    with _default_lock:
        if _default is None:
            _default = Pipeline()
        return _default


def answer(question: str, history: History = (), *, pipeline: Pipeline | None = None) -> Answer:
    """Answer from the indexed articles only, with verified citations, or abstain."""
    from .answering import answer as _answer

    return _answer(pipeline or default_pipeline(), question, history)


def stream_answer(question: str, history: History = (), *, pipeline: Pipeline | None = None) -> Iterator[str | Answer]:
    """Yield text deltas as they are generated, then the verified Answer."""
    from .answering import stream_answer as _stream

    return _stream(pipeline or default_pipeline(), question, history)


def retrieve(query: str, k: int = 5, *, pipeline: Pipeline | None = None) -> list[Passage]:
    """The k passages most relevant to the query (dense + keyword, fused)."""
    return (pipeline or default_pipeline()).retrieve(query, k)
