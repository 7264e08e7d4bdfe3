"""Sentence-aware chunks that keep exact character offsets into the article text.

Offsets are the contract: for every span, `text[start:end]` is the span's text, so any passage or quote can be
located in the stored article later. Sentences come from `text.sentence_spans`, which verification and evidence
selection use too.
"""

from __future__ import annotations

from collections.abc import Sequence

from llama_index.core.node_parser import NodeParser
from llama_index.core.schema import BaseNode, NodeRelationship, TextNode

from .text import Span, sentence_spans


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
