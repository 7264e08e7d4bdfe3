"""Small helpers shared by the tests that start servers or commands or read chat replies."""

import socket
import sys
from pathlib import Path

ASSISTANT = str(Path(sys.executable).with_name("assistant"))  # the command, from this virtual environment


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def text_of(message: dict) -> str:
    """A chat message's text: Gradio 6 sends a string or a list of typed parts."""
    content = message["content"]
    return content if isinstance(content, str) else " ".join(part.get("text", "") for part in content)
