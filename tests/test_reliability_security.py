"""Security defaults: loopback binding, credentials when exposed, no telemetry."""

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from assistant import Pipeline
from assistant.settings import Settings
from assistant.ui import launch

from fakes import FakeEmbedding, FakeLLM
from support import free_port

TELEMETRY = ("ANONYMIZED_TELEMETRY", "GRADIO_ANALYTICS_ENABLED", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


def test_defaults_bind_loopback_and_exposure_needs_credentials():
    assert Settings().ui_host == "127.0.0.1"
    with pytest.raises(ValidationError):
        Settings(ui_host="0.0.0.0")


def test_telemetry_is_off_once_the_pipeline_exists(tmp_path):
    """In a process whose environment says nothing (conftest sets these variables for the tests themselves)."""
    quiet = {k: v for k, v in os.environ.items() if k not in TELEMETRY}
    script = (
        "import os; from assistant import Pipeline; from assistant.settings import Settings; "
        f"p = Pipeline(Settings(index_dir={str(tmp_path)!r})); "
        "print([os.environ.get(k) for k in ('ANONYMIZED_TELEMETRY', 'GRADIO_ANALYTICS_ENABLED', 'HF_HUB_OFFLINE')])"
    )
    found = subprocess.run([sys.executable, "-c", script], env=quiet, capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "['False', 'False', '1']"
    pipeline = Pipeline(Settings(index_dir=tmp_path), embed_model=FakeEmbedding(), llm=FakeLLM(lambda p: ""))
    assert pipeline.store.client.get_settings().anonymized_telemetry is False


def test_credentials_are_required_when_set(tmp_path):
    from gradio_client import Client

    settings = Settings(index_dir=tmp_path, ui_port=free_port(), ui_username="editor", ui_password="s3cret")
    pipeline = Pipeline(settings, embed_model=FakeEmbedding(), llm=FakeLLM(lambda p: ""))
    app = launch(settings, pipeline, prevent_thread_lock=True, quiet=True)
    try:
        with pytest.raises(Exception):  # noqa: B017 (gradio_client has no dedicated error for a refused login)
            Client(app.local_url, verbose=False)
        client = Client(app.local_url, auth=("editor", "s3cret"), verbose=False)
        chat, _, _ = client.predict("", [], api_name="/ask")
        assert "empty" in str(chat[-1]["content"])
    finally:
        app.close()
