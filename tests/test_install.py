"""A wheel installed into a fresh virtual environment indexes and answers, outside the source tree."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT

pytestmark = pytest.mark.install

WHEELS = Path.home() / ".cache" / "newsdesk-qa" / "wheels"  # where run.sh keeps the compiled llama-cpp-python


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=1800, **kwargs)


def test_a_wheel_install_indexes_and_answers(tmp_path):
    # built from a copy: setuptools leaves a build/ folder wherever it builds
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(PROJECT_ROOT / name, source / name)
    shutil.copytree(PROJECT_ROOT / "assistant", source / "assistant", ignore=shutil.ignore_patterns("__pycache__"))
    wheelhouse = tmp_path / "dist"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheelhouse), str(source)])
    wheel = next(wheelhouse.glob("newsdesk_qa-*.whl"))
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    run([*pip, "torch==2.13.0"])  # the CPU build first, as run.sh does
    run([*pip, "--find-links", str(WHEELS), str(wheel)])

    news = tmp_path / "news"
    news.mkdir()
    (news / "harbour.txt").write_text(
        "date 2024-03-01 New harbour opens in Kiel\nThe new harbour in Kiel opened on Friday. "
        "It cost 40 million euros, the city said."
    )
    home = tmp_path / "elsewhere"  # not the checkout: the installed tool keeps its data in the user's data folder
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(XDG_DATA_HOME=str(tmp_path / "data"), PATH=f"{venv / 'bin'}:{env['PATH']}")
    indexed = run(["assistant", "index", str(news)], cwd=home, env=env)
    assert "1 added" in indexed.stdout
    assert (tmp_path / "data" / "newsdesk-qa" / "index" / "manifest.json").is_file()
    answered = run(["assistant", "ask", "How much did the harbour in Kiel cost?"], cwd=home, env=env)
    assert "40" in answered.stdout.splitlines()[0] and "harbour" in answered.stdout
