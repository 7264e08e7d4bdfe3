import pytest
from pydantic import ValidationError

from assistant.errors import AssistantError
from assistant.prompts import REFUSAL, Prompts, load_prompt
from assistant.settings import PROJECT_ROOT, Settings


def test_project_prompts_load_and_carry_the_refusal_phrase():
    prompts = Prompts(PROJECT_ROOT / "prompts")
    assert REFUSAL in prompts.system


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
