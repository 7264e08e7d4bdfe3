"""The embedding-server client against a scripted HTTP transport: what it sends, what it returns, how it fails.
(The real llama.cpp server is in test_servers.py.)"""

import json
import math

import httpx
import pytest

from assistant.embedders import ServerEmbedding, build_embedder
from assistant.errors import AssistantError
from assistant.manifest import expected_manifest
from assistant.settings import Settings


class ScriptedServer:
    """Answers /v1/embeddings with a vector that depends on the text (its length and first letter), unnormalised,
    as llama.cpp's server sends them; remembers what it was sent."""

    def __init__(self):
        self.inputs: list[list[str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        self.inputs.append(texts)
        data = [
            {"object": "embedding", "index": i, "embedding": [float(len(t)), float(ord(t[0])), 3.0]}
            for i, t in enumerate(texts)
        ]
        return httpx.Response(200, json={"object": "list", "data": data, "model": body["model"], "usage": {}})


def client(server, **settings) -> ServerEmbedding:
    """The embedder the settings build, its HTTP going to `server` instead of the network."""
    embedder = build_embedder(Settings(embed_backend="openai", **settings))
    embedder._http_client = httpx.Client(transport=httpx.MockTransport(server))
    return embedder


def test_queries_and_passages_carry_their_prefixes_and_come_back_unit_length():
    server = ScriptedServer()
    embedder = client(server, embed_batch_size=2)
    query = embedder.get_query_embedding("Wer gewann?")
    passages = embedder.get_text_embedding_batch(["Der Verein gewann.", "Es regnete.", "Später."])
    assert server.inputs[0] == ["query: Wer gewann?"]
    assert server.inputs[1:] == [["passage: Der Verein gewann.", "passage: Es regnete."], ["passage: Später."]]
    for vector in [query, *passages]:
        assert math.isclose(math.sqrt(sum(x * x for x in vector)), 1.0, rel_tol=1e-9)
    assert passages[0] != passages[1]  # the vector still follows the text


def test_a_server_that_is_down_gives_one_line_naming_the_setting():
    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)

    embedder = client(refuse)
    embedder.max_retries = 0
    with pytest.raises(AssistantError, match="embedding server at .* did not answer") as error:
        embedder.get_query_embedding("anything")
    assert "ASSISTANT_EMBED_API_BASE" in str(error.value) and "\n" not in str(error.value)


def test_the_manifest_names_the_server_model_so_switching_embedders_needs_a_rebuild(tmp_path):
    local = expected_manifest(Settings(embed_model=str(tmp_path)))
    served = expected_manifest(Settings(embed_backend="openai", embed_api_model="multilingual-e5-small"))
    assert served["embedder"] == "server model multilingual-e5-small" and served["embedder"] != local["embedder"]
    other = expected_manifest(Settings(embed_backend="openai", embed_api_model="bge-m3"))
    assert other["embedder"] != served["embedder"]
