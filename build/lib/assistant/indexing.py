"""Incremental, idempotent indexing of article files into the persistent store.

The docstore remembers each article's hash, so unchanged articles are skipped, changed ones replaced and
vanished ones removed. Work is committed in batches (Chroma first, then the docstore, atomically), so a run
killed at any point leaves an index the next run repairs: chunks whose article the docstore does not know
are orphans and are deleted before anything else happens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from llama_index.core.ingestion import DocstoreStrategy, IngestionPipeline
from llama_index.core.schema import Document

from .chunking import SentenceChunker
from .corpus import Article, Skipped, find_article_files, read_article

# Only the title joins the chunk text in the embedding; the rest is bookkeeping.
_NOT_EMBEDDED = ["doc_id", "language", "source", "published", "content_hash"]

Progress = Callable[[int, int], None]  # (articles done, articles to do)


@dataclass
class IndexReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    orphans_removed: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    articles: int = 0
    chunks: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.orphans_removed)

    def summary(self) -> str:
        if not self.changed:
            head = f"Nothing changed: {self.unchanged} articles already indexed and unchanged."
        else:
            head = (
                f"Indexed: {len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
                f"{self.unchanged} unchanged."
            )
            if self.orphans_removed:
                head += f" Repaired: removed chunks of {self.orphans_removed} half-indexed article(s)."
        skipped = f" {len(self.skipped)} file(s) skipped." if self.skipped else ""
        return f"{head}{skipped} Index holds {self.articles} articles in {self.chunks} chunks."


def to_document(article: Article) -> Document:
    return Document(
        id_=article.doc_id,
        text=article.text,
        metadata=article.metadata(),
        excluded_embed_metadata_keys=_NOT_EMBEDDED,
        excluded_llm_metadata_keys=list(article.metadata()),
    )


def read_corpus(paths: list[Path], max_bytes: int) -> tuple[list[Article], list[Skipped]]:
    """Articles under `paths`; duplicates of a doc_id (same file stem twice) are skipped, the first one wins."""
    articles: dict[str, Article] = {}
    skipped: list[Skipped] = []
    for found in find_article_files(paths):
        result = found if isinstance(found, Skipped) else read_article(found, max_bytes)
        if isinstance(result, Skipped):
            skipped.append(result)
        elif result.doc_id in articles:
            skipped.append(
                Skipped(
                    result.source, f"same name as {articles[result.doc_id].source}: skipped (doc_id {result.doc_id})"
                )
            )
        else:
            articles[result.doc_id] = result
    return list(articles.values()), skipped


def index_paths(
    pipeline, paths: list[Path], *, add_only: bool = False, progress: Progress | None = None
) -> IndexReport:
    """Make the index hold exactly the articles under `paths` (or add/update only, with `add_only`)."""
    store, settings = pipeline.store, pipeline.settings
    report = IndexReport()
    articles, report.skipped = read_corpus(paths, settings.max_article_bytes)
    with store.write_lock():
        store.record_manifest()  # before the first change, so a killed first run leaves a labelled index
        known = store.article_hashes()
        for doc_id in set(store.chunk_doc_ids()) - set(known):  # chunks left behind by a killed run
            store.vector_store.delete(doc_id)
            report.orphans_removed += 1
        wanted = {a.doc_id: to_document(a) for a in articles}
        if not add_only:
            report.removed = sorted(set(known) - set(wanted))
        todo = [d for d in wanted.values() if known.get(d.doc_id) != d.hash]
        report.unchanged = len(wanted) - len(todo)
        report.added = sorted(d.doc_id for d in todo if d.doc_id not in known)
        report.updated = sorted(d.doc_id for d in todo if d.doc_id in known)
        if report.changed:
            store.mark_keyword_index_stale()
        for doc_id in report.removed:
            store.remove_article(doc_id)
        if report.removed:
            store.save_docstore()
        if todo:  # the embedder loads only when there is something to embed
            ingest = IngestionPipeline(
                transformations=[SentenceChunker(chunk_chars=settings.chunk_chars), pipeline.embed_model],
                docstore=store.docstore,
                vector_store=store.vector_store,
                docstore_strategy=DocstoreStrategy.UPSERTS,
                disable_cache=True,  # the docstore already skips unchanged articles; a cache would hold every node
            )
            if progress:
                progress(0, len(todo))
            for first in range(0, len(todo), settings.index_batch):
                ingest.run(documents=todo[first : first + settings.index_batch])
                store.save_docstore()
                if progress:
                    progress(min(first + settings.index_batch, len(todo)), len(todo))
        if report.changed or not store.keyword_index_is_current():
            store.rebuild_keyword_index()
        report.articles = len(store.article_hashes())
        report.chunks = store.chunk_count()
    return report
