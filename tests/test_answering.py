import pytest

from assistant import Answer, answer, retrieve, stream_answer
from assistant.corpus import doc_id_for
from assistant.errors import AssistantError, InputError, LLMUnavailable
from assistant.indexing import index_paths
from assistant.prompts import REFUSAL

from fakes import SAMPLE_ARTICLES, answer_from, make_pipeline, write_articles

COST = "The harbour cost 40 million euros"


def indexed(tmp_path, respond, **overrides):
    write_articles(tmp_path / "corpus", SAMPLE_ARTICLES)
    pipeline = make_pipeline(tmp_path, respond, **overrides)
    index_paths(pipeline, [tmp_path / "corpus"])
    return pipeline


def test_answer_cites_a_verbatim_quote(tmp_path):
    pipeline = indexed(
        tmp_path, answer_from(COST, "The harbour cost 40 million euros, a city official told the Herald")
    )
    result = answer("How much did the harbour cost?", pipeline=pipeline)
    assert not result.abstained
    assert result.text.endswith("[1].") and "40 million" in result.text
    [citation] = result.citations
    assert citation.doc_id == doc_id_for(tmp_path / "corpus" / "alpha.txt") and COST in citation.quote
    assert pipeline.article_text(citation.doc_id)[citation.start : citation.end] == citation.quote


def test_made_up_number_becomes_an_abstention(tmp_path):
    pipeline = indexed(tmp_path, answer_from(COST, "The harbour cost 55 million euros"))
    result = answer("How much did the harbour cost?", pipeline=pipeline)
    assert result.abstained and result.citations == [] and result.text == REFUSAL
    assert "55 million" in result.draft and "verified" in result.reason


def test_refusal_abstains_and_shows_what_was_searched(tmp_path):
    pipeline = indexed(tmp_path, lambda prompt: REFUSAL)
    result = answer("What is the mayor's net worth?", pipeline=pipeline)
    assert result.abstained and result.reason and result.searched


def test_german_question_gets_a_german_abstention(tmp_path):
    pipeline = indexed(tmp_path, lambda prompt: REFUSAL)
    result = answer("Wie hoch ist das Vermögen der Bürgermeisterin?", pipeline=pipeline)
    assert result.abstained and result.language == "de" and result.text != REFUSAL


def test_a_later_batch_is_tried_when_the_first_is_refused(tmp_path):
    llm_rule = answer_from("renoviert", "Er wurde 2020 renoviert")
    pipeline = indexed(tmp_path, llm_rule, evidence_prompt_chars=1, evidence_prompts=4)
    result = answer("Wann wurde der Bahnhof gebaut und renoviert?", pipeline=pipeline)
    assert not result.abstained and "2020" in result.text
    assert len(pipeline.llm.prompts) >= 2  # the first prompt did not hold the answer


def test_stream_yields_text_then_the_answer_and_never_a_refusal_that_is_overturned(tmp_path):
    pipeline = indexed(tmp_path, answer_from("1998", "Der Bahnhof wurde 1998 gebaut"), evidence_prompt_chars=1)
    items = list(stream_answer("Wann wurde der Bahnhof gebaut?", pipeline=pipeline))
    assert isinstance(items[-1], Answer) and not items[-1].abstained
    streamed = "".join(i for i in items if isinstance(i, str))
    assert streamed.startswith("Der Bahnhof") and REFUSAL not in streamed


def test_follow_up_uses_the_conversation(tmp_path):
    pipeline = indexed(tmp_path, answer_from("renoviert", "Er wurde 2020 renoviert"))
    history = [("Wann wurde der Bahnhof gebaut?", "Der Bahnhof wurde 1998 gebaut [1].")]
    result = answer("Und wann renoviert?", history, pipeline=pipeline)
    assert not result.abstained and "2020" in result.text
    assert "Wann wurde der Bahnhof gebaut?" in pipeline.llm.prompts[-1]


@pytest.mark.parametrize("question", ["", "   \n\t", "\x00\x01"])
def test_empty_questions_are_rejected_with_a_clear_message(tmp_path, question):
    with pytest.raises(InputError, match="empty"):
        answer(question, pipeline=make_pipeline(tmp_path))


def test_huge_question_is_rejected_before_any_work(tmp_path):
    pipeline = make_pipeline(tmp_path)
    with pytest.raises(InputError, match="limit"):
        answer("why " * 25_000, pipeline=pipeline)
    assert pipeline.llm.prompts == []


