"""The issue's must-show questions, answered by the real LLM over the seed index."""

import pytest

from assistant import answer
from assistant.prompts import REFUSAL

pytestmark = pytest.mark.llm

GERMAN, ENGLISH = "000_c5ab56776a2f2db6", "003_d92ff9ce8cfcd715"


def assert_verbatim(pipeline, result):
    assert result.citations
    for c in result.citations:
        assert pipeline.article_text(c.doc_id)[c.start : c.end] == c.quote


def test_marriage_2004_to_2007_cites_the_german_article(seed_pipeline):
    result = answer("When were Britney Spears and Kevin Federline married?", pipeline=seed_pipeline)
    assert not result.abstained and "2004" in result.text and "2007" in result.text
    assert any(c.doc_id == GERMAN and "2004 bis 2007" in c.quote for c in result.citations)
    assert_verbatim(seed_pipeline, result)


def test_kevin_moved_to_hawaii_in_august_2023(seed_pipeline):
    result = answer("When did Kevin move to Hawaii?", pipeline=seed_pipeline)
    assert not result.abstained and "August" in result.text and "2023" in result.text
    assert_verbatim(seed_pipeline, result)


def test_lynne_spears_is_68_from_the_english_article(seed_pipeline):
    result = answer("Wie alt ist Lynne Spears?", pipeline=seed_pipeline)
    assert not result.abstained and "68" in result.text and result.language == "de"
    assert any(c.doc_id == ENGLISH and "68" in c.quote for c in result.citations)
    assert_verbatim(seed_pipeline, result)


def test_net_worth_abstains(seed_pipeline):
    result = answer("What is Britney Spears' net worth?", pipeline=seed_pipeline)
    assert result.abstained and result.text == REFUSAL and result.citations == []
