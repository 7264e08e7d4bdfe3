"""`assistant eval --suite NAME`: every case through the pipeline, with figures per stage so each lost answer is
attributed: retrieval, candidate evidence, shown evidence, the answer, its citations.

Stages without the LLM run on every case; the LLM runs on all cases or on the suite's fixed CI subset. The stock
LlamaIndex engine answers a few of the same cases in the same run, as the latency baseline. Prints a table per
kind and a summary, writes `report.json` and `kinds.png`, and fails when a figure is below `thresholds.json`.
Cases named in the suite's `holdout.json` are scored with the rest but never printed one by one.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from . import scoring
from .answering import answer, build_messages
from .cases import KINDS, Case, load_cases
from .corpus import detect_question_language
from .llm import uncached_prompt_tokens
from .models import embed_dtype_name
from .settings import Settings
from .suites import Suite, materialise
from .text import content_tokens, question_parts

LLM_CHOICES = ("all", "ci", "none")


@dataclass(frozen=True)
class Run:
    """What to run: which cases get the LLM, how many get the stock engine too."""

    llm: str = "all"  # all | ci (the suite's fixed subset) | none
    baseline: int = 8  # cases also answered by the stock engine, for the latency ratio


def _mean(values) -> float | None:
    values = [float(v) for v in values if v is not None]
    return statistics.fmean(values) if values else None


def _share(rows: list[dict], key: str, where=lambda r: True) -> float | None:
    return _mean(r[key] for r in rows if where(r) and r.get(key) is not None)


def offline_row(pipeline, case: Case) -> dict:
    """The no-LLM stages for one case: what retrieval finds and what the prompts would offer."""
    history = [(q, "") for q in case.history]
    selections = []
    for part in question_parts(case.question):  # as the answer searches them: each after the parts before it
        selections.append(pipeline.selector.select(part, history))
        history = [*history, (part, "")]
    passages = [p for s in selections for p in s.passages]
    first = [e for s in selections if s.batches for e in s.batches[0]]
    every = [e for s in selections for batch in s.batches for e in batch]
    answerable = bool(case.evidence)
    return {
        "id": case.id,
        "kind": case.kind,
        "language": case.language,
        "question": case.question,
        "retrieval_recall": scoring.evidence_found(case.evidence, passages) if answerable else None,
        "candidate_first": scoring.evidence_found(case.evidence, first) if answerable else None,
        "candidate_any": scoring.evidence_found(case.evidence, every) if answerable else None,
        "word_overlap": scoring.word_overlap(case.question, case.evidence, content_tokens) if answerable else None,
        "prompts": sum(len(s.batches) for s in selections),
    }


def uncached_tokens(pipeline, case: Case, history) -> int | None:
    """Tokens of the first prompt that llama.cpp's cache does not already hold (all but the constant system
    prompt); None for a server backend, whose tokenizer is not at hand."""
    question = question_parts(case.question)[0]  # a question asked in parts starts with its first
    selection = pipeline.selector.select(question, history)
    if not selection.batches:
        return None
    language = detect_question_language(case.question)
    messages = build_messages(pipeline.prompts, selection.batches[0], question, language, history)
    return uncached_prompt_tokens(pipeline.llm, messages)


def llm_row(pipeline, case: Case) -> dict:
    """The LLM stages for one case: asked after its history, as a person in the chat would."""
    history = []
    for earlier in case.history:
        history.append((earlier, answer(pipeline, earlier, history).text))
    result = answer(pipeline, case.question, history)
    shown = scoring.evidence_found(case.evidence, result.evidence) if case.evidence else None
    cited = [c.doc_id for c in result.citations]
    correct = scoring.answer_correct(case, result.abstained, result.text)
    wrong_place = not result.abstained and (
        case.should_abstain or not scoring.cites_evidence(result.citations, case.evidence)
    )
    return {
        "answer": result.text,
        "abstained": result.abstained,
        "draft": result.draft,
        "correct": correct,
        "shown": shown,
        "nonsense": wrong_place,
        "citation_correct": scoring.cites_right_articles(cited, case) if case.cite and not result.abstained else None,
        "verifiable": scoring.verifiable(result.citations, pipeline.article_text),
        "citations": [{"doc_id": c.doc_id, "quote": c.quote, "start": c.start, "end": c.end} for c in result.citations],
        "latency_s": result.timings.get("total_s", 0.0),
        "uncached_tokens": uncached_tokens(pipeline, case, history),
    }


def stock_engine(pipeline, corpus: Path):
    """LlamaIndex's default `as_query_engine()` over the same articles with the same models."""
    from llama_index.core import SimpleDirectoryReader, VectorStoreIndex

    documents = SimpleDirectoryReader(str(corpus)).load_data()
    index = VectorStoreIndex.from_documents(documents, embed_model=pipeline.embed_model)
    return index.as_query_engine(llm=pipeline.llm)


