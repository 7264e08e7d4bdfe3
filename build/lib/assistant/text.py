"""The one home of the small text pieces that reading, retrieval, verification and scoring share."""

from __future__ import annotations

import re

from bm25s.stopwords import STOPWORDS_EN_PLUS, STOPWORDS_GERMAN

# Control characters other than tab and line breaks: never meaningful in an article or a question.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A citation marker "[3]" with the space before it.
MARKER = re.compile(r"\s*\[(\d+)\]")
STOPWORDS = sorted(set(STOPWORDS_EN_PLUS) | set(STOPWORDS_GERMAN))
_STOP = frozenset(STOPWORDS)
_WORD = re.compile(r"\w+")


def content_tokens(text: str) -> list[str]:
    """Lower-cased words that carry content: numbers, and words of three letters or more that are not stop
    words in English or German."""
    return [
        w for w in (m.group().lower() for m in _WORD.finditer(text)) if w.isdigit() or (len(w) > 2 and w not in _STOP)
    ]
