"""The one home of the small text pieces that reading, retrieval, verification and scoring share."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bm25s.stopwords import STOPWORDS_EN_PLUS, STOPWORDS_GERMAN

# Control characters other than tab and line breaks: never meaningful in an article or a question.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A citation marker "[3]" with the space before it.
MARKER = re.compile(r"\s*\[(\d+)\]")
GERMAN_STOPWORDS = frozenset(STOPWORDS_GERMAN)
ENGLISH_STOPWORDS = frozenset(STOPWORDS_EN_PLUS)
_STOP = GERMAN_STOPWORDS | ENGLISH_STOPWORDS
_WORD = re.compile(r"\w+")
_TERM = re.compile(r"\w\w+")  # what the keyword index counts: runs of two or more word characters


def keyword_terms(text: str) -> list[str]:
    """The words keyword search indexes and matches: lower-cased, two characters or more, no English or German
    stop words (no stemming: the corpus is two languages)."""
    return [w for w in _TERM.findall(text.lower()) if w not in _STOP]


def content_tokens(text: str) -> list[str]:
    """Lower-cased words that carry content: numbers, and words of three letters or more that are not stop
    words in English or German."""
    return [
        w for w in (m.group().lower() for m in _WORD.finditer(text)) if w.isdigit() or (len(w) > 2 and w not in _STOP)
    ]


# Month names, German to English (scoring compares dates across languages; the verifier needs them as dates).
GERMAN_MONTHS = {
    "januar": "january",
    "jänner": "january",
    "februar": "february",
    "märz": "march",
    "mai": "may",
    "juni": "june",
    "juli": "july",
    "oktober": "october",
    "dezember": "december",
}
ENGLISH_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
# Small numbers written as words, in both languages, as digits.
NUMBER_WORDS = {
    **dict.fromkeys(["zero", "null"], "0"),
    **{
        w: str(n)
        for n, w in enumerate(["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"], 1)
    },
    **{
        w: str(n)
        for n, w in enumerate(["eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn"], 1)
    },
}
# Words that give an amount without digits ("two dozen", "half of them", "Hunderte", "Millionen").
_AMOUNT = re.compile(
    r"\b((hundred|thousand|million|billion|dozen)s?|half|hundert\w*|tausend\w*|million\w*|milliard\w*|dutzend\w*|hälfte)\b"
)
_TIME = re.compile(
    r"\b(today|yesterday|tomorrow|tonight|morning|evening|night|week|weekend|month|year|ago|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"heute|gestern|morgen|vorgestern|abends?|nachts?|woche\w*|monat\w*|jahr\w*|"
    r"montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag)\b"
)
_MONTHS = re.compile(
    r"\b(" + "|".join([*GERMAN_MONTHS, *ENGLISH_MONTHS, "jan", "feb", "aug", "sept?", "oct", "nov", "dec"]) + r")\b"
)
_DIGIT = re.compile(r"\d")
_NUMBER_WORD = re.compile(r"\b(" + "|".join(NUMBER_WORDS) + r")\b")


def has_amount(text: str) -> bool:
    """The text states a number: digits, a number word or a word of magnitude, in English or German."""
    lower = text.lower()
    return bool(_DIGIT.search(lower) or _NUMBER_WORD.search(lower) or _AMOUNT.search(lower))


def has_time(text: str) -> bool:
    """The text states a point in time: digits (a year, a day, an hour), a month, a weekday or a relative day."""
    lower = text.lower()
    return bool(_DIGIT.search(lower) or _MONTHS.search(lower) or _TIME.search(lower))


# A thousands separator between digits: "40.000", "40,000" and "40’000" all state 40000.
THOUSANDS = re.compile(r"(?<=\d)[.,'’](?=\d{3}\b)")
_DIGITS = re.compile(r"\d+")


def numbers(text: str, words: bool = False) -> set[str]:
    """The numbers a text states, as digit strings, thousands separators ignored ("2.411,77" and "2,411.77"
    both give 2411 and 77); with `words`, small number words too ("fünf" and "five" are 5)."""
    found = set(_DIGITS.findall(THOUSANDS.sub("", text)))
    if words:
        found |= {NUMBER_WORDS[w] for w in _NUMBER_WORD.findall(text.lower())}
    return found


# ---------------------------------------------------------------- questions
# "..., and how ..." / "..., und wie viele ...": a second question joined to the first. The joining word must be
# followed by a question word (perhaps after a preposition: "and over how many years", "und mit wie vielen"), so
# "Anna and Tom" or "und die Grünen" never split a question.
_QUESTION_WORD = (
    r"(?:who|whom|whose|what|when|where|which|why|how|"
    r"wer|wem|wen|wessen|was|wann|wo|woher|wohin|wie|welche[mnrs]?|warum|weshalb|wieso|"
    r"wo(?:für|mit|durch|rüber|von|zu|gegen|rin|ran|rauf|raus))"
)
_PREPOSITION = (
    r"(?:(?:in|at|on|for|from|by|over|with|to|of|since|about|after|before|"
    r"mit|von|um|seit|für|an|auf|bei|nach|aus|zu|gegen|unter|vor|über)\s+)?"
)
_SECOND_QUESTION = re.compile(rf",?\s+(?:and|und)\s+(?={_PREPOSITION}{_QUESTION_WORD}\b)", re.IGNORECASE)
_MIN_PART_WORDS = 4  # "In which book, and in what year, did she argue ...?" is one question, not two


def question_parts(question: str) -> list[str]:
    """The questions a question joins with "and"/"und", each as a question of its own ("Wie viel hat die Reederei
    für das Schiff bezahlt, und wie hoch wird sie bewertet?" gives both halves); a single question comes back alone."""
    pieces = [p.strip().rstrip("?").strip() for p in _SECOND_QUESTION.split(question)]
    if len(pieces) < 2 or any(len(p.split()) < _MIN_PART_WORDS for p in pieces):
        return [question]
    return [f"{p[0].upper()}{p[1:]}?" for p in pieces]


# ---------------------------------------------------------------- sentences
# NLTK's Punkt finds the sentence ends; line breaks always end a sentence (captions and one-line paragraphs are
# common in news files). Offsets are exact: for every span, text[start:end] is the sentence.
_LINE = re.compile(r"[^\n]+")
_WORD_GAP = re.compile(r"\s+")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@lru_cache(maxsize=1)
def _punkt():
    from nltk.tokenize.punkt import PunktSentenceTokenizer

    # Untrained Punkt: language-neutral (the corpus is German and English) and needs no data download.
    return PunktSentenceTokenizer()


def _split_long(text: str, start: int, end: int, limit: int) -> list[Span]:
    """Cut an over-long sentence at word gaps so no span exceeds `limit` characters."""
    spans = []
    while end - start > limit:
        cut = start + limit
        gaps = [m.start() for m in _WORD_GAP.finditer(text, start + limit // 2, cut)]
        cut = gaps[-1] if gaps else cut
        spans.append(Span(start, cut))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        spans.append(Span(start, end))
    return spans


def sentence_spans(text: str, limit: int = 1000) -> list[Span]:
    """Sentences of `text` as offsets, none longer than `limit` characters and none of only white space."""
    spans: list[Span] = []
    for line in _LINE.finditer(text):
        for start, end in _punkt().span_tokenize(line.group()):
            start, end = line.start() + start, line.start() + end
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if start < end:
                spans.extend(_split_long(text, start, end, limit))
    return spans
