"""The SQLite article store: articles, chunks and BM25 keyword search, updated in place in one transaction."""

import sqlite3

import pytest
from llama_index.core.schema import Document

from assistant.articles import ArticleStore
from assistant.chunking import SentenceChunker
from assistant.errors import AssistantError

TEXTS = {
    "port": "Der Hafen von Triest meldet einen Rekord. Die Schiffe löschten 60 Millionen Tonnen Fracht.",
    "rail": "The new rail line opens in May. Trains will run every ten minutes between the two towns.",
    "farm": "Farmers in the valley reported a dry summer. The harvest of apples fell by a third.",
}


def documents(texts: dict[str, str]) -> list[Document]:
    return [
        Document(id_=doc_id, text=text, metadata={"title": doc_id, "source": f"/news/{doc_id}.txt"})
        for doc_id, text in texts.items()
    ]


def put(store: ArticleStore, texts: dict[str, str]) -> None:
    docs = documents(texts)
    store.put(docs, SentenceChunker(chunk_chars=60)(docs))


@pytest.fixture
def store(tmp_path) -> ArticleStore:
    store = ArticleStore(tmp_path / "articles.sqlite3")
    put(store, TEXTS)
    return store


def test_search_ranks_by_the_question_words_and_ignores_stop_words(store):
    [(best, score), *rest] = store.search("When does the rail line open?", 5)
    assert best.ref_doc_id == "rail" and best.text.startswith("The new rail line") and score > 0
    assert all(score >= later for _, later in rest)
    assert store.search("the and of", 5) == []  # stop words alone match nothing, rather than everything
    [(german, _)] = store.search("Schiffe Tonnen", 1)  # umlauts and German words as they are written
    assert german.ref_doc_id == "port"
    assert store.search('apples" OR "x', 1)[0][0].ref_doc_id == "farm"  # quotes in a question are only words


def test_chunks_come_back_with_their_offsets_into_the_stored_article(store):
    for node, _ in store.search("harvest apples rail trains Hafen Fracht", 10):
        article = store.get(node.ref_doc_id)
        assert article.text[node.start_char_idx : node.end_char_idx] == node.text


def test_replacing_an_article_replaces_its_chunks_and_keyword_terms(store):
    put(store, {"rail": "The rail line is delayed until autumn because of a strike."})
    assert store.count() == 3 and store.get("rail").text.endswith("strike.")
    assert store.search("trains minutes", 5) == []
    assert store.search("strike autumn", 1)[0][0].ref_doc_id == "rail"
    assert sorted({n.split("#")[0] for n in store.chunk_ids()}) == ["farm", "port", "rail"]


def test_deleting_takes_the_article_its_chunks_and_terms(store):
    store.delete(["farm"])
    assert set(store.hashes()) == {"port", "rail"} and store.sources()["port"] == "/news/port.txt"
    assert store.search("harvest apples", 5) == [] and not any(n.startswith("farm#") for n in store.chunk_ids())


def test_a_write_that_fails_half_way_changes_nothing(store):
    before = (store.hashes(), store.chunk_ids(), store.get("farm").text)
    docs = documents({"farm": "A new text about farms."}) * 2  # the second insert of the article fails
    with pytest.raises(sqlite3.IntegrityError):
        store.put(docs, SentenceChunker(chunk_chars=60)(docs[:1]))
    assert (store.hashes(), store.chunk_ids(), store.get("farm").text) == before


def test_another_connection_sees_each_committed_write(store):
    reader = ArticleStore(store.path)
    put(store, {"new": "A bridge over the river was opened."})
    assert reader.search("bridge river", 1)[0][0].ref_doc_id == "new"


def test_a_damaged_file_says_how_to_fix_it(tmp_path):
    path = tmp_path / "articles.sqlite3"
    path.write_bytes(b"not a database" * 100)
    with pytest.raises(AssistantError, match="damaged.*assistant index --rebuild"):
        ArticleStore(path)
