"""Small helpers shared by the tests that start servers or commands or read chat replies."""

import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ASSISTANT = str(Path(sys.executable).with_name("assistant"))  # the command, from this virtual environment
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@contextmanager
def browser_page(url: str) -> Iterator:
    """A page of Debian's headless Chromium, driven by Playwright, opened at `url`."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run `./run.sh test`, which installs it")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        yield page
        browser.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def text_of(message: dict) -> str:
    """A chat message's text: Gradio 6 sends a string or a list of typed parts."""
    content = message["content"]
    return content if isinstance(content, str) else " ".join(part.get("text", "") for part in content)
