import threading

import pytest

from assistant.errors import AssistantError
from assistant.indexing import index_paths

from fakes import SAMPLE_ARTICLES, make_pipeline, write_articles


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    write_articles(folder, SAMPLE_ARTICLES)
    return folder


def test_first_run_adds_second_changes_nothing(tmp_path, corpus):
    pipeline = make_pipeline(tmp_path)
    first = index_paths(pipeline, [corpus])
    assert first.added == ["alpha", "beta"] and first.chunks > 0
    second = index_paths(make_pipeline(tmp_path), [corpus])
    assert not second.changed and second.unchanged == 2
    assert second.chunks == first.chunks
    assert second.summary().startswith("Nothing changed")


def test_changed_article_is_replaced_and_deleted_one_removed(tmp_path, corpus):
    pipeline = make_pipeline(tmp_path)
    index_paths(pipeline, [corpus])
    (corpus / "alpha.txt").write_text("The harbour closed on Friday. Nobody came.")
    (corpus / "beta.txt").unlink()
    report = index_paths(pipeline, [corpus])
    assert report.updated == ["alpha"] and report.removed == ["beta"]
    assert pipeline.store.chunk_doc_ids() == {"alpha": 1}
    assert pipeline.article_text("alpha") == "The harbour closed on Friday. Nobody came."
    assert pipeline.retrieve("harbour closed")[0].doc_id == "alpha"


def test_add_only_keeps_articles_outside_the_paths(tmp_path, corpus):
    pipeline = make_pipeline(tmp_path)
    index_paths(pipeline, [corpus])
    extra = tmp_path / "extra"
    write_articles(extra, {"gamma.md": "# Zoo\nThe zoo has a new elephant named Kiri."})
    report = index_paths(pipeline, [extra / "gamma.md"], add_only=True)
    assert report.added == ["gamma"] and report.articles == 3


def test_every_chunk_locates_its_text_in_the_stored_article(tmp_path, corpus):
    pipeline = make_pipeline(tmp_path, chunk_chars=100)
    index_paths(pipeline, [corpus])
    nodes = list(pipeline.store.all_chunks())
    assert len(nodes) > 2
    for node in nodes:
        article = pipeline.article_text(node.ref_doc_id)
        assert article[node.start_char_idx : node.end_char_idx] == node.get_content()


def test_orphan_chunks_from_a_killed_run_are_removed(tmp_path, corpus):
    pipeline = make_pipeline(tmp_path)
    index_paths(pipeline, [corpus])
    # a run killed after writing Chroma but before saving the docstore: Chroma knows beta, the docstore does not
    pipeline.store.docstore.delete_document("beta")
    pipeline.store.save_docstore()
    report = index_paths(make_pipeline(tmp_path), [corpus])
    assert report.orphans_removed == 1 and report.added == ["beta"]
    counts = make_pipeline(tmp_path).store.chunk_doc_ids()
    assert set(counts) == {"alpha", "beta"}
    assert sum(counts.values()) == report.chunks


def test_a_second_writer_stops_with_a_clear_message(tmp_path, corpus):
    holder = make_pipeline(tmp_path)
    entered, release = threading.Event(), threading.Event()

    def hold():
        with holder.store.write_lock():
            entered.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    entered.wait(10)
    try:
        with pytest.raises(AssistantError, match="being written"):
            index_paths(make_pipeline(tmp_path), [corpus])
    finally:
        release.set()
        thread.join()
