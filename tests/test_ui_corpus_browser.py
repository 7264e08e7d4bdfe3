"""The Corpus panel at scale, in headless Chromium: a few hundred articles arrive a page at a time, a title
search narrows them, and a clicked row is removed. Fake embedder and LLM: no model is loaded. The tests run in
order on one page, as a person would use it."""

import pytest

from assistant.ui import launch

from fakes import make_pipeline, write_articles
from support import browser_page, free_port

pytestmark = pytest.mark.browser

TOPICS = ("Harbour", "Bridge", "Election")
ARTICLES = 240  # 80 a topic, 12 pages of 20


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    from assistant.indexing import index_paths

    root = tmp_path_factory.mktemp("corpus-ui")
    articles = {
        f"n{n:03d}.txt": f"{TOPICS[n % 3]} report {n}\nThe {TOPICS[n % 3].lower()} story number {n}."
        for n in range(ARTICLES)
    }
    write_articles(root / "corpus", articles)
    pipeline = make_pipeline(root, corpus_dir=root / "corpus", ui_port=free_port())
    index_paths(pipeline, [root / "corpus"])
    app = launch(pipeline.settings, pipeline, prevent_thread_lock=True, quiet=True)
    try:
        with browser_page(app.local_url) as page:
            page.click("#corpus .label-wrap")
            yield page
    finally:
        app.close()


def where(page, text: str) -> None:
    page.locator("#corpus-where", has_text=text).wait_for(timeout=30_000)


def column(page, number: int) -> list[str]:
    """The cells of one column, as the (virtualised) table renders them."""
    return page.locator(f"#corpus-table .virtual-row [role=gridcell][data-col='{number}']").all_inner_texts()


def titles(page) -> list[str]:
    return column(page, 0)


def test_the_panel_shows_one_page_and_moves_through_them(page):
    where(page, f"Articles 1–20 of {ARTICLES} · page 1 of 12")
    assert len(titles(page)) == 20 and titles(page)[0] == "Harbour report 0"
    page.click("#corpus-next")
    where(page, f"Articles 21–40 of {ARTICLES} · page 2 of 12")
    assert titles(page)[0] == "Election report 20"
    page.click("#corpus-previous")
    page.click("#corpus-previous")  # not before the first page
    where(page, "page 1 of 12")


def test_a_title_search_narrows_the_list_and_pages_through_the_matches(page):
    page.fill("#corpus-search textarea, #corpus-search input", "bridge")
    page.press("#corpus-search textarea, #corpus-search input", "Enter")
    where(page, "Articles 1–20 of 80 whose title contains “bridge” · page 1 of 4")
    assert all(t.startswith("Bridge report") for t in titles(page))
    for _ in range(5):  # past the last page: stays on it
        page.click("#corpus-next")
    where(page, "Articles 61–80 of 80 whose title contains “bridge” · page 4 of 4")
    assert titles(page)[-1] == "Bridge report 238"


def test_a_clicked_row_is_removed(page):
    from playwright.sync_api import expect

    doomed = column(page, 4)[0]
    page.locator("#corpus-table .virtual-row [role=gridcell][data-col='0']").first.click()
    expect(page.locator("#remove-id textarea, #remove-id input")).to_have_value(doomed, timeout=30_000)
    page.click("#remove")
    page.locator("#corpus-status", has_text="Removed 1 article(s).").wait_for(timeout=30_000)
    where(page, "of 79 whose title contains “bridge”")
    assert doomed not in page.locator("#corpus-table").inner_text()
