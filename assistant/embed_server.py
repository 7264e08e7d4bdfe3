"""An embedding server: llama.cpp's own OpenAI-compatible server, serving the bundled embedder from a GGUF.

`./run.sh embed-server` sets it up and starts it; the `server` tests start it the same way. The GGUF is converted
from the provisioned sentence-transformers build by the converter in llama-cpp-python's source (run.sh fetches
that source from PyPI once), and the server runs in a virtual environment of its own, as a separate deployment
would: the assistant talks to it only over HTTP (`embed_backend=openai`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

from .errors import AssistantError
from .manifest import fingerprint
from .models import ModelStatus, embed_model_path
from .settings import Settings

GGUF_NAME = "multilingual-e5-small-f16.gguf"

# multilingual-e5 is a BERT encoder with XLM-R's sentencepiece vocabulary. The converter's BertModel reads only
# WordPiece vocabularies, so it is pointed at the XLM-R vocabulary reader the same class already has (converting
# as XLM-RoBERTa instead would shift the position embeddings, which e5 does not).
_CONVERT = """
import sys
root = sys.argv.pop(1)
sys.path[:0] = [root, root + '/gguf-py']
import conversion.bert as bert
bert.BertModel.set_vocab = bert.BertModel._xlmroberta_set_vocab
import convert_hf_to_gguf
convert_hf_to_gguf.main()
"""
_SETUP_HINT = "run `./run.sh embed-server` once to set it up"


def server_python(settings: Settings) -> Path:
    return settings.cache_dir / "embed-server" / "venv" / "bin" / "python"


def gguf_path(settings: Settings) -> Path:
    return settings.cache_dir / "models" / GGUF_NAME


def build_gguf(settings: Settings, converter: Path) -> ModelStatus:
    """Convert the embedder to a float16 GGUF, once per build of the embedder."""
    source = Path(embed_model_path(settings))
    target = gguf_path(settings)
    marker = target.with_suffix(".source.json")
    wanted = {"source": str(source), "fingerprint": fingerprint(source)}
    try:
        if target.is_file() and json.loads(marker.read_text()) == wanted:
            return ModelStatus("embedder GGUF", target, "already built")
    except (OSError, ValueError):
        pass
    if not (converter / "convert_hf_to_gguf.py").is_file():
        raise AssistantError(f"no llama.cpp converter in {converter}: {_SETUP_HINT}")
    partial = target.with_name(target.name + ".partial")
    command = [
        sys.executable,
        "-c",
        _CONVERT,
        str(converter),
        str(source),
        "--outtype",
        "f16",
        "--outfile",
        str(partial),
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise AssistantError(f"converting {source} to GGUF failed ({last}): {_SETUP_HINT}")
    partial.replace(target)
    marker.write_text(json.dumps(wanted))
    return ModelStatus("embedder GGUF", target, f"converted from {source} (float16)")


def server_command(settings: Settings, port: int | None = None) -> list[str]:
    """The command that serves the GGUF on `embed_api_base`'s host and port (or `port`)."""
    python, gguf = server_python(settings), gguf_path(settings)
    for needed in (python, gguf):
        if not needed.is_file():
            raise AssistantError(f"the embedding server is not set up ({needed} missing): {_SETUP_HINT}")
    address = urlparse(settings.embed_api_base)
    return [
        str(python),
        "-m",
        "llama_cpp.server",
        "--model",
        str(gguf),
        "--embedding",
        "true",
        "--host",
        address.hostname or "127.0.0.1",
        "--port",
        str(port or address.port or 8081),
        "--n_ctx",
        "512",  # e5's longest input; longer ones are cut, as sentence-transformers cuts them
        "--n_threads",
        str(settings.llm_threads),
        "--model_alias",
        settings.embed_api_model,
        "--verbose",
        "false",
    ]
