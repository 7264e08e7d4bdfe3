"""The one place that builds the pipeline (embedder, store, retriever, LLM, prompts) from settings.

Every piece can be passed in instead (tests pass fakes through the constructor); what is not passed is built
on first use, so `retrieve()` never loads the LLM and a process loads each model once, even when several chat
sessions ask at the same moment.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from .prompts import Prompts
from .retrieval import HybridRetriever, Passage
from .settings import Settings, get_settings, quiet_environment
from .stages import EvidenceSelector, Generator, Verifier


class Pipeline:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embed_model=None,
        llm=None,
        store=None,
        chroma_client=None,
        selector=None,
        generator=None,
        verifier=None,
    ):
        quiet_environment()
        self.settings = settings or get_settings()
        self._chroma_client = chroma_client
        self._injected_embedder = embed_model
        self._parts = {
            "embed_model": embed_model,
            "llm": llm,
            "store": store,
            "selector": selector,
            "generator": generator,
            "verifier": verifier,
        }
        self._build_lock = threading.RLock()  # re-entrant: building the retriever builds the store and embedder

    def _part(self, name: str, build: Callable[[], object]):
        """The part, built once: double-checked under a lock so two threads never load a model twice."""
        part = self._parts.get(name)
        if part is None:
            with self._build_lock:
                part = self._parts.get(name)
                if part is None:
                    part = self._parts[name] = build()
        return part

    @property
    def prompts(self) -> Prompts:
        return self._part("prompts", lambda: Prompts(self.settings.prompts_dir))

    @property
    def embed_model(self):
        def build():
            from .embedders import build_embedder

            return build_embedder(self.settings)

        return self._part("embed_model", build)

    @property
    def scoring_embeddings(self):
        """The embedder with a memory, for scoring evidence sentences and verifying claims."""
        from .evidence import CachedEmbeddings

        return self._part(
            "scoring_embeddings", lambda: CachedEmbeddings(self.embed_model, self.settings.embedding_cache_bytes)
        )

    @property
    def llm(self):
        def build():
            from .llm import build_llm

            return build_llm(self.settings)

        return self._part("llm", build)

    @property
    def store(self):
        def build():
            from .manifest import expected_manifest
            from .store import IndexStore

            expected = expected_manifest(self.settings, self._injected_embedder)
            return IndexStore(self.settings, client=self._chroma_client, expected=expected)

        return self._part("store", build)

    @property
    def retriever(self) -> HybridRetriever:
        return self._part(
            "retriever",
            lambda: HybridRetriever(
                self.store,
                self.embed_model,
                self.settings.top_k,
                self.settings.candidate_k,
                self.settings.keyword_weight,
                query_embedding=self.scoring_embeddings.get_query_embedding,
            ),
        )

    # ------------------------------------------------------------ the answer's stages (see answering.py)
    @property
    def selector(self) -> EvidenceSelector:
        return self._part(
            "selector",
            lambda: EvidenceSelector(self.retrieve, self.scoring_embeddings, self.article_text, self.settings),
        )

    @property
    def generator(self) -> Generator:
        return self._part("generator", lambda: Generator(self.llm, self.settings))

    @property
    def verifier(self) -> Verifier:
        return self._part(
            "verifier",
            lambda: Verifier(self.scoring_embeddings, self.settings, [e.answer for e in self.prompts.examples]),
        )

    def article_text(self, doc_id: str) -> str:
        """The article's stored text, which every offset refers to ("" for an unknown doc_id)."""
        article = self.store.article(doc_id)
        return article.text if article is not None else ""

    def retrieve(self, query: str, k: int | None = None) -> list[Passage]:
        return self.retriever.retrieve(query, k)
