"""`assistant bench soak` with the fakes: one RSS point per answer, the summary and chart it writes."""

import json

import pytest

from assistant.bench import bench_soak, soak_chart, soak_questions
from assistant.indexing import index_paths
from assistant.suites import suite

from fakes import SAMPLE_ARTICLES, answer_from, make_pipeline, write_articles

QUESTIONS = ["When did the new harbour open?", "Wann wurde der Bahnhof gebaut?", "How much did the harbour cost?"]


@pytest.fixture
def pipeline(tmp_path):
    pipeline = make_pipeline(tmp_path, answer_from("harbour opened on Monday", "The harbour opened on Monday"))
    write_articles(tmp_path / "corpus", SAMPLE_ARTICLES)
    index_paths(pipeline, [tmp_path / "corpus"])
    return pipeline


def test_soak_records_memory_after_every_answer_and_summarises_it(pipeline, tmp_path, capsys):
    result = json.loads(json.dumps(bench_soak(pipeline, QUESTIONS, 20)))  # what the JSON file holds
    assert result["questions"] == 20 and result["distinct_questions"] == 3
    assert len(result["rss_mb"]) == len(result["answer_s"]) == 20
    assert all(mb > 10 for mb in result["rss_mb"])  # a Python process with these libraries loaded
    assert result["rss_first_mb"] == result["rss_mb"][0] and result["rss_last_mb"] == result["rss_mb"][-1]
    assert result["growth_last_half_mb"] == pytest.approx(result["rss_mb"][-1] - result["rss_mb"][10])
    assert result["growth_first_quarter_mb"] == pytest.approx(result["rss_mb"][4] - result["rss_mb"][0])
    assert result["levelled_off"] is True  # 20 fake answers cannot grow by 50 MB
    assert 0 < result["abstained"] < 20  # the fake answers the harbour question only
    assert 0 < result["embedding_cache_mb"] < 1
    printed = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in printed] == ["soak 10/20", "soak 20/20"]
    soak_chart(result, tmp_path / "soak.png")
    assert (tmp_path / "soak.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_soak_asks_the_news_suites_first_questions_and_never_a_held_out_one():
    news = suite("news")
    cases = [json.loads(line) for line in news.cases.read_text(encoding="utf-8").splitlines() if line.strip()]
    held_out = set(json.loads(news.holdout.read_text()))
    questions = soak_questions(news)
    allowed = {c["question"] for c in cases if c["id"] not in held_out and not c["history"]}
    assert set(questions) == allowed and len(questions) == len(allowed)
    assert not {c["question"] for c in cases if c["id"] in held_out} & set(questions)
    assert questions == soak_questions(news)  # the same order on every run


def test_bench_parses_no_parts_as_all_and_the_soak_length():
    from assistant.cli import build_parser

    assert "all" in build_parser().parse_args(["bench"]).parts  # a bare `assistant bench` once failed to parse
    args = build_parser().parse_args(["bench", "soak", "--questions", "30"])
    assert (args.parts, args.questions) == (["soak"], 30)