def stock_latency(engine, case: Case) -> float:
    started = time.perf_counter()
    engine.query(case.question)
    return time.perf_counter() - started


def summarize(rows: list[dict]) -> dict:
    """The figures per stage over a set of rows (rows without the LLM count for the no-LLM stages only)."""
    answerable = lambda r: r["retrieval_recall"] is not None and r["kind"] != "false_premise"  # noqa: E731
    asked = [r for r in rows if "correct" in r]
    given = [r for r in asked if answerable(r) and r["shown"]]
    traps = [r for r in asked if r["kind"] == "unanswerable"]
    premises = [r for r in asked if r["kind"] == "false_premise"]
    tokens = [r["uncached_tokens"] for r in asked if r.get("uncached_tokens") is not None]
    latencies = [r["latency_s"] for r in asked]
    return {
        "cases": len(rows),
        "retrieval_recall": _share(rows, "retrieval_recall", answerable),
        "candidate_recall_first": _share(rows, "candidate_first", answerable),
        "candidate_recall_any": _share(rows, "candidate_any", answerable),
        "word_overlap": _share(rows, "word_overlap"),
        "llm_cases": len(asked),
        "shown_recall": _share(asked, "shown", answerable),
        "answer_accuracy": _share(asked, "correct", answerable),
        "accuracy_given_evidence": _mean(r["correct"] for r in given),
        "declined_given_evidence": _mean(r["abstained"] for r in given),
        "nonsense_rate": _share(asked, "nonsense"),
        "traps_abstained": f"{sum(r['abstained'] for r in traps)}/{len(traps)}",
        "trap_abstention": _mean(r["abstained"] for r in traps),
        "false_premises_handled": f"{sum(r['correct'] for r in premises)}/{len(premises)}",
        "false_premise_handling": _mean(r["correct"] for r in premises),
        "citation_correctness": _share(asked, "citation_correct", answerable),
        "verifiability": _share(asked, "verifiable"),
        "uncached_tokens_median": statistics.median(tokens) if tokens else None,
        "latency_median_s": statistics.median(latencies) if latencies else None,
    }


def by_kind(rows: list[dict]) -> dict[str, dict]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        groups[row["kind"]].append(row)
    return {kind: summarize(groups[kind]) for kind in KINDS if kind in groups}


COLUMNS = (  # (summary key, header)
    ("cases", "n"),
    ("retrieval_recall", "retr"),
    ("candidate_recall_first", "cand1"),
    ("candidate_recall_any", "cand*"),
    ("word_overlap", "overlap"),
    ("llm_cases", "llm n"),
    ("shown_recall", "shown"),
    ("answer_accuracy", "right"),
    ("accuracy_given_evidence", "right|ev"),
    ("declined_given_evidence", "decl|ev"),
    ("nonsense_rate", "nonsense"),
    ("citation_correctness", "cite"),
)


