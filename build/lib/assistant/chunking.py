"""Sentence spans and sentence-aware chunks that keep exact character offsets into the article text.

Offsets are the contract: for every span, `text[start:end]` is the span's text, so any passage or quote can be
located in the stored article later. NLTK's Punkt finds the sentence ends; line breaks always end a sentence
(captions and one-line paragraphs are common in news files).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from llama_index.core.node_parser import NodeParser
from llama_index.core.schema import BaseNode, NodeRelationship, TextNode

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


def chunk_spans(text: str, chunk_chars: int, overlap_sentences: int = 1) -> list[Span]:
    """Group whole sentences into chunks of about `chunk_chars`; neighbours share `overlap_sentences` sentences."""
    sentences = sentence_spans(text, limit=chunk_chars)
    chunks: list[Span] = []
    first = 0
    while first < len(sentences):
        last = first
        while last + 1 < len(sentences) and sentences[last + 1].end - sentences[first].start <= chunk_chars:
            last += 1
        chunks.append(Span(sentences[first].start, sentences[last].end))
        if last + 1 >= len(sentences):
            break
        first = max(first + 1, last + 1 - overlap_sentences)
    return chunks


class SentenceChunker(NodeParser):
    """LlamaIndex node parser over `chunk_spans`: deterministic node ids `<doc_id>#<n>`, exact offsets."""

    chunk_chars: int = 600
    overlap_sentences: int = 1

    def _parse_nodes(self, nodes: Sequence[BaseNode], show_progress: bool = False, **kwargs) -> list[BaseNode]:
        out: list[BaseNode] = []
        for document in nodes:
            text = document.get_content()
            for number, span in enumerate(chunk_spans(text, self.chunk_chars, self.overlap_sentences)):
                node = TextNode(
                    id_=f"{document.id_}#{number}",
                    text=text[span.start : span.end],
                    start_char_idx=span.start,
                    end_char_idx=span.end,
                    metadata=dict(document.metadata),
                    excluded_embed_metadata_keys=list(document.excluded_embed_metadata_keys),
                    excluded_llm_metadata_keys=list(document.excluded_llm_metadata_keys),
                )
                node.relationships[NodeRelationship.SOURCE] = document.as_related_node_info()
                out.append(node)
        return out
