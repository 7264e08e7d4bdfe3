"""Hybrid retrieval: dense (multilingual e5) and BM25 keyword search, fused by reciprocal rank.

BM25 runs without a stemmer (the corpus is German and English; PyStemmer's default is English-only) and with
English and German stop words removed from the index.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from llama_index.core import VectorStoreIndex
from llama_index.core.llms import MockLLM
from llama_index.core.retrievers import QueryFusionRetriever
from llama_index.core.schema import BaseNode, NodeWithScore, QueryBundle
from llama_index.retrievers.bm25 import BM25Retriever

from .text import STOPWORDS


@dataclass(frozen=True)
class Passage:
    doc_id: str
    title: str
    text: str
    start: int  # offsets into the article's stored text: article[start:end] == text
    end: int
    score: float
    language: str = ""
    published: str = ""


# It warns whenever a corpus has fewer chunks than top_k (every small corpus); that is expected here.
logging.getLogger("llama_index.retrievers.bm25.base").setLevel(logging.ERROR)


def build_bm25(nodes: list[BaseNode], top_k: int) -> BM25Retriever:
    return BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=top_k, skip_stemming=True, language=STOPWORDS)


def load_bm25(path: Path, top_k: int) -> BM25Retriever | None:
    if not (path / "retriever.json").is_file():
        return None
    retriever = BM25Retriever.from_persist_dir(str(path), show_progress=False)
    retriever.skip_stemming = True  # the library does not persist this flag; the index was built unstemmed
    retriever.similarity_top_k = min(top_k, int(retriever.bm25.scores.get("num_docs", top_k)))
    return retriever


def to_passage(hit: NodeWithScore) -> Passage:
    node, meta = hit.node, hit.node.metadata
    return Passage(
        doc_id=meta.get("doc_id") or node.ref_doc_id or "",
        title=meta.get("title", ""),
        text=node.get_content(),
        start=node.start_char_idx or 0,
        end=node.end_char_idx or 0,
        score=float(hit.score or 0.0),
        language=meta.get("language", ""),
        published=meta.get("published", ""),
    )


class HybridRetriever:
    """Dense + keyword candidates, fused with reciprocal rank fusion into the top passages.

    `query_embedding`, when given, embeds the query instead of the embedder's own call: the pipeline passes its
    remembering embedder, so a question is embedded once for retrieval and evidence scoring together.
    """

    def __init__(self, store, embed_model, top_k: int, candidate_k: int, query_embedding=None):
        self.store = store
        self.embed_model = embed_model
        self.top_k = top_k
        self.candidate_k = candidate_k
        self.query_embedding = query_embedding

    def _retrievers(self) -> list:
        dense = VectorStoreIndex.from_vector_store(self.store.vector_store, embed_model=self.embed_model)
        retrievers = [dense.as_retriever(similarity_top_k=self.candidate_k)]
        bm25 = self.store.bm25()
        if bm25 is not None:
            retrievers.append(bm25)
        return retrievers

    def retrieve(self, query: str, k: int | None = None) -> list[Passage]:
        if self.store.chunk_count() == 0:
            return []
        fusion = QueryFusionRetriever(
            self._retrievers(),
            similarity_top_k=k or self.top_k,
            num_queries=1,  # no LLM query rewriting: a CPU LLM call per question would double latency
            mode="reciprocal_rerank",
            use_async=False,
            llm=MockLLM(),  # never called with num_queries=1; passed so LlamaIndex never resolves a global default LLM
        )
        embedding = list(map(float, self.query_embedding(query))) if self.query_embedding else None
        return [to_passage(hit) for hit in fusion.retrieve(QueryBundle(query, embedding=embedding))]
