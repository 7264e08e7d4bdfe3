"""Gradio chat: streamed answers with their sources, a corpus panel with upload, readable errors.

A thin layer over `stream_answer` and `index_paths`; every rendering step is a plain function so it can be
tested without a browser.
"""

from __future__ import annotations

import html
import logging
import re
import shutil
from pathlib import Path

from .answering import Answer, stream_answer
from .corpus import SUFFIXES
from .errors import AssistantError, InputError
from .indexing import index_paths
from .settings import Settings, quiet_environment
from .text import MARKER

log = logging.getLogger(__name__)

EXAMPLE_COUNT = 4
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


def corpus_rows(store) -> list[list]:
    counts = store.chunk_doc_ids()
    return [
        [
            a.metadata.get("title", ""),
            a.metadata.get("published", ""),
            a.metadata.get("language", ""),
            counts.get(a.doc_id, 0),
            a.doc_id,
        ]
        for a in store.articles()
    ]


def save_upload(upload: str, corpus_dir: Path, max_bytes: int) -> Path:
    """Copy an uploaded file into the corpus folder under a safe name; refuse other types and sizes."""
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
    target = (corpus / f"{name}{suffix}").resolve()
    if target.parent != corpus:  # belt and braces: the name was sanitised, the path must still be inside
        raise InputError(f"{source.name}: not a valid file name")
    corpus.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def build_app(pipeline):
    quiet_environment()
    import gradio as gr

    settings: Settings = pipeline.settings

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

    def corpus_table():
        try:
            return corpus_rows(pipeline.store)
        except AssistantError as error:
            gr.Warning(str(error))
            return []

    def add_article(upload, progress=gr.Progress()):
        if not upload:
            return gr.skip(), "Choose a .txt, .md or .html file first."
        try:
            target = save_upload(upload, settings.corpus_dir, settings.max_article_bytes)
            progress(0, desc=f"indexing {target.name}")
            report = index_paths(
                pipeline, [target], add_only=True, progress=lambda done, total: progress(done / max(total, 1))
            )
        except AssistantError as error:
            return gr.skip(), f"⛔ {error}"
        notes = " ".join(f"{s.path}: {s.reason}." for s in report.skipped)
        return corpus_rows(pipeline.store), f"{target.name}: {report.summary()} {notes}".strip()

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
            table = gr.Dataframe(
                headers=["title", "date", "language", "chunks", "doc_id"], interactive=False, elem_id="corpus-table"
            )
            upload = gr.File(label="Add an article (.txt, .md, .html)", file_types=list(SUFFIXES), elem_id="upload")
            add = gr.Button("Add to index", elem_id="add")
            status = gr.Markdown(elem_id="corpus-status")

        outputs = [chatbot, sources, history, question]
        ask.click(respond, [question, chatbot, history], outputs, api_name="ask")
        question.submit(respond, [question, chatbot, history], outputs, api_name=False)
        clear.click(new_conversation, None, outputs, api_name=False)
        add.click(add_article, upload, [table, status], api_name="add_article")
        app.load(corpus_table, None, table, api_name=False)
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
