import os

# Before anything imports chromadb, gradio or huggingface: offline and silent.
os.environ.update(
    HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False", GRADIO_ANALYTICS_ENABLED="False"
)

import pytest  # noqa: E402

from assistant.settings import PROJECT_ROOT, Settings  # noqa: E402

SEEDS = PROJECT_ROOT / "seeds"


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory) -> Settings:
    """Real models (provisioned by `./run.sh setup`), an index of the seed articles in a temp folder."""
    return Settings(index_dir=tmp_path_factory.mktemp("seed-index"))


@pytest.fixture(scope="session")
def seed_pipeline(seed_settings):
    """One real pipeline for the session: each model loads once."""
    from assistant import Pipeline
    from assistant.indexing import index_paths

    pipeline = Pipeline(seed_settings)
    index_paths(pipeline, [SEEDS])
    return pipeline
