"""The persistent index: chunk vectors in Chroma; articles, chunks and the keyword index in SQLite beside them.

Layout of `index_dir`: `chroma/` (embedded Chroma; absent in server mode), `articles.sqlite3` (articles with their
text and content hash, their chunks, the keyword index: see `articles.py`), `manifest.json` (what it was built
with), `sources.json` (the folders it was built from), `.lock` (one writer at a time), `.writing` (present while a
write is under way or after one was killed: the next writer then looks for orphan chunks).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from llama_index.core.schema import BaseNode, Document
from llama_index.core.vector_stores.utils import metadata_dict_to_node
from llama_index.vector_stores.chroma import ChromaVectorStore

from . import articles, manifest
from .errors import AssistantError
from .settings import Settings

WRITING = ".writing"
# What older layouts kept beside Chroma: a rebuild clears them too.
_OLDER_FILES = ("docstore.json", "bm25", "bm25.stale")
_PAGE = 5000


def persistent_client(path: Path):
    """An embedded Chroma client on `path`, telemetry off."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))


def chroma_client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    if settings.chroma_host:
        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        try:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        except Exception as error:  # chromadb raises plain ValueError/ConnectionError here
            raise AssistantError(
                f"Chroma server at {settings.chroma_host}:{settings.chroma_port} is not answering ({error}): start it or unset ASSISTANT_CHROMA_HOST"
            ) from error
    path = settings.index_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return persistent_client(path)


