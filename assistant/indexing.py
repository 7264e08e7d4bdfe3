"""Incremental, idempotent indexing of article files into the persistent store, and taking articles out.

The docstore remembers each article's hash, so unchanged articles are skipped, changed ones replaced and
vanished ones (files gone from the paths indexed) removed. Work is committed in batches (Chroma first, then the
docstore, atomically; for removals the docstore first), so a run killed at any point leaves an index the next
run repairs: chunks whose article the docstore does not know are orphans and are deleted before anything else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from llama_index.core.ingestion import DocstoreStrategy, IngestionPipeline
from llama_index.core.schema import Document

from . import manifest
from .chunking import SentenceChunker
from .corpus import Article, Skipped, doc_id_for, find_article_files, read_article
from .errors import AssistantError

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
    """Articles under `paths`, each file once (overlapping folders or a symlink can lead to a file twice)."""
    articles: dict[str, Article] = {}
    skipped: list[Skipped] = []
    for found in find_article_files(paths):
        if isinstance(found, Skipped):
            skipped.append(found)
        elif doc_id_for(found) not in articles:
            result = read_article(found, max_bytes)
            if isinstance(result, Skipped):
                skipped.append(result)
            else:
                articles[result.doc_id] = result
    return list(articles.values()), skipped


def _under(source: str, roots: list[Path]) -> bool:
    """Whether an article's file lies under one of the roots (a root that is gone, say an unmounted disk,
    covers nothing: its articles stay rather than all leave)."""
    return any(root.exists() and Path(source).is_relative_to(root) for root in roots)


def index_paths(pipeline, paths: list[Path], *, progress: Progress | None = None) -> IndexReport:
    """Add and update the articles under `paths`, and remove those whose files under `paths` are gone; articles
    from other places stay. The folders among `paths` are remembered, so a bare `assistant index` refreshes them."""
    store, settings = pipeline.store, pipeline.settings
    roots = [path.resolve() for path in paths]
    report = IndexReport()
    articles, report.skipped = read_corpus(roots, settings.max_article_bytes)
    with store.write_lock():
        store.record_manifest()  # before the first change, so a killed first run leaves a labelled index
        manifest.remember_folders(store.dir, [root for root in roots if root.is_dir()])
        for doc_id in store.orphan_doc_ids():  # chunks left behind by a killed run
            store.vector_store.delete(doc_id)
            report.orphans_removed += 1
        known = store.article_hashes()
        wanted = {a.doc_id: to_document(a) for a in articles}
        report.removed = [
            d.doc_id for d in store.articles() if d.doc_id not in wanted and _under(d.metadata.get("source", ""), roots)
        ]
        todo = [d for d in wanted.values() if known.get(d.doc_id) != d.hash]
        report.unchanged = len(wanted) - len(todo)
        report.added = sorted(d.doc_id for d in todo if d.doc_id not in known)
        report.updated = sorted(d.doc_id for d in todo if d.doc_id in known)
        if report.changed:
            store.mark_keyword_index_stale()
        if report.removed:
            store.forget_articles(report.removed)
            for doc_id in report.removed:
                store.vector_store.delete(doc_id)
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


@dataclass
class RemoveReport:
    removed: list[str] = field(default_factory=list)
    returning: list[str] = field(default_factory=list)  # sources of removed articles still in a remembered folder
    orphans_removed: int = 0
    articles: int = 0
    chunks: int = 0

    def lines(self) -> list[str]:
        head = f"Removed {len(self.removed)} article(s)."
        if self.orphans_removed:
            head += f" Repaired: removed chunks of {self.orphans_removed} half-indexed article(s)."
        lines = [f"{head} Index holds {self.articles} articles in {self.chunks} chunks."]
        if self.returning:
            lines.append(
                f"{len(self.returning)} removed article(s) still have their file in a folder the index follows "
                f"({self.returning[0]}{', …' if len(self.returning) > 1 else ''}): the next bare `assistant index` "
                "adds them back unless the files are moved or deleted."
            )
        return lines


def remove_articles(pipeline, doc_ids: list[str], *, progress: Progress | None = None) -> RemoveReport:
    """Take articles out of the index, crash-safe like indexing: the keyword index is marked stale, the docstore
    forgets them (saved atomically: the point of no return), then their chunks leave Chroma and the keyword index
    is rebuilt. A run killed on the way leaves orphan chunks and a stale keyword index, which the next
    `assistant index` or `assistant remove` repairs; a doc_id whose chunks are still there counts as known."""
    store = pipeline.store
    wanted = list(dict.fromkeys(doc_ids))
    report = RemoveReport()
    with store.write_lock():
        known = store.article_hashes()
        orphans = store.orphan_doc_ids()
        unknown = [d for d in wanted if d not in known and d not in orphans]
        if unknown:
            more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
            raise AssistantError(
                f"no article {unknown[0]!r} in the index{more}: `assistant list` shows the doc_ids of the indexed articles"
            )
        folders = manifest.source_folders(store.dir)
        sources = {d.doc_id: d.metadata.get("source", "") for d in store.articles() if d.doc_id in wanted}
        report.returning = sorted(s for s in sources.values() if _under(s, folders) and Path(s).is_file())
        store.mark_keyword_index_stale()
        doomed = sorted(set(wanted) | orphans)
        if progress:
            progress(0, len(doomed))
        store.forget_articles([d for d in wanted if d in known])
        for done, doc_id in enumerate(doomed, 1):
            store.vector_store.delete(doc_id)
            if progress:
                progress(done, len(doomed))
        store.rebuild_keyword_index()
        report.removed = wanted
        report.orphans_removed = len(orphans - set(wanted))
        report.articles = len(store.article_hashes())
        report.chunks = store.chunk_count()
    return report
