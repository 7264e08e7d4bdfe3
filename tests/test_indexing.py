import threading

import pytest

from assistant.corpus import doc_id_for
from assistant.errors import AssistantError
from assistant.indexing import index_paths, remove_articles
from assistant.manifest import source_folders

from fakes import SAMPLE_ARTICLES, make_pipeline, write_articles

GAMMA = {"gamma.md": "# Zoo\nThe zoo has a new elephant named Kiri."}


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    write_articles(folder, SAMPLE_ARTICLES)
    return folder


def ids(folder, *names) -> list[str]:
    return [doc_id_for(folder / name) for name in names]


def test_first_run_adds_second_changes_nothing(tmp_path, corpus):
    pipeline = make_pipeline(tmp_path)
    first = index_paths(pipeline, [corpus])
    assert first.added == ids(corpus, "alpha.txt", "beta.txt") and first.chunks > 0
    second = index_paths(make_pipeline(tmp_path), [corpus])
    assert not second.changed and second.unchanged == 2
    assert second.chunks == first.chunks
    assert second.summary().startswith("Nothing changed")


def test_changed_article_is_replaced_and_deleted_one_removed(tmp_path, corpus):
    pipeline = make_pipeline(tmp_path)
    index_paths(pipeline, [corpus])
    alpha, beta = ids(corpus, "alpha.txt", "beta.txt")
    (corpus / "alpha.txt").write_text("The harbour closed on Friday. Nobody came.")
    (corpus / "beta.txt").unlink()
    report = index_paths(pipeline, [corpus])
    assert report.updated == [alpha] and report.removed == [beta]
    assert pipeline.store.chunk_doc_ids() == {alpha: 1}
    assert pipeline.article_text(alpha) == "The harbour closed on Friday. Nobody came."
    assert pipeline.retrieve("harbour closed")[0].doc_id == alpha


def test_doc_id_is_the_stem_and_a_hash_of_the_path_the_same_on_every_run(tmp_path, corpus):
    alpha = doc_id_for(corpus / "alpha.txt")
    assert alpha.startswith("alpha-") and len(alpha) == len("alpha-") + 8
    other = tmp_path / "other"
    write_articles(other, GAMMA)
    alone = index_paths(make_pipeline(tmp_path / "alone"), [corpus])
    together = index_paths(make_pipeline(tmp_path / "together"), [other, corpus])
    assert alpha in alone.added and alpha in together.added  # whatever else is indexed
    assert doc_id_for(tmp_path / "corpus" / ".." / "corpus" / "alpha.txt") == alpha  # however the path is spelt


def test_indexing_a_second_folder_keeps_the_first(tmp_path, corpus):
    pipeline = make_pipeline(tmp_path)
    index_paths(pipeline, [corpus])
    extra = tmp_path / "extra"
    write_articles(extra, GAMMA)
    (corpus / "beta.txt").unlink()  # gone, but not from the folder being indexed now
    report = index_paths(pipeline, [extra])
    assert report.added == ids(extra, "gamma.md") and report.removed == [] and report.articles == 3
    again = index_paths(pipeline, [corpus])  # now it is: beta leaves, gamma stays
    assert again.removed == ids(corpus, "beta.txt") and again.articles == 2


def test_a_single_file_is_added_and_nothing_else_leaves(tmp_path, corpus):
    pipeline = make_pipeline(tmp_path)
    index_paths(pipeline, [corpus])
    (corpus / "beta.txt").unlink()
    write_articles(tmp_path / "extra", GAMMA)
    report = index_paths(pipeline, [tmp_path / "extra" / "gamma.md"])
    assert report.added == ids(tmp_path / "extra", "gamma.md") and report.removed == [] and report.articles == 3


def test_two_folders_with_the_same_file_name_keep_two_articles(tmp_path):
    write_articles(tmp_path / "a", {"report.html": "<html><body><p>The harbour opened on Monday.</p></body></html>"})
    write_articles(tmp_path / "b", {"report.html": "<html><body><p>Der Bahnhof wurde renoviert.</p></body></html>"})
    pipeline = make_pipeline(tmp_path)
    report = index_paths(pipeline, [tmp_path / "a", tmp_path / "b"])
    a, b = ids(tmp_path / "a", "report.html") + ids(tmp_path / "b", "report.html")
    assert a != b and sorted(report.added) == sorted([a, b]) and report.skipped == []
    assert "harbour" in pipeline.article_text(a) and "Bahnhof" in pipeline.article_text(b)