class IndexStore:
    """Everything persisted about the corpus, opened once per process."""

    def __init__(self, settings: Settings, client=None, expected: dict | None = None):
        """`expected`: the manifest the settings call for; an index built otherwise refuses to open."""
        self.settings = settings
        self.dir = settings.index_dir
        self.expected = expected
        try:
            self.client = client if client is not None else chroma_client(settings)
            width = {"ef_search": settings.hnsw_ef_search}
            self.collection = self.client.get_or_create_collection(
                settings.collection, configuration={"hnsw": {"space": "cosine", **width}}
            )
            if self.collection.configuration["hnsw"]["ef_search"] != settings.hnsw_ef_search:
                # a search-time width, not part of the vectors: changed in place, in effect once the index loads
                self.collection.modify(configuration={"hnsw": width})
        except AssistantError:
            raise
        except Exception as error:  # a damaged chroma.sqlite3 surfaces as any of several chromadb/sqlite errors
            raise AssistantError(
                f"the index in {self.dir} cannot be opened ({error.__class__.__name__}): run `assistant index --rebuild`"
            ) from error
        self.vector_store = ChromaVectorStore(chroma_collection=self.collection)
        self.articles_db = articles.ArticleStore(self.dir / articles.FILE)
        if expected is not None and (self.collection.count() or self.articles_db.count()):
            where = (
                f"{settings.chroma_host}:{settings.chroma_port} ({settings.collection})"
                if settings.chroma_host
                else self.dir
            )
            manifest.check(self.stored_manifest(), expected, where)

    # ------------------------------------------------------------ what the index was built with
    def stored_manifest(self) -> dict | None:
        if self.settings.chroma_host:  # the vectors live on the server: so does the record of how they were made
            found = (self.collection.metadata or {}).get(manifest.COLLECTION_KEY)
            return json.loads(found) if found else None
        return manifest.read(self.dir)

    def record_manifest(self) -> None:
        if self.expected is None:
            return
        manifest.write(self.dir, self.expected)
        if self.settings.chroma_host:
            metadata = {**(self.collection.metadata or {}), manifest.COLLECTION_KEY: json.dumps(self.expected)}
            metadata.pop("hnsw:space", None)  # fixed at creation; Chroma refuses to be asked to change it
            self.collection.modify(metadata=metadata)

    # ------------------------------------------------------------ articles
    def article_hashes(self) -> dict[str, str]:
        """doc_id -> content hash of every article the index holds."""
        return self.articles_db.hashes()

    def article_sources(self) -> dict[str, str]:
        """doc_id -> the file each article was read from."""
        return self.articles_db.sources()

    def article(self, doc_id: str) -> Document | None:
        return self.articles_db.get(doc_id)

    def articles(self) -> list[Document]:
        return self.articles_db.all()

    def save_articles(self, documents: list[Document], nodes: list[BaseNode]) -> None:
        """Store (or replace) articles with their chunks and keyword terms, in one transaction; callers put the
        chunks into Chroma first."""
        self.articles_db.put(documents, nodes)

    def forget_articles(self, doc_ids: list[str]) -> None:
        """Out of SQLite with their chunks and keyword terms, in one transaction. Callers delete the Chroma
        chunks afterwards, never before: a kill in between leaves orphan chunks, which the next write deletes,
        never an article listed without its chunks."""
        self.articles_db.delete(doc_ids)

    # ------------------------------------------------------------ chunks
    def chunk_count(self) -> int:
        return self.collection.count()

    def _pages(self, include: list[str], where: dict | None = None) -> Iterator[dict]:
        offset = 0
        while True:
            page = self.collection.get(include=include, where=where, limit=_PAGE, offset=offset)
            if not page["ids"]:
                return
            yield page
            offset += len(page["ids"])

    def chunk_doc_ids(self, only: list[str] | None = None) -> dict[str, int]:
        """doc_id -> number of chunks Chroma holds for it (for the articles in `only`, when given: one page of
        a table need not read the metadata of every chunk)."""
        if only is not None and not only:
            return {}
        counts: dict[str, int] = {}
        where = {"document_id": {"$in": only}} if only is not None else None
        for page in self._pages(["metadatas"], where):
            for metadata in page["metadatas"]:
                doc_id = metadata.get("document_id") or metadata.get("doc_id")
                counts[doc_id] = counts.get(doc_id, 0) + 1
        return counts

    def orphan_doc_ids(self) -> set[str]:
        """Articles Chroma holds chunks of but SQLite does not: what a killed run leaves behind
        (reads the metadata of every chunk, so only after an interrupted write)."""
        return set(self.chunk_doc_ids()) - set(self.article_hashes())

    def all_chunks(self) -> Iterator[BaseNode]:
        for page in self._pages(["documents", "metadatas"]):
            for text, metadata in zip(page["documents"], page["metadatas"]):
                node = metadata_dict_to_node(metadata, text=text)
                yield node

    # ------------------------------------------------------------ keyword index
    def keyword_search(self, query: str, k: int) -> list[tuple[BaseNode, float]]:
        return self.articles_db.search(query, k)

    # ------------------------------------------------------------ writers
    @contextmanager
    def write_lock(self) -> Iterator[bool]:
        """One writer at a time (`assistant index`, `assistant remove`, an upload in the chat); a second one stops
        at once with a clear message. `.writing` marks the write under way until it completes; the lock yields
        whether the previous write never completed (killed, or stopped by an error), in which case Chroma may
        hold chunks of articles SQLite does not know."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / ".lock", "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise AssistantError(
                    f"the index in {self.dir} is being written by {holder}: wait for it to finish, then run again"
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}")
            handle.flush()
            marker = self.dir / WRITING
            interrupted = marker.exists()
            try:
                marker.touch()
                yield interrupted
                marker.unlink()
            finally:
                handle.truncate(0)
                fcntl.flock(handle, fcntl.LOCK_UN)


def reset_index(settings: Settings) -> None:
    """Delete everything under `index_dir` (and the collection on a Chroma server)."""
    if settings.chroma_host:
        client = chroma_client(settings)
        with contextlib.suppress(Exception):  # absent collection: nothing to delete
            client.delete_collection(settings.collection)
    else:  # chromadb keeps one client per path in the process: drop it, or it would serve the deleted files
        from chromadb.api.client import SharedSystemClient

        SharedSystemClient.clear_system_cache()
    names = ("chroma", articles.FILE, articles.FILE + "-wal", articles.FILE + "-shm", WRITING)
    for name in names + _OLDER_FILES + (manifest.MANIFEST, manifest.SOURCES):
        path = settings.index_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
