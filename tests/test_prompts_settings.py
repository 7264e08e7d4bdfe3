import pytest
from pydantic import ValidationError

from assistant.errors import AssistantError
from assistant.prompts import REFUSAL, Prompts, load_prompt
from assistant.settings import PACKAGE_DIR, PROJECT_ROOT, Settings


def test_project_prompts_load_and_carry_the_refusal_phrase():
    prompts = Prompts(Settings().prompts_dir)
    assert REFUSAL in prompts.system and Settings().prompts_dir == PACKAGE_DIR / "prompts"


def test_a_prompt_with_a_wrong_variable_fails_on_load(tmp_path):
    (tmp_path / "answer.md").write_text("Evidence: {evidence}\nQuestion: {questoin}")
    with pytest.raises(AssistantError, match="expected"):
        load_prompt(tmp_path, "answer")


def test_settings_read_the_assistant_prefix(monkeypatch):
    monkeypatch.setenv("ASSISTANT_TOP_K", "9")
    assert Settings().top_k == 9


def test_exposing_the_ui_requires_credentials():
    with pytest.raises(ValidationError, match="USERNAME"):
        Settings(ui_host="0.0.0.0")
    assert Settings(ui_host="0.0.0.0", ui_username="a", ui_password="b").ui_host == "0.0.0.0"


def test_data_folders_sit_beside_a_checkout_and_in_the_user_data_folder_when_installed(monkeypatch, tmp_path):
    from assistant import settings

    assert Settings().index_dir == PROJECT_ROOT / "index" and Settings().corpus_dir == PROJECT_ROOT / "seeds"
    monkeypatch.setattr(settings, "_in_checkout", lambda: False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert Settings().index_dir == tmp_path / "newsdesk-qa" / "index"
    assert Settings().corpus_dir == tmp_path / "newsdesk-qa" / "articles"


def test_worked_examples_load_with_the_refusal_filled_in_and_answer_in_their_language():
    examples = Prompts(Settings().prompts_dir).examples
    assert {e.language for e in examples} == {"en", "de"}
    assert REFUSAL in [e.answer for e in examples]
    # each example's evidence is in the other language for at least one example: cross-lingual answers are shown
    assert any(a["language"] != e.language for e in examples for a in e.articles)


def test_a_malformed_example_fails_on_load_naming_its_line(tmp_path):
    from assistant.prompts import load_examples

    good = '{"question": "Q?", "language": "en", "articles": [{"title": "T", "published": "", "language": "en", "sentences": ["S."]}], "answer": "A [1]."}'
    (tmp_path / "examples.jsonl").write_text(good + "\n" + good.replace('"answer"', '"reply"') + "\n")
    with pytest.raises(AssistantError, match="line 2"):
        load_examples(tmp_path)
    (tmp_path / "examples.jsonl").write_text(good.replace('"en", "articles"', '"fr", "articles"'))
    with pytest.raises(AssistantError, match="line 1"):
        load_examples(tmp_path)
