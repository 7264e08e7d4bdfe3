"""The in-process embedder: sentence-transformers through LlamaIndex's adapter, and ONNX Runtime for questions.

A module of its own because importing it imports torch and sentence-transformers (seconds), which a process
that embeds through a server never needs."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from llama_index.embeddings.huggingface import HuggingFaceEmbedding
from pydantic import PrivateAttr

from .errors import AssistantError
from .settings import Settings


class OnnxQueryEncoder:
    """One question at a time through the embedder's ONNX export in ONNX Runtime, pooled and normalised as
    sentence-transformers does (mean over the tokens, unit length): 0.37 of PyTorch's float32 time for the same
    vector (`assistant bench indexing`), since for one short text eager PyTorch spends most of its time around
    the arithmetic, not in it. The session loads at the first question, so a process that only indexes never
    holds it."""

    def __init__(self, model_file: Path, words_file: Path, model_folder: str, max_length: int):
        self.model_file, self.words_file = model_file, words_file
        self.model_folder, self.max_length = model_folder, max_length
        self._loaded = None
        # one question at a time: a fast tokenizer called from two threads at once can fail ("Already borrowed")
        self._lock = threading.Lock()

    def _load(self):
        import onnxruntime
        from transformers import AutoTokenizer

        session = onnxruntime.InferenceSession(str(self.model_file), providers=["CPUExecutionProvider"])
        words = np.load(self.words_file, mmap_mode="r")  # rows are read as questions need them
        return session, words, AutoTokenizer.from_pretrained(self.model_folder)

    def __call__(self, text: str) -> list[float]:
        with self._lock:
            if self._loaded is None:
                self._loaded = self._load()
            session, words, tokenizer = self._loaded
            features = tokenizer([text], truncation=True, max_length=self.max_length, return_tensors="np")
            inputs = {
                "inputs_embeds": words[features["input_ids"]],
                "attention_mask": features["attention_mask"].astype(np.int64),
            }
            vector = session.run(None, inputs)[0][0].mean(axis=0)  # one text: no padding to mask out
        return (vector / (np.linalg.norm(vector) or 1.0)).tolist()


class LocalEmbedding(HuggingFaceEmbedding):
    """sentence-transformers in-process; questions through `OnnxQueryEncoder` when one is given."""

    _query_encoder: OnnxQueryEncoder | None = PrivateAttr(default=None)

    def _get_query_embedding(self, query: str) -> list[float]:
        if self._query_encoder is None:
            return super()._get_query_embedding(query)
        return self._query_encoder(self.query_instruction + query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


def build_local_embedder(settings: Settings) -> LocalEmbedding:
    from transformers.utils import logging as transformers_logging

    from .models import (
        embed_model_path,
        embedder_dtype,
        query_encoder_path,
        query_encoder_ready,
        query_encoder_words,
    )

    onnx_queries = settings.query_embed_runtime == "onnx"
    if onnx_queries and not query_encoder_ready(settings):  # said before the seconds of loading the model
        raise AssistantError(
            f"the embedder's ONNX export for questions is missing or stale ({query_encoder_path(settings)}): run `assistant models`, or set ASSISTANT_QUERY_EMBED_RUNTIME=torch"
        )
    transformers_logging.disable_progress_bar()  # a "Loading weights" bar on every start says nothing
    embedder = LocalEmbedding(
        model_name=embed_model_path(settings),
        query_instruction=settings.embed_query_prefix,
        text_instruction=settings.embed_passage_prefix,
        embed_batch_size=settings.embed_batch_size,
        device="cpu",
        normalize=True,
        model_kwargs={"dtype": embedder_dtype(settings)},
    )
    if settings.embed_pad_multiple:
        transformer = embedder._model[0]  # sentence-transformers' Transformer module: its tokenizer call
        transformer.processing_kwargs = {"text": {"pad_to_multiple_of": settings.embed_pad_multiple}}
    if onnx_queries:
        embedder._query_encoder = OnnxQueryEncoder(
            query_encoder_path(settings),
            query_encoder_words(settings),
            embed_model_path(settings),
            embedder._model.max_seq_length,
        )
    return embedder
