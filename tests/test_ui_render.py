"""The UI's rendering and upload rules, without a browser."""

import pytest

from assistant.answering import Answer, Citation
from assistant.errors import InputError
from assistant.retrieval import Passage
from assistant.ui import PAGE_ROWS, add_upload, corpus_page, render_answer, render_sources, save_upload

from fakes import make_pipeline

ARTICLE = (
    "Britney habe stets betont, wie wichtig ihr ihre Familie ist. Sie und Kevin waren von 2004 bis 2007 verheiratet."
)
QUOTE = "Sie und Kevin waren von 2004 bis 2007 verheiratet."
START = ARTICLE.index(QUOTE)


def answered():
    citation = Citation("000_x", "Britney <Titel>", QUOTE, START, START + len(QUOTE), "de", 0.9, "")
    return Answer("When?", "They were married from 2004 to 2007 [1].", [citation], False, "en")


def test_markers_link_to_their_source_entry():
    assert render_answer(answered()) == "They were married from 2004 to 2007 [[1]](#src-1)."


def test_sources_highlight_the_quote_inside_its_context_and_escape_html():
    html = render_sources(answered(), lambda doc_id: ARTICLE)
    assert "id='src-1'" in html and f"<mark>{QUOTE}</mark>" in html
    assert "wie wichtig ihr ihre Familie ist." in html  # the surrounding passage
    assert "Britney &lt;Titel&gt;" in html and "date unknown" in html


def test_an_abstention_looks_different_and_shows_what_was_searched():
    passage = Passage("003_y", "Baby Steps", "Will the Spears ladies reunite?", 0, 31, 0.1, "en")
    result = Answer("Net worth?", "The articles don't say.", [], True, "en", "Nothing matches.", [passage])
    assert render_answer(result).startswith("⚠️")
    html = render_sources(result, lambda doc_id: "")
    assert "abstained" in html and "Baby Steps" in html and "Net worth?" in html


def test_upload_keeps_files_inside_the_corpus_with_safe_names(tmp_path):
    corpus = tmp_path / "corpus"
    upload = tmp_path / "up" / "..%2F..%2Fevil name!.md"
    upload.parent.mkdir()
    upload.write_text("# Title\nText.")
    target = save_upload(str(upload), corpus, 10_000)
    assert target.parent == corpus.resolve() and target.name == "2F.._2Fevil_name.md"


def upload_file(tmp_path, name: str, text: str) -> str:
    """A file as Gradio hands an upload over: its original name, in a folder of its own."""
    folder = tmp_path / "uploads" / str(len(list(tmp_path.glob("uploads/*"))))
    folder.mkdir(parents=True)
    (folder / name).write_text(text)
    return str(folder / name)


def test_an_upload_with_a_taken_name_is_stored_under_a_new_one_and_both_articles_stay(tmp_path):
    pipeline = make_pipeline(tmp_path, corpus_dir=tmp_path / "corpus")
    first = add_upload(pipeline, upload_file(tmp_path, "report.md", "# Harbour\nThe harbour opened on Monday."))
    second = add_upload(pipeline, upload_file(tmp_path, "report.md", "# Bahnhof\nDer Bahnhof wurde renoviert."))
    assert "report.md → report.md: Indexed: 1 added" in first and "report.md → report-2.md: Indexed: 1 added" in second
    assert sorted(p.name for p in (tmp_path / "corpus").iterdir()) == ["report-2.md", "report.md"]
    titles = {a.metadata["title"] for a in pipeline.store.articles()}
    assert titles == {"Harbour", "Bahnhof"}


def test_the_same_upload_twice_is_one_article_and_one_file(tmp_path):
    pipeline = make_pipeline(tmp_path, corpus_dir=tmp_path / "corpus")
    text = "# Harbour\nThe harbour opened on Monday."
    add_upload(pipeline, upload_file(tmp_path, "report.md", text))
    again = add_upload(pipeline, upload_file(tmp_path, "copy of report.md", text))
    assert "copy of report.md → report.md: Nothing changed" in again
    assert [p.name for p in (tmp_path / "corpus").iterdir()] == ["report.md"]
    assert len(pipeline.store.articles()) == 1


def test_the_corpus_panel_searches_titles_and_pages(tmp_path):
    from assistant.indexing import index_paths

    from fakes import write_articles

    pipeline = make_pipeline(tmp_path)
    rows, page, where = corpus_page(pipeline.store)
    assert (rows, page, where) == ([], 1, "The index holds no articles yet.")
    articles = {f"n{n:02d}.txt": f"{'Harbour' if n % 3 == 0 else 'Bridge'} news {n}\nText {n}." for n in range(45)}
    write_articles(tmp_path / "corpus", articles)
    index_paths(pipeline, [tmp_path / "corpus"])
    rows, page, where = corpus_page(pipeline.store, "", 3)
    assert len(rows) == 45 - 2 * PAGE_ROWS and page == 3 and where == "Articles 41–45 of 45 · page 3 of 3"
    assert rows[0][0] == "Bridge news 40" and rows[0][3] == 1  # title … chunks, doc_id
    rows, page, where = corpus_page(pipeline.store, "  HARBOUR ", 9)  # any case; a page past the end: the last
    assert page == 1 and len(rows) == 15 and all(r[0].startswith("Harbour") for r in rows)
    assert where == "Articles 1–15 of 15 whose title contains “HARBOUR” · page 1 of 1"
    assert corpus_page(pipeline.store, "tunnel")[2] == "No title contains “tunnel”."


def test_upload_refuses_other_types_and_big_files(tmp_path):
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    with pytest.raises(InputError, match="only"):
        save_upload(str(exe), tmp_path / "corpus", 10_000)
    big = tmp_path / "big.txt"
    big.write_text("x" * 20_000)
    with pytest.raises(InputError, match="limit"):
        save_upload(str(big), tmp_path / "corpus", 10_000)


def test_examples_come_from_the_indexed_articles_with_their_dates(tmp_path):
    from assistant.indexing import index_paths
    from assistant.ui import example_questions

    from fakes import SAMPLE_ARTICLES, make_pipeline, write_articles

    pipeline = make_pipeline(tmp_path)
    assert example_questions(pipeline.store) == []  # an empty index shows none
    write_articles(tmp_path / "corpus", SAMPLE_ARTICLES)
    index_paths(pipeline, [tmp_path / "corpus"])
    examples = example_questions(pipeline.store)
    assert examples[0] == "What does “Harbour opens” (2021-05-04) report?"
    assert examples[1].startswith("Was berichtet „Der Bahnhof wurde 1998 gebaut")
    assert "(undated)" in examples[1] and not any("Britney" in e for e in examples)
