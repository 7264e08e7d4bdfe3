"""The chat UI as a person uses it: real models, headless Chromium driven by Playwright, and gradio_client."""

import shutil

import pytest
from conftest import SEEDS

from assistant import Pipeline
from assistant.indexing import index_paths
from assistant.settings import PROJECT_ROOT, Settings
from assistant.ui import launch

from support import browser_page, free_port, text_of

pytestmark = [pytest.mark.browser, pytest.mark.llm]

OUT = PROJECT_ROOT / "tests" / "out"


@pytest.fixture(scope="module")
def app_url(seed_pipeline, tmp_path_factory):
    """The app on 127.0.0.1 over a copy of the seeds (uploads must not touch the project's seeds/)."""
    root = tmp_path_factory.mktemp("ui")
    shutil.copytree(SEEDS, root / "corpus")
    settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index", ui_port=free_port())
    pipeline = Pipeline(settings, embed_model=seed_pipeline.embed_model, llm=seed_pipeline.llm)
    index_paths(pipeline, [settings.corpus_dir])
    app = launch(settings, pipeline, prevent_thread_lock=True, quiet=True)
    yield app.local_url.rstrip("/")
    app.close()


@pytest.fixture(scope="module")
def page(app_url):
    with browser_page(app_url) as page:
        page.wait_for_selector("#question textarea")
        yield page


def ask(page, question: str) -> None:
    page.fill("#question textarea", question)
    page.click("#ask")


def test_cross_lingual_answer_streams_and_shows_the_german_quote(page):
    ask(page, "How old is Jayden, Britney's youngest son?")
    page.wait_for_selector("#sources mark", timeout=240_000)
    answer = page.locator("#chat .message").last.inner_text()
    assert "18" in answer
    assert "Jayden (18)" in page.locator("#sources mark").first.inner_text()
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / "ui-answer.png"), full_page=True)


def test_new_conversation_clears_the_chat(page):
    page.click("#new-conversation")
    page.wait_for_function("document.querySelectorAll('#chat .message').length === 0", timeout=30_000)


def test_empty_question_shows_a_readable_error(page):
    ask(page, "   ")
    error = page.locator("#chat .bot", has_text="question is empty").last
    error.wait_for(timeout=30_000)
    assert "Traceback" not in page.content()


def test_uploaded_article_is_indexed_and_listed(page, tmp_path):
    article = tmp_path / "harbour news.md"
    article.write_text(
        "# Harbour opens in Nordstadt\nThe new harbour of Nordstadt opened on Monday after three years of work."
    )
    page.click("#corpus button, #corpus .label-wrap")
    page.set_input_files("#upload input[type=file]", str(article))
    page.click("#add")
    page.locator("#corpus-status", has_text="added").wait_for(timeout=120_000)
    page.locator("#corpus-table", has_text="Harbour opens in Nordstadt").wait_for(timeout=30_000)


def test_gradio_client_gets_an_answer_as_an_api(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    chat, sources, _question = client.predict("Wie alt ist Britneys Schwester Jamie Lynn?", [], api_name="/ask")
    text = text_of(chat[-1])
    assert "32" in text and "32-year-old" in sources
