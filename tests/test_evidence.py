from assistant.evidence import Evidence, evidence_batches, rank_evidence
from assistant.retrieval import Passage

from fakes import FakeEmbedding

# An article of another town than the seeds': short and long sentences, one German.
ARTICLE = (
    "Nordstadt opened its new library.\n"
    "It holds 40,000 books on four floors, and the reading room on the top floor looks out over the harbour.\n"
    "Die Bibliothek hat 40.000 Bücher.\n"
    "The mayor said the library cost 12 million euros."
)
TEXTS = {"lib": ARTICLE}


def passage() -> Passage:
    return Passage("lib", "Library", ARTICLE, 0, len(ARTICLE), 1.0, "en", "")


def snippet(text: str) -> Evidence:
    start = ARTICLE.index(text)
    return Evidence("lib", "Library", text, start, start + len(text), 0.9, "en", "")


def test_prompts_are_packed_by_characters_and_capped_in_number():
    sentences = [
        "Nordstadt opened its new library.",
        "The mayor said the library cost 12 million euros.",
        "Die Bibliothek hat 40.000 Bücher.",
    ]
    ranked = [snippet(s) for s in sentences]
    batches = evidence_batches(ranked, 90, 5, TEXTS.get)
    assert [[e.sentence for e in b] for b in batches] == [sentences[:2], sentences[2:]]
    # a single snippet longer than the budget still goes, alone; no more prompts than asked for
    assert [len(b) for b in evidence_batches(ranked, 10, 2, TEXTS.get)] == [1, 1]


GERMAN = "Die Stadtbibliothek von Südheim hat 30.000 Bücher."


def test_a_sentence_in_the_other_language_than_the_question_gets_the_bonus():
    texts = {**TEXTS, "bib": GERMAN}
    passages = [passage(), Passage("bib", "Bibliothek", GERMAN, 0, len(GERMAN), 1.0, "de", "")]
    question = "How many books does the library hold?"
    plain = rank_evidence(FakeEmbedding(), question, "en", passages, texts.get, 0.0)
    boosted = rank_evidence(FakeEmbedding(), question, "en", passages, texts.get, 0.0, cross_language_bonus=0.5)
    assert plain[0].doc_id == "lib" and boosted[0].doc_id == "bib"
    assert boosted[0].score == next(e.score for e in plain if e.doc_id == "bib") + 0.5


def test_a_short_sentence_before_comes_along_and_a_long_one_does_not():
    question = "How many books does the library hold?"
    ranked = rank_evidence(FakeEmbedding(), question, "en", [passage()], TEXTS.get, 0.0, previous_sentence_chars=40)
    after_long = next(e for e in ranked if e.sentence.endswith("Bücher."))
    after_short = next(e for e in ranked if e.sentence.endswith("harbour."))
    assert after_long.sentence == "Die Bibliothek hat 40.000 Bücher."
    assert after_short.sentence.startswith("Nordstadt opened its new library.\nIt holds")
    assert all(ARTICLE[e.start : e.end] == e.sentence for e in ranked)


def test_a_follow_up_ranks_by_what_it_asks_more_than_by_the_topic_it_continues():
    # searched as "previous question + follow-up"; the topic's words fill most of that query
    follow_up = "And what did the mayor say it cost?"
    query = "Nordstadt opened its new library, it holds books on four floors over the harbour. " + follow_up
    combined = rank_evidence(FakeEmbedding(), query, "en", [passage()], TEXTS.get, 0.0)
    focused = rank_evidence(FakeEmbedding(), query, "en", [passage()], TEXTS.get, 0.0, question=follow_up)
    cost = "The mayor said the library cost 12 million euros."
    assert [e.sentence for e in focused].index(cost) < [e.sentence for e in combined].index(cost)
