"""The real embedder and Chroma on the seed articles."""

import json
import os
import subprocess
import sys

import pytest
from conftest import SEEDS

from assistant import retrieve
from assistant.corpus import doc_id_for
from assistant.indexing import index_paths

pytestmark = pytest.mark.integration

GERMAN, ENGLISH = (doc_id_for(SEEDS / f"{stem}.txt") for stem in ("000_c5ab56776a2f2db6", "003_d92ff9ce8cfcd715"))


def test_seeds_are_indexed_with_metadata(seed_pipeline):
    articles = {a.doc_id: a.metadata for a in seed_pipeline.store.articles()}
    assert set(articles) == {GERMAN, ENGLISH}
    assert articles[GERMAN]["language"] == "de" and articles[ENGLISH]["language"] == "en"
    assert articles[ENGLISH]["published"] == "2023-12-09"
    assert articles[ENGLISH]["title"].startswith("'Baby Steps'")
    assert len(articles[GERMAN]["content_hash"]) == 64


def test_second_run_changes_nothing(seed_pipeline):
    before = seed_pipeline.store.chunk_count()
    report = index_paths(seed_pipeline, [SEEDS])
    assert not report.changed and report.unchanged == 2
    assert report.chunks == before == sum(seed_pipeline.store.chunk_doc_ids().values())


def test_english_question_finds_the_german_marriage_passage(seed_pipeline):
    first = retrieve("When were Britney Spears and Kevin Federline married?", k=5, pipeline=seed_pipeline)[0]
    assert first.doc_id == GERMAN and "2004 bis 2007" in first.text


def test_german_question_finds_the_english_passage(seed_pipeline):
    passages = retrieve("Wie alt ist Lynne Spears?", k=5, pipeline=seed_pipeline)
    assert any(p.doc_id == ENGLISH and "her mother, 68" in p.text for p in passages)


def test_a_fresh_process_reloads_the_index_without_indexing(seed_pipeline, seed_settings):
    script = (
        "import json; from assistant import retrieve, default_pipeline\n"
        "p = retrieve('When were Britney Spears and Kevin Federline married?', k=3)[0]\n"
        "print(json.dumps({'doc_id': p.doc_id, 'text': p.text, 'chunks': default_pipeline().store.chunk_count()}))\n"
    )
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(seed_settings.index_dir)}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300, check=True
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["doc_id"] == GERMAN and "2004 bis 2007" in result["text"]
    assert result["chunks"] == seed_pipeline.store.chunk_count()
