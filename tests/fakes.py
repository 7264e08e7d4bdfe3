"""Deterministic stand-ins for the models, passed through Pipeline's constructor (no monkeypatching).

FakeEmbedding hashes words into buckets, so texts that share words are close and others are not: it ranks
texts differently, as a real embedder would, with no randomness. FakeLLM answers by a rule over its prompt.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.llms import CompletionResponse, CompletionResponseGen, CustomLLM, LLMMetadata
from llama_index.core.llms.callbacks import llm_completion_callback
from pydantic import PrivateAttr

DIM = 256


def _vector(text: str) -> list[float]:
    vec = np.zeros(DIM)
    for word in re.findall(r"\w+", text.lower()):
        bucket = int(hashlib.md5(word.encode()).hexdigest(), 16) % DIM
        vec[bucket] += 1.0
    vec[0] += 0.01  # no all-zero vector: every text has a defined cosine
    return (vec / np.linalg.norm(vec)).tolist()


class FakeEmbedding(BaseEmbedding):
    """Bag-of-words hashed into DIM buckets, L2-normalised."""

    def _get_query_embedding(self, query: str) -> list[float]:
        return _vector(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return _vector(text)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return _vector(query)


class FakeLLM(CustomLLM):
    """Replies `respond(prompt)`, streamed word by word; records every prompt it was given."""

    _respond: Callable[[str], str] = PrivateAttr()
    prompts: list = []

    def __init__(self, respond: Callable[[str], str], **kwargs: Any):
        super().__init__(**kwargs)
        self._respond = respond
        self.prompts = []

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="fake")

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        self.prompts.append(prompt)
        return CompletionResponse(text=self._respond(prompt))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        self.prompts.append(prompt)
        text = self._respond(prompt)

        def gen():
            sent = ""
            for piece in re.findall(r"\S+\s*", text):
                sent += piece
                yield CompletionResponse(text=sent, delta=piece)

        return gen()


def evidence_number(prompt: str, needle: str) -> int | None:
    """The [n] of the evidence line that holds `needle` in a prompt, if any."""
    for line in prompt.splitlines():
        match = re.match(r"\[(\d+)\] (.*)", line)
        if match and needle in match.group(2):
            return int(match.group(1))
    return None


def answer_from(needle: str, reply: str) -> Callable[[str], str]:
    """An LLM rule: when evidence holding `needle` is shown, reply citing it; else refuse."""
    from assistant.prompts import REFUSAL

    def respond(prompt: str) -> str:
        number = evidence_number(prompt.rsplit("Evidence:", 1)[-1], needle)  # past the worked examples
        return f"{reply} [{number}]." if number else REFUSAL

    return respond


def make_pipeline(tmp_path, respond: Callable[[str], str] | None = None, **overrides):
    from assistant import Pipeline
    from assistant.prompts import REFUSAL
    from assistant.settings import Settings

    settings = Settings(index_dir=tmp_path / "index", cache_dir=tmp_path / "cache", min_relevance=0.0, **overrides)
    llm = FakeLLM(respond or (lambda prompt: REFUSAL))
    return Pipeline(settings, embed_model=FakeEmbedding(), llm=llm)


def label_for_cli(tmp_path) -> dict[str, str]:
    """Label the index a fake pipeline built in `tmp_path` as made by a stand-in model that the `assistant`
    command is then pointed at (ASSISTANT_EMBED_MODEL): commands that embed nothing (`list`, `remove`, an
    `index` run that only removes) run on it in a subprocess without the real model. Returns their environment."""
    from chromadb.api.client import SharedSystemClient

    from assistant.manifest import expected_manifest, write
    from assistant.settings import Settings

    model, index = tmp_path / "stand-in-model", tmp_path / "index"
    model.mkdir(exist_ok=True)
    (model / "config.json").write_text("{}")
    write(index, expected_manifest(Settings(index_dir=index, embed_model=str(model))))
    SharedSystemClient.clear_system_cache()  # a cached client in this process would not see the commands' writes
    return {**os.environ, "ASSISTANT_INDEX_DIR": str(index), "ASSISTANT_EMBED_MODEL": str(model)}


def write_articles(folder, articles: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in articles.items():
        (folder / name).write_text(text, encoding="utf-8")


SAMPLE_ARTICLES: dict[str, str] = {
    "alpha.txt": "date 2021-05-04 Harbour opens\nThe new harbour opened on Monday. The mayor Jane Doe cut the ribbon.\n"
    "Ships from Norway arrived in the afternoon. The harbour cost 40 million euros, a city official told the Herald.",
    "beta.txt": "Der Bahnhof wurde 1998 gebaut. Er liegt am Rand der Stadt.\nIm Jahr 2020 wurde er renoviert. "
    "Die Renovierung dauerte zwei Jahre.",
}