def test_llm_failure_is_one_clear_error(tmp_path):
    def broken(prompt):
        raise ConnectionError("connection refused")

    pipeline = indexed(tmp_path, broken)
    with pytest.raises(LLMUnavailable, match="failed"):
        answer("How much did the harbour cost?", pipeline=pipeline)


def test_retrieve_returns_offsets_into_the_article(tmp_path):
    pipeline = indexed(tmp_path, lambda prompt: REFUSAL)
    passages = retrieve("Norway ships harbour", k=2, pipeline=pipeline)
    assert passages[0].doc_id == doc_id_for(tmp_path / "corpus" / "alpha.txt")
    for p in passages:
        assert pipeline.article_text(p.doc_id)[p.start : p.end] == p.text


def test_empty_index_says_how_to_fill_it(tmp_path):
    pipeline = make_pipeline(tmp_path)
    with pytest.raises(AssistantError, match="is empty: run `assistant index`"):
        answer("How much did the harbour cost?", pipeline=pipeline)
    assert pipeline.llm.prompts == []


def test_a_refusal_followed_by_a_sourced_correction_keeps_the_correction(tmp_path):
    corrected = lambda prompt: f"{REFUSAL} {answer_from(COST, 'But the harbour cost 40 million euros')(prompt)}"  # noqa: E731
    pipeline = indexed(tmp_path, corrected)
    result = answer("Did the harbour cost 90 million euros?", pipeline=pipeline)
    assert not result.abstained and "40 million" in result.text


def test_worked_examples_are_earlier_turns_and_the_question_comes_last(tmp_path):
    from assistant.answering import build_messages
    from assistant.evidence import Evidence
    from assistant.prompts import Prompts
    from assistant.settings import Settings

    prompts = Prompts(Settings().prompts_dir)
    evidence = [Evidence("d", "Harbour opens", "The harbour cost 40 million euros.", 0, 34, 0.9, "en", "2021-05-04")]
    messages = build_messages(prompts, evidence, "How much did the harbour cost?", "en", ())
    roles = [m.role.value for m in messages]
    assert roles == ["system"] + ["user", "assistant"] * len(prompts.examples) + ["user"]
    assert [m.content for m in messages[2:-1:2]] == [e.answer for e in prompts.examples]
    assert "[1] The harbour cost 40 million euros." in messages[-1].content
    assert messages[-1].content.endswith("Question: How much did the harbour cost?\nAnswer in English.")
    other = build_messages(prompts, evidence, "Wer baute den Hafen?", "de", ())
    assert [m.content for m in other[:-1]] == [m.content for m in messages[:-1]]  # a constant, cached prefix


def test_a_question_asking_two_things_is_answered_a_part_at_a_time(tmp_path):
    def respond(prompt):
        asked = prompt.rsplit("Question:", 1)[-1]
        if "harbour" in asked:
            return answer_from(COST, "The harbour cost 40 million euros")(prompt)
        return answer_from("1998", "Der Bahnhof wurde 1998 gebaut")(prompt)

    pipeline = indexed(tmp_path, respond)
    result = answer("How much did the harbour cost, and when was the Bahnhof built?", pipeline=pipeline)
    assert not result.abstained and len(pipeline.llm.prompts) == 2
    assert result.text == "The harbour cost 40 million euros [1]. Der Bahnhof wurde 1998 gebaut [2]."
    assert ["40 million" in result.citations[0].quote, "1998" in result.citations[1].quote] == [True, True]
    assert "How much did the harbour cost?" in pipeline.llm.prompts[1]  # the second part follows the first


def test_a_part_the_articles_do_not_answer_is_named_and_a_repeated_answer_said_once(tmp_path):
    def respond(prompt):
        if "harbour" in prompt.rsplit("Question:", 1)[-1]:
            return answer_from(COST, "The harbour cost 40 million euros")(prompt)
        return REFUSAL

    pipeline = indexed(tmp_path, respond)
    result = answer("How much did the harbour cost, and who built the lighthouse?", pipeline=pipeline)
    assert not result.abstained and len(result.citations) == 1
    assert (
        result.text == 'The harbour cost 40 million euros [1]. The articles do not answer "Who built the lighthouse?"'
    )
    repeated = indexed(tmp_path / "again", answer_from(COST, "The harbour cost 40 million euros"))
    result = answer("How much did the harbour cost, and how much did the city pay?", pipeline=repeated)
    assert result.text == "The harbour cost 40 million euros [1]." and len(result.citations) == 1
