"""The UI's rendering and upload rules, without a browser."""

import pytest

from assistant.answering import Answer, Citation
from assistant.errors import InputError
from assistant.retrieval import Passage
from assistant.ui import render_answer, render_sources, save_upload

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
