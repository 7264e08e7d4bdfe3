"""`assistant` command line: models, index, remove, list, ask, chat, eval, bench, xquad. A thin layer over the
package's functions."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import ValidationError

from .errors import AssistantError


def _settings(args):
    from .settings import Settings

    overrides = {}
    if getattr(args, "index_dir", None):
        overrides["index_dir"] = Path(args.index_dir).resolve()
    return Settings(**overrides)


def cmd_models(args) -> None:
    from .models import provision

    settings = _settings(args)
    statuses = provision(settings)
    if args.embed_gguf:
        from .embed_server import build_gguf

        statuses.append(build_gguf(settings, Path(args.embed_gguf)))
    for status in statuses:
        print(f"{status.name}: {status.message}" + (f" ({status.path})" if status.path else ""))


def cmd_embed_server(args) -> None:
    from .embed_server import server_command

    command = server_command(_settings(args), args.port)
    os.execv(command[0], command)  # the server becomes this process: a signal to it stops the server


@contextmanager
def _progress_bar(desc: str) -> Iterator[Callable[[int, int], None]]:
    """A (done, total) callback drawing a tqdm bar on stderr, created at the first report."""
    from tqdm import tqdm

    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="article", desc=desc)
        bar.update(done - bar.n)

    try:
        yield progress
    finally:
        if bar is not None:
            bar.close()


def cmd_index(args) -> None:
    from .indexing import index_paths
    from .manifest import source_folders
    from .pipeline import Pipeline
    from .store import reset_index

    settings = _settings(args)
    # read before a rebuild deletes the record: `--rebuild` starts over with the same folders
    paths = [Path(p) for p in args.paths] or source_folders(settings.index_dir) or [settings.corpus_dir]
    if args.rebuild:
        reset_index(settings)
    with _progress_bar("indexing") as progress:
        report = index_paths(Pipeline(settings), paths, progress=progress)
    for skipped in report.skipped:
        print(f"{skipped.path}: {skipped.reason}", file=sys.stderr)
    print(report.summary())


def cmd_remove(args) -> None:
    from .indexing import remove_articles
    from .pipeline import Pipeline

    with _progress_bar("removing") as progress:
        report = remove_articles(Pipeline(_settings(args)), args.doc_ids, progress=progress)
    print("\n".join(report.lines()))


def cmd_list(args) -> None:
    from .pipeline import Pipeline

    articles = Pipeline(_settings(args)).store.articles()
    if not articles:
        print("The index holds no articles: `assistant index` adds them.")
    for article in articles:
        meta = article.metadata
        fields = (meta.get("published") or "undated", meta.get("language", ""), meta.get("title", ""))
        print("\t".join((article.doc_id, *fields, meta.get("source", ""))))


def cmd_ask(args) -> None:
    from .answering import Answer, stream_answer
    from .pipeline import Pipeline

    result = None
    for item in stream_answer(Pipeline(_settings(args)), " ".join(args.question)):
        if isinstance(item, Answer):
            result = item
    print(result.text if not result.abstained else f"{result.text} {result.reason}")
    for n, citation in enumerate(result.citations, 1):
        print(f'[{n}] {citation.doc_id} | {citation.title} | "{citation.quote}"')


def cmd_chat(args) -> None:
    from .ui import launch

    launch(_settings(args))


def cmd_eval(args) -> None:
    from .evaluation import Run, run_eval
    from .suites import suite

    out = Path(args.out or f"evals/out/{args.suite}")
    sys.exit(run_eval(_settings(args), suite(args.suite), out, Run(llm=args.llm, baseline=args.baseline)))


def cmd_bench(args) -> None:
    from .bench import run_bench

    parts = ["indexing", "answering", "scale", "startup"] if "all" in args.parts else args.parts

    def sizes(text: str) -> list[int]:
        return [int(size) for size in text.split(",") if size.strip()]

    run_bench(
        _settings(args),
        parts,
        Path(args.out),
        args.articles,
        args.queries,
        args.questions,
        sizes(args.sizes),
        sizes(args.vector_sizes),
    )


def cmd_xquad(args) -> None:
    from .xquad import run_xquad

    folder = Path(args.data)
    if not (folder / "xquad.de.public.json").is_file():
        raise AssistantError(
            f"no XQuAD files in {folder}: pass --data FOLDER (with xquad.de.public.json and xquad.en.public.json)"
        )
    run_xquad(_settings(args), folder, Path(args.out), args.sample)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="Grounded answers from news articles.",
        epilog="Data folders: in a source checkout, index/ and seeds/ beside the package; installed, "
        "~/.local/share/newsdesk-qa/index and ~/.local/share/newsdesk-qa/articles (XDG_DATA_HOME moves both; "
        "ASSISTANT_INDEX_DIR and ASSISTANT_CORPUS_DIR set each). Models are built once into ~/.cache/newsdesk-qa.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("models", help="build and verify the bundled models (idempotent)")
    p.add_argument(
        "--embed-gguf",
        metavar="CONVERTER",
        help="also convert the embedder to a GGUF for the embedding server, with llama.cpp's converter in this folder",
    )
    p.set_defaults(func=cmd_models)

    p = sub.add_parser(
        "embed-server",
        help="serve the bundled embedder on ASSISTANT_EMBED_API_BASE (llama.cpp's OpenAI-compatible server; set up by `./run.sh embed-server`)",
    )
    p.add_argument("--port", type=int, help="port (default: the one in ASSISTANT_EMBED_API_BASE)")
    p.set_defaults(func=cmd_embed_server)

    p = sub.add_parser(
        "index",
        help="add and update article files (.txt, .md, .html); articles whose files under PATHS are gone leave",
    )
    p.add_argument(
        "paths",
        nargs="*",
        help="files or folders; folders are remembered (default: the remembered folders, else ASSISTANT_CORPUS_DIR)",
    )
    p.add_argument("--index-dir", help="index folder (default: ASSISTANT_INDEX_DIR)")
    p.add_argument(
        "--rebuild",
        action="store_true",
        help="delete the index first and build it anew (from PATHS or the same folders)",
    )
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("remove", help="take articles out of the index (their files stay)")
    p.add_argument("doc_ids", nargs="+", metavar="DOC_ID", help="as `assistant list` shows them")
    p.add_argument("--index-dir")
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("list", help="the indexed articles: doc_id, date, language, title, file (tab-separated)")
    p.add_argument("--index-dir")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("ask", help="answer one question with citations")
    p.add_argument("question", nargs="+")
    p.add_argument("--index-dir")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="start the chat UI")
    p.add_argument("--index-dir")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("eval", help="run an eval suite with the real models (its own corpus and index)")
    p.add_argument("--suite", default="seeds", help="seeds (the two seed articles) or news (57 real articles)")
    p.add_argument(
        "--llm",
        default="all",
        choices=["all", "ci", "none"],
        help="which cases the LLM answers: all, the suite's fixed CI subset, or none (retrieval stages only)",
    )
    p.add_argument(
        "--baseline", type=int, default=8, help="cases the stock LlamaIndex engine also answers (latency ratio)"
    )
    p.add_argument("--out", help="report folder (default: evals/out/SUITE)")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("bench", help="benchmarks, as ratios against baselines run in the same process")
    p.add_argument(
        "parts",
        nargs="*",
        default="all",  # a string: argparse checks a default against the choices, and a list is not one of them
        choices=["all", "indexing", "answering", "scale", "startup", "soak", "haystack", "vectors"],
        help="all (the default): every part but soak, haystack and vectors, which are long (memory over many answers in one process; the news benchmark among up to 5,000 articles; synthetic collections of up to 1M vectors)",
    )
    p.add_argument("--out", default="benchmarks/out")
    p.add_argument("--articles", type=int, default=300, help="news articles for the indexing benchmark")
    p.add_argument("--queries", type=int, default=200, help="queries for the retrieval-at-scale benchmark")
    p.add_argument(
        "--questions", type=int, default=200, help="questions the soak asks in one process (news suite, no hold-out)"
    )
    p.add_argument(
        "--sizes",
        default="50,1000,2500,5000",
        help="haystack sizes in articles, comma-separated (each index is built once per embedder precision and reused)",
    )
    p.add_argument(
        "--vector-sizes",
        default="100000,1000000",
        help="synthetic collection sizes in vectors, comma-separated (each built once and reused)",
    )
    p.add_argument("--index-dir")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("xquad", help="cross-lingual benchmark on XQuAD (German/English)")
    p.add_argument(
        "--data",
        default=str(Path(__file__).resolve().parent.parent / "benchmarks" / "xquad"),
        help="folder with xquad.de.public.json and xquad.en.public.json (default: the copy in benchmarks/xquad)",
    )
    p.add_argument("--out", default="benchmarks/out/xquad")
    p.add_argument(
        "--sample", type=int, default=30, help="questions answered by the LLM per direction (0: retrieval only)"
    )
    p.set_defaults(func=cmd_xquad)
    return parser


def main(argv: list[str] | None = None) -> None:
    from .settings import quiet_environment

    quiet_environment()
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except AssistantError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    except ValidationError as error:  # a bad ASSISTANT_* value: name the setting, not a stack trace
        first = error.errors()[0]
        print(f"error: setting {'.'.join(map(str, first['loc'])) or 'ASSISTANT_*'}: {first['msg']}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
