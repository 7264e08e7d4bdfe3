"""The one place that builds the pipeline (embedder, store, retriever, LLM, prompts) from settings.

Every piece can be passed in instead (tests pass fakes through the constructor); what is not passed is built
on first use, so `retrieve()` never loads the LLM and a process loads each model once.
"""

from __future__ import annotations

import threading
from functools import cached_property

from .prompts import Prompts
from .retrieval import HybridRetriever, Passage
from .settings import Settings, get_settings, quiet_environment


class Pipeline:
    def __init__(self, settings: Settings | None = None, *, embed_model=None, llm=None, store=None, chroma_client=None):
        quiet_environment()
        self.settings = settings or get_settings()
        self._chroma_client = chroma_client
        self._build_lock = threading.Lock()
        self.llm_lock = threading.Lock()  # one generation at a time: a llama.cpp context is not thread-safe
        if embed_model is not None:
            self.embed_model = embed_model
        if llm is not None:
            self.llm = llm
        if store is not None:
            self.store = store

    @cached_property
    def prompts(self) -> Prompts:
        return Prompts(self.settings.prompts_dir)

    @cached_property
    def embed_model(self):
        with self._build_lock:
            from llama_index.embeddings.huggingface import HuggingFaceEmbedding
            from transformers.utils import logging as transformers_logging

            from .models import embed_model_path

            transformers_logging.disable_progress_bar()  # a "Loading weights" bar on every start says nothing

            return HuggingFaceEmbedding(
                model_name=embed_model_path(self.settings),
                query_instruction=self.settings.embed_query_prefix,
                text_instruction=self.settings.embed_passage_prefix,
                embed_batch_size=self.settings.embed_batch_size,
                device="cpu",
                normalize=True,
            )

    @cached_property
    def llm(self):
        with self._build_lock:
            from .llm import build_llm

            return build_llm(self.settings)

    @cached_property
    def store(self):
        with self._build_lock:
            from .store import IndexStore

            return IndexStore(self.settings, client=self._chroma_client)

    @cached_property
    def retriever(self) -> HybridRetriever:
        return HybridRetriever(self.store, self.embed_model, self.settings.top_k, self.settings.candidate_k)

    def article_text(self, doc_id: str) -> str:
        """The article's stored text, which every offset refers to ("" for an unknown doc_id)."""
        article = self.store.article(doc_id)
        return article.text if article is not None else ""

    def retrieve(self, query: str, k: int | None = None) -> list[Passage]:
        return self.retriever.retrieve(query, k)
