"""Gradio chat: streamed answers with their sources, a corpus panel (search, pages, upload, remove), readable
errors.

A thin layer over `stream_answer`, `index_paths` and `remove_articles`; every rendering step is a plain function
so it can be tested without a browser.
"""

import html
import itertools
import logging
import re
from pathlib import Path

from .answering import Answer, stream_answer
from .corpus import SUFFIXES
from .errors import AssistantError, InputError
from .indexing import Progress, index_paths, remove_articles
from .settings import Settings, quiet_environment
from .text import MARKER

log = logging.getLogger(__name__)

EXAMPLE_COUNT = 4
PAGE_ROWS = 20  # articles per page of the Corpus panel: thousands of articles never arrive as one table
# A question about an article, in the article's language, naming its title and date.
_EXAMPLE = {"de": "Was berichtet „{title}“ ({date})?", "en": "What does “{title}” ({date}) report?"}
CONTEXT_CHARS = 220
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
CSS = """
.src { border-left: 3px solid #6b8afd; padding: 4px 10px; margin: 8px 0; }
.src-head { font-size: 0.85em; color: #555; }
.src mark { background: #ffe58a; padding: 0 2px; }
.abstained { border-left: 3px solid #d9822b; padding: 4px 10px; }
.searched { font-size: 0.85em; color: #555; }
"""


def render_answer(result: Answer) -> str:
    """Chat text: markers link to their source entries; an abstention looks different from an answer."""
    if result.abstained:
        return f"⚠️ **{result.text}**  \n_{result.reason}_"
    # the marker keeps the space before it: "[3]" becomes a link to source 3
    return MARKER.sub(
        lambda m: m.group(0).replace(f"[{m.group(1)}]", f"[[{m.group(1)}]](#src-{m.group(1)})"), result.text
    )


def render_sources(result: Answer, article_text) -> str:
    """HTML for the sources panel: each citation's quote highlighted in its surrounding text."""
    if result.abstained:
        searched = "".join(
            f"<li><b>{html.escape(p.title)}</b> ({html.escape(p.language)}): {html.escape(p.text[:160])}…</li>"
            for p in result.searched[:6]
        )
        return (
            f"<div class='abstained'><b>{html.escape(result.text)}</b> {html.escape(result.reason)}</div>"
            f"<div class='searched'>Searched the index for “{html.escape(result.question)}” and read:"
            f"<ul>{searched or '<li>nothing (the index is empty)</li>'}</ul></div>"
        )
    parts = []
    for n, c in enumerate(result.citations, 1):
        text = article_text(c.doc_id)
        before = text[max(0, c.start - CONTEXT_CHARS) : c.start]
        after = text[c.end : c.end + CONTEXT_CHARS]
        meta = " · ".join(html.escape(x) for x in (c.published or "date unknown", c.language, c.doc_id))
        parts.append(
            f"<div class='src' id='src-{n}'><div class='src-head'>[{n}] <b>{html.escape(c.title)}</b> · {meta}</div>"
            f"<div>…{html.escape(before)}<mark>{html.escape(c.quote)}</mark>{html.escape(after)}…</div></div>"
        )
    return "".join(parts)


def example_questions(store, count: int = EXAMPLE_COUNT) -> list[str]:
    """Questions about the newest indexed articles (none for an empty index): examples that fit this corpus."""
    newest = sorted(store.articles(), key=lambda a: (a.metadata.get("published", ""), a.doc_id), reverse=True)
    return [
        _EXAMPLE.get(a.metadata.get("language"), _EXAMPLE["en"]).format(
            title=a.metadata.get("title", a.doc_id).rstrip(".?!"), date=a.metadata.get("published") or "undated"
        )
        for a in newest[:count]
    ]