def _cell(value) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def kind_table(kinds: dict[str, dict], total: dict) -> str:
    """Markdown: one row per kind and the whole, one column per stage."""
    lines = ["| kind | " + " | ".join(h for _, h in COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for name, figures in [*kinds.items(), ("**all**", total)]:
        lines.append(f"| {name} | " + " | ".join(_cell(figures.get(key)) for key, _ in COLUMNS) + " |")
    return "\n".join(lines)


def print_rows(rows: list[dict], hidden: set[str]) -> None:
    print(f"{'case':16} {'kind':15} {'retr':>4} {'c1':>3} {'c*':>3} {'shown':>5} {'ok':>3} {'secs':>5}  answer")
    mark = lambda v: "-" if v is None else ("y" if v else "n")  # noqa: E731
    for r in rows:
        if r["id"] in hidden:
            continue
        print(
            f"{r['id']:16} {r['kind']:15} {mark(r['retrieval_recall']):>4} {mark(r['candidate_first']):>3} "
            f"{mark(r['candidate_any']):>3} {mark(r.get('shown')):>5} {mark(r.get('correct')):>3} "
            f"{r.get('latency_s', 0.0):5.1f}  {r.get('answer', '')[:70]}"
        )


def write_chart(kinds: dict[str, dict], path: Path, title: str) -> None:
    from .charts import grouped_bars

    keys = (
        ("retrieval_recall", "retrieval recall"),
        ("candidate_recall_first", "in first prompt"),
        ("shown_recall", "shown to the LLM"),
        ("answer_accuracy", "right"),
    )
    series = {label: [kinds[k].get(key) or 0.0 for k in kinds] for key, label in keys}
    grouped_bars([f"{k}\n(n={kinds[k]['cases']})" for k in kinds], series, path, title)


def gate(summary: dict, thresholds: dict[str, float]) -> list[str]:
    """The summary figures below their thresholds, as readable lines (a figure not measured is not gated)."""
    return [
        f"{name} {summary[name]:.3f} < {floor:.3f}"
        for name, floor in thresholds.items()
        if isinstance(summary.get(name), float) and summary[name] < floor
    ]


def ci_subset(cases: list[Case], hidden: set[str], size: int = 60, seed: int = 2026) -> list[str]:
    """A fixed sample stratified by kind, from the cases open for tuning (never the hold-out)."""
    rng = random.Random(seed)
    open_cases = [c for c in cases if c.id not in hidden]
    by: dict[str, list[Case]] = defaultdict(list)
    for case in open_cases:
        by[case.kind].append(case)
    picked = []
    for kind in sorted(by):
        share = max(2, round(size * len(by[kind]) / len(open_cases)))
        picked += [c.id for c in rng.sample(by[kind], min(share, len(by[kind])))]
    return sorted(picked)


def run_eval(settings: Settings, suite: Suite, out_dir: Path, run: Run = Run(), pipeline=None) -> int:
    from .indexing import index_paths
    from .pipeline import Pipeline

    materialise(suite)
    if pipeline is None:
        update = {"index_dir": suite.index_dir(embed_dtype_name(settings)), "corpus_dir": suite.corpus_dir}
        pipeline = Pipeline(settings.model_copy(update=update))
    print(index_paths(pipeline, [suite.corpus_dir]).summary())
    stems = {Path(a.metadata["source"]).stem: a.doc_id for a in pipeline.store.articles()}
    cases = [case.with_doc_ids(stems) for case in load_cases(suite.cases)]
    hidden = set(json.loads(suite.holdout.read_text())) if suite.holdout.is_file() else set()
    chosen = (
        set(json.loads((suite.folder / "ci_subset.json").read_text())) if run.llm == "ci" else {c.id for c in cases}
    )
    started = time.perf_counter()
    rows = [offline_row(pipeline, case) for case in cases]
    offline_s = time.perf_counter() - started
    if run.llm != "none":
        asked = [(case, row) for case, row in zip(cases, rows) if case.id in chosen]
        for number, (case, row) in enumerate(asked, 1):
            row.update(llm_row(pipeline, case))
            if number % 10 == 0 or number == len(asked):
                print(f"answered {number}/{len(asked)}", file=sys.stderr, flush=True)
    baseline = {}
    if run.llm != "none" and run.baseline:
        asked = sorted((c for c in cases if c.id in chosen and not c.history), key=lambda c: c.id)
        engine = stock_engine(pipeline, suite.corpus_dir)
        for case in random.Random(7).sample(asked, min(run.baseline, len(asked))):
            baseline[case.id] = stock_latency(engine, case)
    summary = summarize(rows)
    if baseline:
        ours = statistics.median(r["latency_s"] for r in rows if r["id"] in baseline)
        summary["baseline_cases"] = len(baseline)
        summary["latency_ratio_to_stock"] = ours / statistics.median(baseline.values())
    splits = (
        {
            "tune": summarize([r for r in rows if r["id"] not in hidden]),
            "holdout": summarize([r for r in rows if r["id"] in hidden]),
        }
        if hidden
        else {}
    )
    kinds = by_kind(rows)
    print_rows(rows, hidden)
    table = kind_table(kinds, summary)
    print("\n" + table + "\n")
    print("summary: " + ", ".join(f"{k}={_cell(v)}" for k, v in summary.items()))
    for name, figures in splits.items():
        print(
            f"{name} ({figures['cases']} cases): "
            + ", ".join(
                f"{k}={_cell(figures[k])}" for k in ("retrieval_recall", "candidate_recall_first", "answer_accuracy")
            )
        )
    thresholds = json.loads(suite.thresholds.read_text()) if suite.thresholds.is_file() else {}
    failures = gate(summary, thresholds)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = {
        "suite": suite.name,
        "llm": run.llm,
        "summary": summary,
        "splits": splits,
        "kinds": kinds,
        "table": table,
        "baseline_latency_s": baseline,
        "thresholds": thresholds,
        "failures": failures,
        "offline_s": offline_s,
        "elapsed_s": time.perf_counter() - started,
        "settings": {
            k: str(v) for k, v in pipeline.settings.model_dump(exclude={"llm_api_key", "ui_password"}).items()
        },
        "rows": [r for r in rows if r["id"] not in hidden],
    }
    (out_dir / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    write_chart(kinds, out_dir / "kinds.png", f"newsdesk-qa eval: {suite.name} suite, by kind")
    print(f"report: {out_dir / 'report.json'}, chart: {out_dir / 'kinds.png'}")
    for line in failures:
        print(f"GATE FAILED: {line}")
    print("eval gate: " + ("FAILED" if failures else f"passed ({len(thresholds)} thresholds)"))
    return 1 if failures else 0
