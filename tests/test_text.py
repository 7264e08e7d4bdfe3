import pytest

from assistant.text import question_parts


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        (
            "Wie viel hat die Reederei für das Schiff bezahlt, und wie hoch wird sie selbst bewertet?",
            ["Wie viel hat die Reederei für das Schiff bezahlt?", "Wie hoch wird sie selbst bewertet?"],
        ),
        (
            "What rate did the office report for May and over how many years is the loan meant to run?",
            ["What rate did the office report for May?", "Over how many years is the loan meant to run?"],
        ),
    ],
)
def test_a_question_asking_two_things_splits_into_two_questions(question, parts):
    assert question_parts(question) == parts


@pytest.mark.parametrize(
    "question",
    [
        "Wann wurde der Bahnhof gebaut und renoviert?",  # one question about two events
        "Which mayors, Anna Berg and Tom Krüger, opened the fair?",  # "and" between names
        "In which book, and in what year, did the historian first argue it?",  # a part too short to stand alone
    ],
)
def test_one_question_stays_whole(question):
    assert question_parts(question) == [question]
