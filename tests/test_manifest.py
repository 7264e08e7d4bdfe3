"""The index records what it was built with; a settings change after indexing stops with one line."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.corpus import doc_id_for
from assistant.errors import AssistantError
from assistant.indexing import index_paths
from assistant.manifest import LAYOUT_VERSION, MANIFEST, fingerprint
from assistant.store import reset_index

from fakes import SAMPLE_ARTICLES, make_pipeline, write_articles


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    write_articles(folder, SAMPLE_ARTICLES)
    return folder


def test_the_manifest_records_the_settings_the_index_was_built_with(tmp_path, corpus):
    index_paths(make_pipeline(tmp_path), [corpus])
    recorded = json.loads((tmp_path / "index" / MANIFEST).read_text())
    assert recorded["chunk_chars"] == 600 and recorded["embed_passage_prefix"] == "passage: "
    assert recorded["embedder"].endswith("FakeEmbedding") and recorded["layout_version"] == LAYOUT_VERSION == 4


@pytest.mark.parametrize("change", [{"chunk_chars": 300}, {"embed_query_prefix": "search_query: "}])
def test_a_settings_change_after_indexing_names_the_rebuild(tmp_path, corpus, change):
    index_paths(make_pipeline(tmp_path), [corpus])
    changed = make_pipeline(tmp_path, **change)
    with pytest.raises(AssistantError) as error:
        index_paths(changed, [corpus])
    message = str(error.value)
    assert "assistant index --rebuild" in message and next(iter(change)) in message and "\n" not in message
    with pytest.raises(AssistantError, match="--rebuild"):
        make_pipeline(tmp_path, **change).retrieve("harbour")
    reset_index(changed.settings)  # what `--rebuild` does first
    report = index_paths(make_pipeline(tmp_path, **change), [corpus])
    alpha = doc_id_for(corpus / "alpha.txt")
    assert report.added == [alpha, doc_id_for(corpus / "beta.txt")]
    assert make_pipeline(tmp_path, **change).retrieve("harbour")[0].doc_id == alpha


def test_an_index_from_before_the_manifest_must_be_rebuilt(tmp_path, corpus):
    index_paths(make_pipeline(tmp_path), [corpus])
    (tmp_path / "index" / MANIFEST).unlink()
    with pytest.raises(AssistantError, match="older version.*assistant index --rebuild"):
        make_pipeline(tmp_path).retrieve("harbour")


def test_an_index_of_layout_2_says_in_one_line_to_rebuild(tmp_path, corpus):
    """Layout 2 named articles by file stem alone; its doc_ids mean nothing to this version."""
    index_paths(make_pipeline(tmp_path), [corpus])
    path = tmp_path / "index" / MANIFEST
    path.write_text(json.dumps({**json.loads(path.read_text()), "layout_version": 2}))
    for use in (lambda p: p.retrieve("harbour"), lambda p: index_paths(p, [corpus])):
        with pytest.raises(AssistantError) as error:
            use(make_pipeline(tmp_path))
        message = str(error.value)
        assert "layout 2" in message and message.endswith("run `assistant index --rebuild`") and "\n" not in message


def test_another_embedder_model_changes_the_fingerprint(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "weights.bin").write_bytes(b"\x01" * 1000)
    before = fingerprint(model)
    (model / "weights.bin").write_bytes(b"\x02" * 1000)
    assert fingerprint(model) != before


@pytest.mark.integration
def test_the_cli_rebuild_fixes_a_changed_setting(tmp_path, corpus):
    """Through the real command: the one-line error, then `--rebuild` (needs the provisioned embedder)."""
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(tmp_path / "cli-index")}
    command = [str(Path(sys.executable).with_name("assistant")), "index", str(corpus)]

    def run(*args, **extra):
        return subprocess.run([*command, *args], capture_output=True, text=True, env={**env, **extra}, timeout=600)

    assert run().returncode == 0
    failed = run(ASSISTANT_CHUNK_CHARS="300")
    assert failed.returncode == 1 and failed.stderr.count("\n") == 1 and "assistant index --rebuild" in failed.stderr
    rebuilt = run("--rebuild", ASSISTANT_CHUNK_CHARS="300")
    assert rebuilt.returncode == 0 and "2 added" in rebuilt.stdout
