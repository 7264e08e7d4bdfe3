"""Reading article files: decode, extract (HTML through trafilatura), clean, and describe each one.

An article's `text` is what the index stores and what every offset and quote refers to.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from .text import CONTROL, ENGLISH_STOPWORDS, GERMAN_STOPWORDS

SUFFIXES = (".txt", ".md", ".html", ".htm")
_DATE_PREFIX = re.compile(r"\A\s*date\s+(\d{4}-\d{2}-\d{2})\s+")
_TITLE_CHARS = 140
# Hidden from readers: the `hidden` attribute, `aria-hidden="true"` (any case), inert <template> content, and
# <noscript>, which a browser running scripts never shows; inline styles are matched by _HIDDEN_STYLE.
_HIDDEN_ELEMENTS = (
    "//template | //noscript | //*[@hidden] | //*[translate(normalize-space(@aria-hidden), 'TRUE', 'true') = 'true']"
)
_HIDDEN_STYLE = re.compile(r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse))\b", re.IGNORECASE)


@dataclass(frozen=True)
class Article:
    doc_id: str
    title: str
    text: str
    language: str
    source: str  # the file's resolved absolute path
    published: str = ""  # ISO date where the text gives one
    notes: tuple[str, ...] = field(default=())  # what was done to the file on the way in (decoding, cleaning)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    def metadata(self) -> dict[str, str]:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "language": self.language,
            "source": self.source,
            "published": self.published,
            "content_hash": self.content_hash,
        }


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    # A closed set keeps lingua fast and small; the extra languages let a French or Spanish file be named as such.
    languages = [
        Language.GERMAN,
        Language.ENGLISH,
        Language.FRENCH,
        Language.SPANISH,
        Language.ITALIAN,
        Language.DUTCH,
        Language.PORTUGUESE,
    ]
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


@lru_cache(maxsize=1)
def _question_detector():
    from lingua import Language, LanguageDetectorBuilder

    # Questions are short ("Wer leitet den Verein?"), where low-accuracy mode guesses; two languages keep it cheap.
    return LanguageDetectorBuilder.from_languages(Language.GERMAN, Language.ENGLISH).build()


def detect_language(text: str) -> str:
    """ISO 639-1 code of an article's language (`und` when it cannot tell)."""
    found = _detector().detect_language_of(text[:4000])
    return found.iso_code_639_1.name.lower() if found else "und"


# The function words only one of the two languages has ("was", "in", "die" say nothing).
_GERMAN_ONLY = GERMAN_STOPWORDS - ENGLISH_STOPWORDS
_ENGLISH_ONLY = ENGLISH_STOPWORDS - GERMAN_STOPWORDS


def detect_question_language(text: str) -> str:
    """The language a question is in: `de`, `en`, or another ISO code when it is clearly neither.

    Questions are short and full of names ("Wer ist Jayden?"), where statistical detectors guess; the function
    words that only one of the two languages has decide. With none of them, lingua decides, and a question it
    finds to be French or Spanish is named as such."""
    words = re.findall(r"\w+", text.lower())
    vote = sum(w in _GERMAN_ONLY for w in words) - sum(w in _ENGLISH_ONLY for w in words)
    if vote == 0:
        other = _detector().detect_language_of(text)
        if other is not None and other.iso_code_639_1.name not in ("DE", "EN") and len(words) >= 3:
            return other.iso_code_639_1.name.lower()
        found = _question_detector().detect_language_of(text)
        vote = 1 if found is not None and found.iso_code_639_1.name == "DE" else -1
    return "de" if vote > 0 else "en"


def decode(raw: bytes) -> tuple[str, tuple[str, ...]]:
    """UTF-8 (with or without BOM), else Windows-1252/Latin-1, which can decode any byte."""
    try:
        return raw.decode("utf-8-sig"), ()
    except UnicodeDecodeError:
        try:
            return raw.decode("cp1252"), ("not UTF-8: decoded as Windows-1252",)
        except UnicodeDecodeError:
            return raw.decode("latin-1"), ("not UTF-8: decoded as Latin-1",)


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return CONTROL.sub("", text).strip()