def test_a_file_reached_twice_is_one_article(tmp_path, corpus):
    (corpus / "sub").mkdir()
    (corpus / "sub" / "alpha-link.txt").symlink_to(corpus / "alpha.txt")
    report = index_paths(make_pipeline(tmp_path), [corpus, corpus / "sub"])
    assert report.added == ids(corpus, "alpha.txt", "beta.txt") and report.skipped == []


def test_the_index_remembers_its_folders_and_a_refresh_of_them_removes_a_deleted_file(tmp_path, corpus):
    pipeline = make_pipeline(tmp_path)
    extra = tmp_path / "extra"
    write_articles(extra, GAMMA)
    index_paths(pipeline, [corpus])
    index_paths(pipeline, [extra, extra / "gamma.md"])  # a file is indexed, not remembered
    index_paths(pipeline, [corpus])
    assert source_folders(tmp_path / "index") == [corpus.resolve(), extra.resolve()]
    (extra / "gamma.md").unlink()
    report = index_paths(pipeline, source_folders(tmp_path / "index"))  # what a bare `assistant index` does
    assert report.removed == ids(extra, "gamma.md") and report.unchanged == 2


def test_a_folder_that_is_gone_removes_nothing(tmp_path, corpus):
    pipeline = make_pipeline(tmp_path)
    index_paths(pipeline, [corpus])
    corpus.rename(tmp_path / "unmounted")
    report = index_paths(pipeline, [corpus])
    assert report.removed == [] and report.articles == 2
    assert "no such file or folder" in report.skipped[0].reason


def test_remove_takes_articles_out_and_an_unknown_doc_id_says_how_to_list_them(tmp_path, corpus):
    pipeline = make_pipeline(tmp_path)
    index_paths(pipeline, [corpus])
    alpha, beta = ids(corpus, "alpha.txt", "beta.txt")
    with pytest.raises(AssistantError, match="assistant list") as error:
        remove_articles(pipeline, [alpha, "no-such-article"])
    assert "\n" not in str(error.value) and set(pipeline.store.article_hashes()) == {alpha, beta}
    report = remove_articles(pipeline, [alpha])
    assert report.removed == [alpha] and report.articles == 1
    fresh = make_pipeline(tmp_path).store
    assert set(fresh.article_hashes()) == set(fresh.chunk_doc_ids()) == {beta}
    assert fresh.articles_db.chunk_ids() == sorted(fresh.collection.get(include=[])["ids"])
    assert all(p.doc_id == beta for p in make_pipeline(tmp_path).retrieve("harbour mayor ribbon"))
    # its file is still in a folder the index follows: the output says the next bare run brings it back
    [_, back] = report.lines()
    assert str(corpus / "alpha.txt") in back and "adds them back" in back
    assert index_paths(pipeline, [corpus]).added == [alpha]


def test_remove_finishes_what_a_killed_removal_left(tmp_path, corpus):
    pipeline = make_pipeline(tmp_path)
    index_paths(pipeline, [corpus])
    alpha, beta = ids(corpus, "alpha.txt", "beta.txt")
    # killed after SQLite forgot alpha, before its chunks left Chroma
    with pytest.raises(KeyboardInterrupt), pipeline.store.write_lock():
        pipeline.store.forget_articles([alpha])
        raise KeyboardInterrupt
    report = remove_articles(make_pipeline(tmp_path), [alpha])
    assert report.removed == [alpha] and report.orphans_removed == 0
    assert set(make_pipeline(tmp_path).store.chunk_doc_ids()) == {beta}


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
    # a run killed after writing Chroma but before committing to SQLite: Chroma knows beta, SQLite does not
    with pytest.raises(KeyboardInterrupt), pipeline.store.write_lock():
        pipeline.store.forget_articles(ids(corpus, "beta.txt"))
        raise KeyboardInterrupt
    report = index_paths(make_pipeline(tmp_path), [corpus])
    assert report.orphans_removed == 1 and report.added == ids(corpus, "beta.txt")
    counts = make_pipeline(tmp_path).store.chunk_doc_ids()
    assert set(counts) == set(ids(corpus, "alpha.txt", "beta.txt"))
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