def corpus_page(store, query: str = "", page: int = 1) -> tuple[list[list], int, str]:
    """One page of the indexed articles whose title contains `query` (any case): its rows, the page number
    shown (clamped to the pages there are) and a line saying where in the list it is."""
    needle = query.strip().casefold()
    found = [a for a in store.articles() if needle in a.metadata.get("title", "").casefold()]
    pages = max(1, -(-len(found) // PAGE_ROWS))
    page = min(max(1, int(page)), pages)
    shown = found[(page - 1) * PAGE_ROWS : page * PAGE_ROWS]
    counts = store.chunk_doc_ids([a.doc_id for a in shown])
    rows = [
        [
            a.metadata.get("title", ""),
            a.metadata.get("published", ""),
            a.metadata.get("language", ""),
            counts.get(a.doc_id, 0),
            a.doc_id,
        ]
        for a in shown
    ]
    if not found:
        return rows, page, f"No title contains “{query.strip()}”." if needle else "The index holds no articles yet."
    first = (page - 1) * PAGE_ROWS + 1
    matching = f" whose title contains “{query.strip()}”" if needle else ""
    return rows, page, f"Articles {first}–{first + len(shown) - 1} of {len(found)}{matching} · page {page} of {pages}"


def save_upload(upload: str, corpus_dir: Path, max_bytes: int) -> Path:
    """Copy an uploaded file into the corpus folder under a safe name; refuse other types and sizes. A file of
    the same type and bytes already there is returned instead (one article, no second file); a different file
    whose name is taken gets the next free one (`name-2.html`): nothing is ever overwritten."""
    source = Path(upload)
    suffix = source.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"{source.name}: only {', '.join(SUFFIXES)} files can be added")
    size = source.stat().st_size
    if size > max_bytes:
        raise InputError(
            f"{source.name} has {size:,} bytes, over the {max_bytes:,}-byte limit (ASSISTANT_MAX_ARTICLE_BYTES)"
        )
    name = _SAFE_NAME.sub("_", source.stem).strip("._") or "article"
    corpus = corpus_dir.resolve()
    if (corpus / f"{name}{suffix}").resolve().parent != corpus:  # belt and braces: the name was sanitised
        raise InputError(f"{source.name}: not a valid file name")
    corpus.mkdir(parents=True, exist_ok=True)
    data = source.read_bytes()
    for existing in sorted(corpus.iterdir()):
        same_kind = existing.suffix.lower() == suffix and existing.is_file() and existing.stat().st_size == size
        if same_kind and existing.read_bytes() == data:
            return existing
    for number in itertools.count(1):
        target = corpus / (f"{name}{suffix}" if number == 1 else f"{name}-{number}{suffix}")
        try:
            with open(target, "xb") as handle:  # exclusive: two uploads of one name never overwrite each other
                handle.write(data)
            return target
        except FileExistsError:
            continue


def add_upload(pipeline, upload: str, progress: Progress | None = None) -> str:
    """Store an uploaded file in the corpus folder and index it; the line the Corpus panel shows."""
    settings = pipeline.settings
    target = save_upload(upload, settings.corpus_dir, settings.max_article_bytes)
    report = index_paths(pipeline, [target], progress=progress)
    notes = " ".join(f"{s.path}: {s.reason}." for s in report.skipped)
    return f"{Path(upload).name} → {target.name}: {report.summary()} {notes}".strip()


def build_app(pipeline):
    quiet_environment()
    import gradio as gr

    def respond(message: str, chat: list, history: list):
        chat = [*chat, {"role": "user", "content": message}, {"role": "assistant", "content": ""}]
        try:
            result = None
            for item in stream_answer(pipeline, message, [tuple(turn) for turn in history]):
                if isinstance(item, Answer):
                    result = item
                else:
                    chat[-1]["content"] += item
                    yield chat, gr.skip(), history, ""
            chat[-1]["content"] = render_answer(result)
            if not result.abstained:
                history = [*history, [result.question, result.text]]
            yield chat, render_sources(result, pipeline.article_text), history, ""
        except AssistantError as error:
            chat[-1]["content"] = f"⛔ {error}"
            yield chat, gr.skip(), history, message
        except Exception as error:  # the app keeps serving; the log has the details
            log.exception("answering failed")
            chat[-1]["content"] = f"⛔ internal error ({error.__class__.__name__}); the server log has details"
            yield chat, gr.skip(), history, message

    def new_conversation():
        return [], "", [], ""

    def show_corpus(query: str, page: int):
        try:
            return corpus_page(pipeline.store, query, page)
        except AssistantError as error:
            return [], 1, f"⛔ {error}"

    def add_article(upload, query: str, page: int, progress=gr.Progress()):
        if not upload:
            return *show_corpus(query, page), "Choose a .txt, .md or .html file first."
        try:
            progress(0, desc=f"indexing {Path(upload).name}")
            status = add_upload(pipeline, upload, lambda done, total: progress(done / max(total, 1)))
        except AssistantError as error:
            status = f"⛔ {error}"
        return *show_corpus(query, page), status

    def remove_article(doc_id: str, query: str, page: int):
        if not doc_id.strip():
            return *show_corpus(query, page), "Click an article's row (or type its doc_id) first.", doc_id
        try:
            status = "  \n".join(remove_articles(pipeline, [doc_id.strip()]).lines())
        except AssistantError as error:
            return *show_corpus(query, page), f"⛔ {error}", doc_id
        return *show_corpus(query, page), status, ""

    def pick_row(event: gr.SelectData):  # Gradio passes the event by this annotation, evaluated here
        return event.row_value[-1]  # the doc_id column

    with gr.Blocks(title="newsdesk-qa") as app:
        gr.Markdown(
            "## newsdesk-qa\nAsk in English or German. Answers come only from the indexed articles, with their sources."
        )
        history = gr.State([])
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(label="Conversation", height=460, elem_id="chat")
                question = gr.Textbox(
                    placeholder="Ask about the articles…", show_label=False, elem_id="question", max_lines=4
                )
                with gr.Row():
                    ask = gr.Button("Ask", variant="primary", elem_id="ask")
                    clear = gr.Button("New conversation", elem_id="new-conversation")
                examples = example_questions(pipeline.store)
                if examples:
                    gr.Examples(examples, inputs=question, label="Examples from the indexed articles")
            with gr.Column(scale=2):
                gr.Markdown("### Sources")
                sources = gr.HTML("<i>The sources of each answer appear here.</i>", elem_id="sources")
        with gr.Accordion("Corpus", open=False, elem_id="corpus"):
            with gr.Row():
                search = gr.Textbox(
                    placeholder="Search titles…", show_label=False, elem_id="corpus-search", scale=4, max_lines=1
                )
                previous = gr.Button("◀ Previous", elem_id="corpus-previous", scale=1)
                following = gr.Button("Next ▶", elem_id="corpus-next", scale=1)
            page = gr.State(1)
            where = gr.Markdown(elem_id="corpus-where")
            table = gr.Dataframe(
                headers=["title", "date", "language", "chunks", "doc_id"], interactive=False, elem_id="corpus-table"
            )
            with gr.Row():
                doomed = gr.Textbox(
                    label="doc_id to remove (click a row to fill it in)", elem_id="remove-id", scale=4, max_lines=1
                )
                remove = gr.Button("Remove from index", variant="stop", elem_id="remove", scale=1)
            upload = gr.File(label="Add an article (.txt, .md, .html)", file_types=list(SUFFIXES), elem_id="upload")
            add = gr.Button("Add to index", elem_id="add")
            status = gr.Markdown(elem_id="corpus-status")

        outputs = [chatbot, sources, history, question]
        ask.click(respond, [question, chatbot, history], outputs, api_name="ask")
        question.submit(respond, [question, chatbot, history], outputs, api_name=False)
        clear.click(new_conversation, None, outputs, api_name=False)
        # one queue for everything that reads or writes the corpus: a page is never read while an upload writes
        listing, corpus = [table, page, where], {"concurrency_id": "corpus", "api_name": False}
        search.submit(lambda query: show_corpus(query, 1), search, listing, **corpus)
        previous.click(lambda query, n: show_corpus(query, n - 1), [search, page], listing, **corpus)
        following.click(lambda query, n: show_corpus(query, n + 1), [search, page], listing, **corpus)
        table.select(pick_row, None, doomed, api_name=False)
        remove.click(remove_article, [doomed, search, page], [*listing, status, doomed], **corpus)
        add.click(
            add_article, [upload, search, page], [*listing, status], concurrency_id="corpus", api_name="add_article"
        )
        app.load(lambda: show_corpus("", 1), None, listing, **corpus)
    return app


def launch(settings: Settings, pipeline=None, **kwargs):
    from .pipeline import Pipeline

    pipeline = pipeline or Pipeline(settings)
    auth = None
    if settings.ui_username and settings.ui_password:
        auth = (settings.ui_username, settings.ui_password.get_secret_value())
    app = build_app(pipeline)
    app.queue(default_concurrency_limit=1)  # one LLM: answers queue rather than fight for two cores
    app.launch(
        server_name=settings.ui_host,
        server_port=settings.ui_port,
        auth=auth,
        share=False,
        max_file_size=settings.max_article_bytes,
        css=CSS,
        show_error=False,
        **kwargs,
    )
    return app  # with prevent_thread_lock=True the caller gets the running app (app.local_url, app.close())
