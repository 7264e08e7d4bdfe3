"""Scale-out modes on 127.0.0.1: a real `chroma run` server, llama-cpp-python's OpenAI-compatible server for the
LLM, and the same server in a venv of its own serving the embedder from a GGUF (`./run.sh embed-server`).

Nothing else changes between modes: the same `answer()` over the same pipeline code, only settings differ.
"""

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from conftest import SEEDS

from assistant import Pipeline, answer
from assistant.corpus import doc_id_for
from assistant.embed_server import server_command
from assistant.errors import AssistantError, LLMUnavailable
from assistant.indexing import index_paths
from assistant.models import llm_path
from assistant.settings import Settings

from support import free_port

pytestmark = pytest.mark.server


def start(command: list[str], ready_url: str, log: Path, timeout: float = 180) -> subprocess.Popen:
    handle = log.open("w")
    process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{command[0]} exited: {log.read_text()[-2000:]}")
        try:
            urllib.request.urlopen(ready_url, timeout=2)
            return process
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"{command} not ready after {timeout}s: {log.read_text()[-2000:]}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    chroma = str(Path(sys.executable).with_name("chroma"))
    process = start(
        [chroma, "run", "--path", str(folder / "data"), "--host", "127.0.0.1", "--port", str(port)],
        f"http://127.0.0.1:{port}/api/v2/heartbeat",
        folder / "chroma.log",
    )
    yield port
    stop(process)


@pytest.mark.integration
@pytest.mark.llm
def test_index_and_answer_through_a_chroma_server(chroma_server, seed_pipeline, tmp_path):
    settings = Settings(chroma_host="127.0.0.1", chroma_port=chroma_server, index_dir=tmp_path / "index")
    pipeline = Pipeline(settings, embed_model=seed_pipeline.embed_model, llm=seed_pipeline.llm)
    report = index_paths(pipeline, [SEEDS])
    assert report.added and report.chunks == seed_pipeline.store.chunk_count()
    assert not (tmp_path / "index" / "chroma").exists()  # the vectors live in the server
    again = index_paths(Pipeline(settings, embed_model=seed_pipeline.embed_model), [SEEDS])
    assert not again.changed
    result = answer("How old is Kevin, Britney's ex-husband?", pipeline=pipeline)
    assert not result.abstained and "46" in result.text
    # the server's collection carries the record of how its vectors were made: another index folder with
    # other chunking settings is stopped by it, not by a local file
    other = settings.model_copy(update={"chunk_chars": 300, "index_dir": tmp_path / "other-index"})
    with pytest.raises(AssistantError, match="chunk_chars.*assistant index --rebuild"):
        Pipeline(other, embed_model=seed_pipeline.embed_model).retrieve("Kevin")


@pytest.mark.llm
def test_answer_through_an_openai_compatible_llm_server(seed_pipeline, seed_settings, tmp_path):
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(llm_path(seed_settings)),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_threads",
        "2",
        "--n_ctx",
        "4096",
        "--model_alias",
        "local",
        "--chat_format",
        "chatml",
    ]
    process = start(command, f"http://127.0.0.1:{port}/v1/models", tmp_path / "llama-server.log")
    try:
        settings = seed_settings.model_copy(
            update={"llm_backend": "openai", "llm_api_base": f"http://127.0.0.1:{port}/v1"}
        )
        pipeline = Pipeline(settings, embed_model=seed_pipeline.embed_model, store=seed_pipeline.store)
        result = answer("When did Kevin move to Hawaii?", pipeline=pipeline)
        assert not result.abstained and "August" in result.text and "2023" in result.text
        assert result.citations and result.citations[0].doc_id == doc_id_for(SEEDS / "000_c5ab56776a2f2db6.txt")
    finally:
        stop(process)


def test_an_llm_server_that_is_down_gives_one_clear_error(tmp_path):
    from fakes import SAMPLE_ARTICLES, FakeEmbedding, write_articles

    write_articles(tmp_path / "corpus", SAMPLE_ARTICLES)
    settings = Settings(
        index_dir=tmp_path / "index",
        llm_backend="openai",
        llm_api_base=f"http://127.0.0.1:{free_port()}/v1",
        llm_timeout=5,
        min_relevance=0.0,
    )
    pipeline = Pipeline(settings, embed_model=FakeEmbedding())
    index_paths(pipeline, [tmp_path / "corpus"])
    with pytest.raises(LLMUnavailable, match="did not answer") as error:
        answer("How much did the harbour cost?", pipeline=pipeline)
    assert "ASSISTANT_LLM_API_BASE" in str(error.value) and "\n" not in str(error.value)


@pytest.mark.integration
def test_index_and_retrieve_through_an_embedding_server(seed_pipeline, tmp_path):
    port = free_port()
    settings = Settings(
        index_dir=tmp_path / "served", embed_backend="openai", embed_api_base=f"http://127.0.0.1:{port}/v1"
    )
    process = start(server_command(settings), f"http://127.0.0.1:{port}/v1/models", tmp_path / "embed-server.log")
    try:
        served = Pipeline(settings)
        report = index_paths(served, [SEEDS])
        reference = Pipeline(Settings(index_dir=tmp_path / "in-process", embed_dtype="float32"))
        index_paths(reference, [SEEDS])
        assert report.chunks == reference.store.chunk_count() == seed_pipeline.store.chunk_count()

        def vectors(pipeline) -> dict:
            got = pipeline.store.collection.get(include=["embeddings"])
            return dict(zip(got["ids"], np.asarray(got["embeddings"]), strict=True))

        ours, theirs = vectors(served), vectors(reference)
        assert ours.keys() == theirs.keys()
        cosines = [float(ours[i] @ theirs[i]) for i in ours]  # both unit length
        assert min(cosines) >= 0.999, cosines
        question = "When did Kevin move to Hawaii?"
        query_cosine = np.dot(
            served.embed_model.get_query_embedding(question), reference.embed_model.get_query_embedding(question)
        )
        assert query_cosine >= 0.999
        passages = served.retrieve(question)
        assert passages[0].doc_id == doc_id_for(SEEDS / "000_c5ab56776a2f2db6.txt")
        assert "server model" in json.loads((tmp_path / "served" / "manifest.json").read_text())["embedder"]
    finally:
        stop(process)


def test_an_embedding_server_that_is_down_gives_one_clear_error(tmp_path):
    settings = Settings(
        index_dir=tmp_path / "index",
        embed_backend="openai",
        embed_api_base=f"http://127.0.0.1:{free_port()}/v1",
        embed_timeout=5,
    )
    with pytest.raises(AssistantError, match="embedding server at .* did not answer"):
        index_paths(Pipeline(settings), [SEEDS])