def _first_sentence_title(text: str) -> str:
    line = text.split("\n", 1)[0].strip().lstrip("#").strip()
    if len(line) <= _TITLE_CHARS:
        return line
    sentence = re.split(r"(?<=[.!?])\s", line, maxsplit=1)[0]
    return sentence if len(sentence) <= _TITLE_CHARS else sentence[: _TITLE_CHARS - 1].rstrip() + "…"


def drop_hidden(tree) -> None:
    """Remove, in place, the elements a reader of the page never sees.

    An instruction or URL planted in them must not become article text. trafilatura drops some of them itself
    (inline `display:none`, `aria-hidden`, `<noscript>`) but keeps `hidden` and `<template>`, and what it drops
    is its own heuristic, so they go before it reads the page. `drop_tree` keeps the text that follows an
    element (its tail), so a hidden span inside a sentence takes only itself away."""
    hidden = tree.xpath(_HIDDEN_ELEMENTS) + [
        e for e in tree.xpath("//*[@style]") if _HIDDEN_STYLE.search(e.get("style"))
    ]
    for element in hidden:
        if element.getparent() is not None:  # the document root has no place to be dropped from
            element.drop_tree()


def _from_html(markup: str) -> tuple[str, str, str]:
    import trafilatura

    tree = trafilatura.load_html(markup)
    if tree is None:  # nothing parseable: no text, no metadata
        return "", "", ""
    drop_hidden(tree)
    text = trafilatura.extract(tree, include_comments=False, include_tables=False, favor_precision=True) or ""
    meta = trafilatura.extract_metadata(tree)
    title = (meta.title or "") if meta else ""
    published = (meta.date or "") if meta else ""
    return text, title, published


def read_article(path: Path, max_bytes: int) -> Article | Skipped:
    """Read one file into an Article, or say in one line why it was skipped."""
    name = str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return Skipped(
                name, f"{size:,} bytes is over the {max_bytes:,}-byte limit (ASSISTANT_MAX_ARTICLE_BYTES): skipped"
            )
        raw = path.read_bytes()
    except OSError as error:
        return Skipped(name, f"unreadable ({error.strerror or error}): skipped")
    if b"\x00" in raw[:8192]:
        return Skipped(name, "binary file, not text: skipped")
    text, notes = decode(raw)
    title, published = "", ""
    if path.suffix.lower() in (".html", ".htm"):
        text, title, published = _from_html(text)
    text = _clean(text)
    match = _DATE_PREFIX.match(text)
    if match:  # the seed format: "date 2023-12-09 Title ..." on the first line
        published = match.group(1)
    if not text:
        return Skipped(name, "no article text in it: skipped")
    body_for_title = text[match.end() :] if match else text
    title = title or _first_sentence_title(body_for_title)
    if published:
        try:
            published = date.fromisoformat(published[:10]).isoformat()
        except ValueError:
            published = ""
    return Article(doc_id_for(path), title, text, detect_language(text), str(path.resolve()), published, notes)


def doc_id_for(path: Path) -> str:
    """The file's stem, to be readable, and a short hash of its resolved absolute path, to be unique: two
    folders' report.html are two articles, and a file has the same doc_id on every run, whatever else is indexed."""
    resolved = path.resolve()
    return f"{resolved.stem}-{hashlib.sha256(str(resolved).encode()).hexdigest()[:8]}"


def find_article_files(paths: list[Path]) -> Iterator[Path | Skipped]:
    """Article files under the given files/folders, in a stable order; never follows a symlink loop."""
    for root in paths:
        if root.is_file():
            yield root
            continue
        if not root.is_dir():
            yield Skipped(str(root), "no such file or folder: skipped")
            continue
        seen: set[tuple[int, int]] = set()
        for folder, dirs, files in os.walk(root, followlinks=True):
            stat = os.stat(folder)
            if (stat.st_dev, stat.st_ino) in seen:  # a symlink that leads back up the tree
                dirs.clear()
                yield Skipped(folder, "symlink loop: not followed")
                continue
            seen.add((stat.st_dev, stat.st_ino))
            dirs.sort()
            for file_name in sorted(files):
                if file_name.lower().endswith(SUFFIXES) and not file_name.startswith("."):
                    yield Path(folder) / file_name
