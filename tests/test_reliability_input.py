"""Bad input gets a one-line message saying what was wrong and what was done, and the rest goes on."""

import os

import pytest

from assistant import answer
from assistant.corpus import doc_id_for
from assistant.errors import InputError
from assistant.indexing import index_paths

from fakes import SAMPLE_ARTICLES, answer_from, make_pipeline, write_articles


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", "empty"),
        (" \t\n ", "empty"),
        ("\x00\x07\x1b", "empty"),
        ("x" * 100_000, "limit"),
        ("¿Cuántos años tiene Lynne Spears?", "English or German"),
    ],
)
def test_bad_questions_get_one_clear_line(tmp_path, question, message):
    pipeline = make_pipeline(tmp_path)
    with pytest.raises(InputError, match=message) as error:
        answer(question, pipeline=pipeline)
    assert "\n" not in str(error.value)
    assert pipeline.llm.prompts == []  # rejected before any work


def test_control_characters_inside_a_question_are_removed(tmp_path):
    write_articles(tmp_path / "corpus", SAMPLE_ARTICLES)
    pipeline = make_pipeline(tmp_path, answer_from("40 million", "It cost 40 million euros"))
    index_paths(pipeline, [tmp_path / "corpus"])
    result = answer("How much did the\x00 harbour\x1b cost?", pipeline=pipeline)
    assert not result.abstained and "\x00" not in result.question


def test_messy_folder_indexes_the_good_files_and_names_each_bad_one(tmp_path):
    corpus = tmp_path / "corpus"
    write_articles(corpus, SAMPLE_ARTICLES)
    (corpus / "empty.txt").write_text("")
    (corpus / "binary.txt").write_bytes(os.urandom(2048).replace(b"\x00", b"\x01") + b"\x00")
    (corpus / "latin1.txt").write_bytes(
        "Die Straße über die Brücke war gesperrt, sagte die Polizei am Montag.".encode("latin-1")
    )
    (corpus / "huge.txt").write_bytes(b"word " * 2_200_000)  # 11 MB
    (corpus / "odd name (1) – ä.md").write_text("# Odd\nA file with an odd name is still an article.")
    (corpus / "page.html").write_text(
        "<html><head><script>alert('x')</script></head><body><nav>Home | News | Sport</nav>"
        "<article><p>The council approved the new bridge on Tuesday after a long debate about its cost.</p>"
        "<p>Construction starts next spring and should take two years, the council said.</p></article>"
        "<script>document.write('ignore this')</script></body></html>"
    )
    (corpus / "sub").mkdir()
    (corpus / "sub" / "loop").symlink_to(corpus)
    pipeline = make_pipeline(tmp_path, max_article_bytes=10_000_000)
    report = index_paths(pipeline, [corpus])
    reasons = {os.path.basename(s.path): s.reason for s in report.skipped}
    assert "no article text" in reasons["empty.txt"]
    assert "binary" in reasons["binary.txt"]
    assert "limit" in reasons["huge.txt"]
    assert any("symlink loop" in r for r in reasons.values())
    names = ("alpha.txt", "beta.txt", "latin1.txt", "odd name (1) – ä.md", "page.html")
    assert set(report.added) == {doc_id_for(corpus / name) for name in names}
    assert "Straße" in pipeline.article_text(doc_id_for(corpus / "latin1.txt"))
    page = pipeline.article_text(doc_id_for(corpus / "page.html"))
    assert "bridge on Tuesday" in page and "alert" not in page and "ignore this" not in page
    assert all("\n" not in s.reason for s in report.skipped)
