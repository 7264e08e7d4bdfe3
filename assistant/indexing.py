"""Incremental, idempotent indexing of article files into the persistent store, and taking articles out.

The article store remembers each article's hash, so unchanged articles are skipped, changed ones replaced and
vanished ones (files gone from the paths indexed) removed. Work is committed in batches: Chroma first, then one
SQLite transaction with the articles, their chunks and keyword terms; for removals SQLite first. So a run killed
at any point leaves an index the next run repairs: after a write that never completed, chunks whose article
SQLite does not know are orphans and are deleted before anything else. What a write costs follows the articles it
changes, not the size of the index.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.schema import Document

from . import manifest
from .chunking import SentenceChunker
from .corpus import Article, Skipped, doc_id_for, find_article_files, read_article
from .errors import AssistantError
from .memory import release_freed_memory

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


def corpus_files(paths: list[Path]) -> tuple[list[Path], list[Skipped]]:
    """The article files under `paths`, each once (overlapping folders or a symlink can lead to a file twice).
    Only names: the files are read one at a time while indexing, so memory does not grow with the corpus."""
    files: dict[str, Path] = {}
    skipped: list[Skipped] = []
    for found in find_article_files(paths):
        if isinstance(found, Skipped):
            skipped.append(found)
        else:
            files.setdefault(doc_id_for(found), found)
    return list(files.values()), skipped


def _under(source: str, roots: list[Path]) -> bool:
    """Whether an article's file lies under one of the roots. Callers pass the roots that exist: one that is
    gone, say an unmounted disk, covers nothing, so its articles stay rather than all leave."""
    return any(Path(source).is_relative_to(root) for root in roots)


def index_paths(pipeline, paths: list[Path], *, progress: Progress | None = None) -> IndexReport:
    """Add and update the articles under `paths`, and remove those whose files under `paths` are gone; articles
    from other places stay. The folders among `paths` are remembered, so a bare `assistant index` refreshes them.

    Articles stream through: each file is read, compared by hash with what the index holds, and a changed one
    waits in a batch of `index_batch` that is embedded and committed before the next files are read. Progress
    counts the files looked at."""
    store, settings = pipeline.store, pipeline.settings
    roots = [path.resolve() for path in paths]
    report = IndexReport()
    files, report.skipped = corpus_files(roots)
    with store.write_lock() as interrupted:
        store.record_manifest()  # before the first change, so a killed first run leaves a labelled index
        manifest.remember_folders(store.dir, [root for root in roots if root.is_dir()])
        if interrupted:  # chunks a killed run left behind
            for doc_id in store.orphan_doc_ids():
                store.vector_store.delete(doc_id)
                report.orphans_removed += 1
        known = store.article_hashes()
        seen: set[str] = set()
        batch: list[Document] = []
        ingest = None

        def commit() -> None:
            nonlocal ingest
            if ingest is None:  # the embedder loads only when there is something to embed
                ingest = IngestionPipeline(
                    transformations=[SentenceChunker(chunk_chars=settings.chunk_chars), pipeline.embed_model],
                    vector_store=store.vector_store,
                    disable_cache=True,  # the hashes already skip unchanged articles; a cache would hold every node
                )
            for document in batch:
                if document.doc_id in known:  # its older chunks leave before the new ones arrive
                    store.vector_store.delete(document.doc_id)
            store.save_articles(batch, ingest.run(documents=batch))
            batch.clear()
            release_freed_memory()  # the embedder's buffers, fragmented by each batch's shapes (memory.py)

        if progress:
            progress(0, len(files))
        for done, path in enumerate(files, 1):
            article = read_article(path, settings.max_article_bytes)
            if isinstance(article, Skipped):
                report.skipped.append(article)
                continue
            seen.add(article.doc_id)
            document = to_document(article)
            if known.get(document.doc_id) == document.hash:
                report.unchanged += 1
                continue
            (report.updated if document.doc_id in known else report.added).append(document.doc_id)
            batch.append(document)
            if len(batch) >= settings.index_batch:
                commit()
                if progress:
                    progress(done, len(files))
        if batch:
            commit()
        if progress:
            progress(len(files), len(files))
        present = [root for root in roots if root.exists()]
        report.removed = sorted(
            doc_id
            for doc_id, source in store.article_sources().items()
            if doc_id not in seen and _under(source, present)
        )
        if report.removed:
            store.forget_articles(report.removed)
            for doc_id in report.removed:
                store.vector_store.delete(doc_id)
        report.added.sort()
        report.updated.sort()
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
    """Take articles out of the index, crash-safe like indexing: SQLite forgets them with their chunks and
    keyword terms (one transaction: the point of no return), then their chunks leave Chroma. A run killed on the
    way leaves orphan chunks, which the next `assistant index` or `assistant remove` deletes; a doc_id whose
    chunks are still there counts as known."""
    store = pipeline.store
    wanted = list(dict.fromkeys(doc_ids))
    report = RemoveReport()
    with store.write_lock() as interrupted:
        known = store.article_hashes()
        orphans = store.orphan_doc_ids() if interrupted else set()
        unknown = [d for d in wanted if d not in known and d not in orphans]
        if unknown:
            more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
            raise AssistantError(
                f"no article {unknown[0]!r} in the index{more}: `assistant list` shows the doc_ids of the indexed articles"
            )
        folders = [folder for folder in manifest.source_folders(store.dir) if folder.exists()]
        leaving = set(wanted)
        sources = [s for d, s in store.article_sources().items() if d in leaving]
        report.returning = sorted(s for s in sources if _under(s, folders) and Path(s).is_file())
        doomed = sorted(set(wanted) | orphans)
        if progress:
            progress(0, len(doomed))
        store.forget_articles([d for d in wanted if d in known])
        for done, doc_id in enumerate(doomed, 1):
            store.vector_store.delete(doc_id)
            if progress:
                progress(done, len(doomed))
        report.removed = wanted
        report.orphans_removed = len(orphans - leaving)
        report.articles = len(store.article_hashes())
        report.chunks = store.chunk_count()
    return report
