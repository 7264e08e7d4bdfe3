"""Eight chat sessions at once through gradio_client against a running app: all answered, none mixed up."""

import json
import resource
import shutil
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import SEEDS

from assistant import Pipeline
from assistant.indexing import index_paths
from assistant.settings import PROJECT_ROOT, Settings
from assistant.ui import launch

from support import free_port, text_of

pytestmark = [pytest.mark.llm, pytest.mark.browser]

SESSIONS = [  # (question, a fact only its own answer holds)
    ("When did Kevin move to Hawaii?", "2023"),
    ("Wie alt ist Britneys Schwester Jamie Lynn?", "32"),
    ("When were Britney Spears and Kevin Federline married?", "2004"),
    ("What is the name of Kevin's lawyer?", "Kaplan"),
    ("How old is Jayden, Britney's youngest son?", "18"),
    ("Who is Britney's manager?", "Cade Hudson"),
    ("Where did Lynne share photos of the mementos?", "Instagram"),
    ("What is Britney Spears' net worth?", "don't say"),
]


def test_eight_concurrent_sessions(seed_pipeline, tmp_path):
    from gradio_client import Client

    shutil.copytree(SEEDS, tmp_path / "corpus")
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", ui_port=free_port())
    pipeline = Pipeline(settings, embed_model=seed_pipeline.embed_model, llm=seed_pipeline.llm)
    index_paths(pipeline, [settings.corpus_dir])
    app = launch(settings, pipeline, prevent_thread_lock=True, quiet=True)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def session(item):
        question, fact = item
        client = Client(app.local_url, verbose=False)  # one client, one session (its own State)
        started = time.perf_counter()
        chat, _sources, _ = client.predict(question, [], api_name="/ask")
        return question, fact, text_of(chat[-1]), time.perf_counter() - started

    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=len(SESSIONS)) as pool:
            results = list(pool.map(session, SESSIONS))
        wall = time.perf_counter() - started
    finally:
        app.close()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for question, fact, reply, _ in results:
        assert fact in reply, (question, reply)  # answered, and with its own session's answer
        assert "⛔" not in reply
    latencies = sorted(r[3] for r in results)
    figures = {
        "sessions": len(results),
        "wall_s": wall,
        "throughput_answers_per_min": 60 * len(results) / wall,
        "p50_s": statistics.median(latencies),
        "p95_s": latencies[int(0.95 * (len(latencies) - 1))],
        "peak_rss_growth_mb": rss_after - rss_before,
    }
    out = PROJECT_ROOT / "tests" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "load.json").write_text(json.dumps(figures, indent=2))
    print(f"\nload: {figures}")
    assert figures["peak_rss_growth_mb"] < 1500  # models are shared: sessions add state, not model copies
