"""The one Settings object: every path, model and knob, read once from `ASSISTANT_*` variables."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent  # the source checkout, when running from one


def _default_cache() -> Path:
    return Path.home() / ".cache" / "newsdesk-qa"


def _in_checkout() -> bool:
    return (PROJECT_ROOT / "pyproject.toml").is_file() and (PROJECT_ROOT / "seeds").is_dir()


def _data_dir() -> Path:
    """Where an installed tool keeps its index and articles: the user's data folder (XDG)."""
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "newsdesk-qa"


def _default_corpus() -> Path:
    return PROJECT_ROOT / "seeds" if _in_checkout() else _data_dir() / "articles"


def _default_index() -> Path:
    return PROJECT_ROOT / "index" if _in_checkout() else _data_dir() / "index"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore")

    # --- where things live
    corpus_dir: Path = Field(
        default_factory=_default_corpus,
        description="Folder of articles that `assistant index` reads by default and chat uploads go to: `seeds/` in a source checkout, else ~/.local/share/newsdesk-qa/articles.",
    )
    index_dir: Path = Field(
        default_factory=_default_index,
        description="Folder of the persistent index (Chroma files, article store, keyword index): `index/` in a source checkout, else ~/.local/share/newsdesk-qa/index.",
    )
    prompts_dir: Path = Field(
        PACKAGE_DIR / "prompts", description="Folder of prompt templates (shipped in the package), loaded by file name."
    )
    cache_dir: Path = Field(
        default_factory=_default_cache, description="Where provisioned models are built once and kept."
    )

    # --- embeddings
    embed_backend: Literal["local", "openai"] = Field(
        "local",
        description="`local` runs the sentence-transformers embedder in-process; `openai` sends indexing and queries alike to any OpenAI-compatible `/v1/embeddings` server (llama.cpp server, infinity-emb, Hugging Face TEI, vLLM, Ollama). The prefixes below are added either way.",
    )
    embed_api_base: str = Field(
        "http://127.0.0.1:8081/v1", description="Base URL of the embedding server (with `embed_backend=openai`)."
    )
    embed_api_key: SecretStr = Field(SecretStr("not-needed"), description="API key for the embedding server.")
    embed_api_model: str = Field(
        "multilingual-e5-small",
        description="Model name to ask the embedding server for; the index records it, so another model needs a rebuild.",
    )
    embed_timeout: float = Field(60.0, gt=0, description="Seconds to wait for the embedding server before giving up.")
    embed_model: str = Field(
        "",
        description="A sentence-transformers folder or hub name; empty means the bundled multilingual-e5-small build.",
    )
    embed_dtype: Literal["auto", "float32", "bfloat16"] = Field(
        "auto",
        description="Precision the embedder computes in. `bfloat16` indexes faster than `float32` on a CPU with native bf16 units: about 3x with Intel AMX, about 2.2x with AVX512-BF16 alone (an AMD EPYC) and gives the same vectors to a cosine of 0.998 or more (the seed chunks); elsewhere it is emulated and slow. `auto` picks bfloat16 where the CPU has those units, else float32 (the quality reference).",
    )
    query_embed_runtime: Literal["onnx", "torch"] = Field(
        "onnx",
        description="What embeds a question (with `embed_backend=local`). `onnx` runs the embedder's float32 ONNX export (built once by `assistant models`) in ONNX Runtime: about a third of PyTorch's time for one short text, the same vector to a cosine of 0.99999. `torch` embeds it with sentence-transformers, like the passages. Passages are embedded by sentence-transformers either way.",
    )
    embed_query_prefix: str = Field("query: ", description="Prefix the e5 family expects before a query.")
    embed_passage_prefix: str = Field("passage: ", description="Prefix the e5 family expects before a passage.")
    embed_batch_size: int = Field(32, ge=1, description="Texts per embedding batch while indexing.")
    embed_pad_multiple: int = Field(
        32,
        ge=0,
        description="Pad each embedding batch to a multiple of this many tokens (0: to its longest text only). Fewer distinct tensor shapes keep the CPU kernels' caches and the heap from growing with the corpus while indexing; the padding is masked, so the vectors stay the same.",
    )
    embedding_cache_bytes: int = Field(
        64 * 2**20,
        ge=0,
        description="Bytes of memory for remembered sentence and question embeddings (evidence scoring and verification), least recently used dropped first; 0 remembers none. An entry of e5-small's 384 dimensions takes about 2 KB, so the default 64 MiB holds about 32,000.",
    )

    # --- generation
    llm_backend: Literal["llamacpp", "openai"] = Field(
        "llamacpp",
        description="`llamacpp` runs a GGUF in-process; `openai` talks to any OpenAI-compatible server (llama.cpp server, Ollama, vLLM).",
    )
    llm_model_path: Path | None = Field(
        None, description="A GGUF file to run in-process; empty means the bundled Qwen2.5-Coder-1.5B-Instruct Q4_K_M."
    )
    llm_threads: int = Field(2, ge=1, description="CPU threads for the in-process LLM.")
    llm_context: int = Field(4096, ge=512, description="Context window (tokens) of the in-process LLM.")
    llm_max_tokens: int = Field(200, ge=16, description="Most tokens an answer may generate.")
    llm_temperature: float = Field(0.0, ge=0.0, description="Sampling temperature; 0 keeps answers reproducible.")
    llm_api_base: str = Field(
        "http://127.0.0.1:8080/v1", description="Base URL of the OpenAI-compatible server (with `llm_backend=openai`)."
    )
    llm_api_key: SecretStr = Field(SecretStr("not-needed"), description="API key for the OpenAI-compatible server.")
    llm_api_model: str = Field("local", description="Model name to ask the OpenAI-compatible server for.")
    llm_timeout: float = Field(120.0, gt=0, description="Seconds to wait for the LLM server before giving up.")

    # --- vector store
    chroma_host: str | None = Field(
        None, description="Chroma server host; empty means the embedded PersistentClient in `index_dir`."
    )
    chroma_port: int = Field(8000, description="Chroma server port.")
    collection: str = Field("articles", description="Chroma collection name.")
    hnsw_ef_search: int = Field(
        400,
        ge=1,
        description="Candidates Chroma's HNSW graph examines per query. Chroma's default of 100 found 82% of the true 20 nearest among 1,000,000 vectors; 400 finds 93% for 1.3 ms more per query (`assistant bench vectors`). Takes effect the next time the index is opened; a Chroma server applies it after its restart.",
    )

    # --- chunking and retrieval
    index_batch: int = Field(
        64,
        ge=1,
        description="Articles embedded and committed together while indexing; a killed run loses at most one batch.",
    )
    chunk_chars: int = Field(
        600,
        ge=100,
        description="Target chunk length in characters; chunks hold whole sentences and neighbours share one.",
    )
    top_k: int = Field(
        10,
        ge=1,
        description="Passages whose sentences compete for the evidence, after fusing dense and keyword retrieval (10 put the answer sentence among them for 94% of the news benchmark, 6 for 85%).",
    )
    candidate_k: int = Field(20, ge=1, description="Candidates each retriever contributes before fusion.")
    keyword_weight: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        description="Weight of the BM25 keyword scores in fusion (the dense scores get the rest), each scaled to 0..1 first. XQuAD hit@1 (both directions): 0.79/0.81 with equal weights, 0.85/0.82 at 0.3, 0.85/0.83 at 0.2; the news benchmark among 1,000 articles, answer in the first prompt: 0.737 at 0.3, 0.728 at 0.2.",
    )
    evidence_prompt_chars: int = Field(
        1000,
        ge=1,
        description="Characters of evidence per LLM prompt, best snippets first (a single longer snippet still goes alone); the next prompt is tried only if the model finds no answer.",
    )
    evidence_prompts: int = Field(
        2,
        ge=1,
        description="Most evidence prompts tried for one question before the assistant abstains (a third one rescued no answer of the news CI subset and cost a model call on every abstention).",
    )
    evidence_previous_sentence_chars: int = Field(
        160,
        ge=0,
        description="An evidence sentence brings the sentence before it when that one is at most this long (it names who 'she' or 'the club' is); 0 never.",
    )
    cross_language_bonus: float = Field(
        0.05,
        ge=0.0,
        description="Added to the relevance of a sentence in the other language than the question's: multilingual e5 scores a text about 0.05 higher in the question's own language than its translation (measured on XQuAD's parallel paragraphs).",
    )
    min_relevance: float = Field(
        0.75,
        description="Lowest question/sentence similarity (cosine) for a sentence to count as evidence; with none left the assistant abstains without calling the LLM.",
    )
    support_threshold: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Share of an answer sentence's content words its cited evidence must contain to support it (lexical support).",
    )
    support_similarity: float = Field(
        0.85,
        ge=0.0,
        le=1.0,
        description="Cosine similarity between an answer sentence and its cited evidence that also counts as support (for answers in the other language).",
    )

    # --- input limits
    max_question_chars: int = Field(1000, ge=10, description="Longest question accepted.")
    max_article_bytes: int = Field(
        5_000_000, ge=1000, description="Largest article file indexed; larger ones are skipped."
    )

    # --- chat UI
    ui_host: str = Field(
        "127.0.0.1",
        description="Interface the chat UI binds to; anything but loopback requires ui_username/ui_password.",
    )
    ui_port: int = Field(7860, description="Port of the chat UI.")
    ui_username: str | None = Field(None, description="Login name for the chat UI.")
    ui_password: SecretStr | None = Field(None, description="Password for the chat UI.")

    @model_validator(mode="after")
    def _exposed_ui_needs_auth(self) -> Settings:
        if self.ui_host not in ("127.0.0.1", "localhost", "::1") and not (self.ui_username and self.ui_password):
            raise ValueError(
                "ASSISTANT_UI_HOST exposes the chat beyond this machine: set ASSISTANT_UI_USERNAME and ASSISTANT_UI_PASSWORD too"
            )
        return self


def quiet_environment() -> None:
    """Telemetry off and no hub look-ups, before chromadb, gradio or huggingface are imported."""
    for key, value in {
        "ANONYMIZED_TELEMETRY": "False",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    }.items():
        os.environ.setdefault(key, value)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings read from the environment once per process."""
    return Settings()
