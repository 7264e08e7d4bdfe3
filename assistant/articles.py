"""Articles, their chunks and the keyword index in one SQLite file that is updated in place.

Why not LlamaIndex's `SimpleDocumentStore` and the bm25s retriever: the one is a JSON file rewritten whole on
every batch and held in memory whole, the other is rebuilt from every chunk on every write, so adding one article to
a 5,000-article index cost 36 times what it cost in a small one, and memory grew with the corpus. SQLite's FTS5
ranks by the same Okapi BM25, and one transaction writes an article, its chunks and their keyword terms together:
the three can never disagree. Only Chroma lies outside that transaction (see `indexing.py` for the order of writes).

The keyword terms are `text.keyword_terms` of each chunk's embedded text (title and chunk, English and German
stop words removed), so FTS5 sees exactly the words BM25 used to.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from llama_index.core.schema import BaseNode, Document, MetadataMode, TextNode

from .errors import AssistantError
from .text import keyword_terms

FILE = "articles.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    doc_id TEXT PRIMARY KEY, hash TEXT NOT NULL, source TEXT NOT NULL, document TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY, node_id TEXT UNIQUE NOT NULL, doc_id TEXT NOT NULL, node TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_by_article ON chunks (doc_id);
CREATE VIRTUAL TABLE IF NOT EXISTS terms USING fts5 (words, tokenize = 'unicode61 remove_diacritics 0');
"""


class ArticleStore:
    """The article texts (what every offset refers to), their hashes (what dedup compares) and the keyword index.

    One connection per process, shared by the chat's threads behind a lock; WAL mode lets a chat read while
    `assistant index` writes in another process, and it sees each batch once committed."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as error:
            self._raise_if_damaged(error)
            raise

    def _raise_if_damaged(self, error: sqlite3.DatabaseError) -> None:
        """A file that is not (or no longer) a database gets the one-line fix; a failed statement (locked,
        constraint) stays itself: it is a subclass."""
        if type(error) is sqlite3.DatabaseError:
            raise AssistantError(f"{self.path} is damaged ({error}): run `assistant index --rebuild`") from error

    def _query(self, sql: str, parameters=()) -> list[tuple]:
        with self._lock:
            try:
                return self._db.execute(sql, parameters).fetchall()
            except sqlite3.DatabaseError as error:
                self._raise_if_damaged(error)
                raise

    # ------------------------------------------------------------ reading
    def count(self) -> int:
        return self._query("SELECT count(*) FROM articles")[0][0]

    def hashes(self) -> dict[str, str]:
        return dict(self._query("SELECT doc_id, hash FROM articles"))

    def sources(self) -> dict[str, str]:
        return dict(self._query("SELECT doc_id, source FROM articles"))

    def get(self, doc_id: str) -> Document | None:
        found = self._query("SELECT document FROM articles WHERE doc_id = ?", (doc_id,))
        return Document.from_json(found[0][0]) if found else None

    def all(self) -> list[Document]:
        return [Document.from_json(row[0]) for row in self._query("SELECT document FROM articles ORDER BY doc_id")]

    def chunk_ids(self) -> list[str]:
        return [row[0] for row in self._query("SELECT node_id FROM chunks ORDER BY node_id")]

    def search(self, query: str, k: int) -> list[tuple[BaseNode, float]]:
        """The `k` chunks that rank highest by BM25 for the query's keyword terms, best first, with the BM25
        score (FTS5's rank is its negation)."""
        terms = list(dict.fromkeys(keyword_terms(query)))
        if not terms:
            return []
        match = " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
        rows = self._query(
            "SELECT chunks.node, terms.rank FROM terms JOIN chunks ON chunks.id = terms.rowid "
            "WHERE terms MATCH ? ORDER BY terms.rank LIMIT ?",
            (match, k),
        )
        return [(TextNode.from_json(node), -rank) for node, rank in rows]

    # ------------------------------------------------------------ writing: each call is one transaction
    def put(self, documents: list[Document], nodes: list[BaseNode]) -> None:
        """Store (or replace) the articles with their chunks and keyword terms."""
        by_article: dict[str, list[BaseNode]] = {d.doc_id: [] for d in documents}
        for node in nodes:
            by_article[node.ref_doc_id].append(node)
        with self._transaction() as db:
            self._delete(db, list(by_article))
            for document in documents:
                db.execute(
                    "INSERT INTO articles VALUES (?, ?, ?, ?)",
                    (document.doc_id, document.hash, document.metadata.get("source", ""), document.to_json()),
                )
                for node in by_article[document.doc_id]:
                    stored = node.model_copy(update={"embedding": None})  # the vector lives in Chroma
                    cursor = db.execute(
                        "INSERT INTO chunks (node_id, doc_id, node) VALUES (?, ?, ?)",
                        (node.node_id, document.doc_id, stored.to_json()),
                    )
                    terms = " ".join(keyword_terms(node.get_content(metadata_mode=MetadataMode.EMBED)))
                    db.execute("INSERT INTO terms (rowid, words) VALUES (?, ?)", (cursor.lastrowid, terms))

    def delete(self, doc_ids: list[str]) -> None:
        with self._transaction() as db:
            self._delete(db, doc_ids)

    @staticmethod
    def _delete(db: sqlite3.Connection, doc_ids: list[str]) -> None:
        for doc_id in doc_ids:
            db.execute("DELETE FROM terms WHERE rowid IN (SELECT id FROM chunks WHERE doc_id = ?)", (doc_id,))
            db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
            db.execute("DELETE FROM articles WHERE doc_id = ?", (doc_id,))

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.DatabaseError as error:
                self._raise_if_damaged(error)
                raise

    def close(self) -> None:
        with self._lock:
            self._db.close()
