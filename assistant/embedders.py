"""The embedder, through LlamaIndex adapters: sentence-transformers in-process, or any OpenAI-compatible
`/v1/embeddings` server. Both add the e5 prefixes and return unit vectors, so an index means the same whichever
one made it; the index manifest records which did (`manifest.embedder_identity`)."""

from __future__ import annotations

import math
from collections.abc import Callable

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.embeddings.openai_like import OpenAILikeEmbedding

from .errors import AssistantError
from .settings import Settings


def _unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


class ServerEmbedding(OpenAILikeEmbedding):
    """OpenAI-like embeddings with what the in-process embedder does around the model: the `query: `/`passage: `
    prefixes and L2 normalisation (servers such as llama.cpp's return the raw mean-pooled vector), and one line
    naming the setting when the server does not answer."""

    query_prefix: str = ""
    passage_prefix: str = ""

    def _call(self, embed: Callable, texts):
        import openai

        try:
            return embed(texts)
        except openai.APIError as error:
            raise AssistantError(
                f"the embedding server at {self.api_base} did not answer ({error.__class__.__name__}): start it, or check ASSISTANT_EMBED_API_BASE"
            ) from error

    def _get_query_embedding(self, query: str) -> list[float]:
        return _unit(self._call(super()._get_query_embedding, self.query_prefix + query))

    def _get_text_embedding(self, text: str) -> list[float]:
        return _unit(self._call(super()._get_text_embedding, self.passage_prefix + text))

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        vectors = self._call(super()._get_text_embeddings, [self.passage_prefix + t for t in texts])
        return [_unit(v) for v in vectors]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)  # the pipeline never embeds asynchronously; no second code path

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)

    async def _aget_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._get_text_embeddings(texts)


def build_embedder(settings: Settings) -> BaseEmbedding:
    if settings.embed_backend == "openai":
        return ServerEmbedding(
            model_name=settings.embed_api_model,
            api_base=settings.embed_api_base,
            api_key=settings.embed_api_key.get_secret_value(),
            embed_batch_size=settings.embed_batch_size,
            timeout=settings.embed_timeout,
            max_retries=2,
            query_prefix=settings.embed_query_prefix,
            passage_prefix=settings.embed_passage_prefix,
        )
    from .local_embedder import build_local_embedder

    return build_local_embedder(settings)
