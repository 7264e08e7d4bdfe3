"""The persistent index: chunk vectors in Chroma, article texts and hashes in LlamaIndex's docstore, BM25 beside them.

Layout of `index_dir`: `chroma/` (embedded Chroma; absent in server mode), `docstore.json` (articles with their
text and content hash: what offsets refer to and what dedup compares), `bm25/` (keyword index over all chunks),
`manifest.json` (what it was built with), `sources.json` (the folders it was built from), `.lock` (one writer at a
time).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from llama_index.core.schema import BaseNode, Document
from llama_index.core.storage.docstore import SimpleDocumentStore
from llama_index.core.vector_stores.utils import metadata_dict_to_node
from llama_index.vector_stores.chroma import ChromaVectorStore

from . import manifest
from .errors import AssistantError
from .settings import Settings

DOCSTORE = "docstore.json"
BM25_DIR = "bm25"
BM25_STALE = "bm25.stale"  # present while the keyword index lags behind Chroma (e.g. after a crash)
_PAGE = 5000


def chroma_client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        try:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        except Exception as error:  # chromadb raises plain ValueError/ConnectionError here
            raise AssistantError(
                f"Chroma server at {settings.chroma_host}:{settings.chroma_port} is not answering ({error}): start it or unset ASSISTANT_CHROMA_HOST"
            ) from error
    path = settings.index_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


class IndexStore:
    """Everything persisted about the corpus, opened once per process."""

    def __init__(self, settings: Settings, client=None, expected: dict | None = None):
        """`expected`: the manifest the settings call for; an index built otherwise refuses to open."""
        self.settings = settings
        self.dir = settings.index_dir
        self.expected = expected
        try:
            self.client = client if client is not None else chroma_client(settings)
            self.collection = self.client.get_or_create_collection(
                settings.collection, metadata={"hnsw:space": "cosine"}
            )
        except AssistantError:
            raise
        except Exception as error:  # a damaged chroma.sqlite3 surfaces as any of several chromadb/sqlite errors
            raise AssistantError(
                f"the index in {self.dir} cannot be opened ({error.__class__.__name__}): run `assistant index --rebuild`"
            ) from error
        self.vector_store = ChromaVectorStore(chroma_collection=self.collection)
        self.docstore = self._load_docstore()
        self._bm25 = None
        if expected is not None and (self.collection.count() or self.docstore.docs):
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
    def _load_docstore(self) -> SimpleDocumentStore:
        path = self.dir / DOCSTORE
        if not path.exists():
            return SimpleDocumentStore()
        try:
            return SimpleDocumentStore.from_persist_path(str(path))
        except Exception as error:
            raise AssistantError(
                f"{path} is damaged ({error.__class__.__name__}): run `assistant index --rebuild`"
            ) from error

    def save_docstore(self) -> None:
        """Atomic: a kill mid-write leaves the previous docstore, never half a file."""
        self.dir.mkdir(parents=True, exist_ok=True)
        partial = self.dir / (DOCSTORE + ".partial")
        self.docstore.persist(str(partial))
        os.replace(partial, self.dir / DOCSTORE)

    def article_hashes(self) -> dict[str, str]:
        """doc_id -> hash of every article the docstore holds."""
        return {doc_id: digest for digest, doc_id in self.docstore.get_all_document_hashes().items()}

    def article(self, doc_id: str) -> Document | None:
        found = self.docstore.get_document(doc_id, raise_error=False)
        return found if isinstance(found, Document) else None

    def articles(self) -> list[Document]:
        return sorted((d for d in self.docstore.docs.values() if isinstance(d, Document)), key=lambda d: d.doc_id)

    def forget_articles(self, doc_ids: list[str]) -> None:
        """Out of the docstore, saved. Callers delete the chunks afterwards, never before: a kill in between
        leaves orphan chunks, which the next write deletes, never an article listed without its chunks."""
        for doc_id in doc_ids:
            self.docstore.delete_document(doc_id, raise_error=False)  # drops its hash too
        self.save_docstore()

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
        """Articles Chroma holds chunks of but the docstore does not know: what a killed run leaves behind."""
        return set(self.chunk_doc_ids()) - set(self.article_hashes())

    def all_chunks(self) -> Iterator[BaseNode]:
        for page in self._pages(["documents", "metadatas"]):
            for text, metadata in zip(page["documents"], page["metadatas"]):
                node = metadata_dict_to_node(metadata, text=text)
                yield node

    # ------------------------------------------------------------ keyword index
    def mark_keyword_index_stale(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / BM25_STALE).touch()

    def keyword_index_is_current(self) -> bool:
        return (self.dir / BM25_DIR).is_dir() and not (self.dir / BM25_STALE).exists()

    def rebuild_keyword_index(self) -> None:
        from .retrieval import build_bm25

        target = self.dir / BM25_DIR
        nodes = list(self.all_chunks())
        partial = self.dir / (BM25_DIR + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        if nodes:
            build_bm25(nodes, self.settings.candidate_k).persist(str(partial), show_progress=False)
        else:
            partial.mkdir(parents=True)
        old = self.dir / (BM25_DIR + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        partial.rename(target)
        shutil.rmtree(old, ignore_errors=True)
        (self.dir / BM25_STALE).unlink(missing_ok=True)
        self._bm25 = None

    def bm25(self):
        """The persisted keyword retriever, or None for an empty index."""
        if self._bm25 is None:
            from .retrieval import load_bm25

            self._bm25 = load_bm25(self.dir / BM25_DIR, self.settings.candidate_k)
        return self._bm25

    # ------------------------------------------------------------ writers
    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """One writer at a time (`assistant index`, `assistant remove`, an upload in the chat); a second one stops
        at once with a clear message."""
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
            try:
                yield
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
    for name in ("chroma", BM25_DIR, DOCSTORE, BM25_STALE, manifest.MANIFEST, manifest.SOURCES):
        path = settings.index_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
