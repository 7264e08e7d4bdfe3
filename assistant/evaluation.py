"""`assistant eval`: run the JSONL cases with the real pipeline, print a table and a summary, write a JSON report
and a PNG chart, and fail when a summary figure is below its threshold in `evals/thresholds.json`."""

from __future__ import annotations

import json
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from . import scoring
from .answering import answer
from .errors import AssistantError

RETRIEVAL_K = 10


@dataclass(frozen=True)
class Case:
    id: str
    category: str
    language: str
    question: str
    facts: list[list[str]] = field(default_factory=list)
    cite: list[str] = field(default_factory=list)
    evidence: str = ""
    should_abstain: bool = False
    forbidden: list[str] = field(default_factory=list)  # forms that must not appear (a false premise as fact)


def load_cases(path: Path) -> list[Case]:
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                cases.append(Case(**json.loads(line)))
            except (json.JSONDecodeError, TypeError) as error:
                raise AssistantError(f"{path}:{number} is not a valid case ({error})") from error
    return cases


def score_case(case: Case, result, passages, article_text) -> dict:
    """One row of the report: every scorer's verdict on one answer."""
    cited = [c.doc_id for c in result.citations]
    recall = 0.0 if result.abstained and not case.should_abstain else scoring.fact_recall(result.text, case.facts)
    if not scoring.states_none(result.text, case.forbidden):
        recall = 0.0
    rank = scoring.first_hit_rank(passages, case.cite, case.evidence)
    row = {
        "id": case.id, "category": case.category, "language": case.language, "question": case.question,
        "answer": result.text, "abstained": result.abstained, "draft": result.draft,
        "citations": [{"doc_id": c.doc_id, "quote": c.quote, "start": c.start, "end": c.end} for c in result.citations],
        "fact_recall": recall,
        "citation_correct": scoring.citation_correct(cited, case.cite) if not result.abstained else None,
        "citation_precision": scoring.citation_precision(cited, case.cite) if not result.abstained else None,
        "verifiable": scoring.verifiable(result.citations, article_text),
        "abstention_correct": scoring.abstention_correct(result.abstained, case.should_abstain),
        "retrieval_rank": rank if not case.should_abstain else None,
        "latency_s": result.timings.get("total_s", 0.0),
    }  # fmt: skip
    answered_right = recall == 1.0 and bool(row["citation_correct"])
    row["passed"] = row["abstention_correct"] and row["verifiable"] and (case.should_abstain or answered_right)
    return row


def _mean(values) -> float:
    values = [float(v) for v in values if v is not None]
    return statistics.fmean(values) if values else 0.0


def summarize(rows: list[dict]) -> dict:
    answerable = [r for r in rows if r["category"] != "unanswerable"]
    answered = [r for r in rows if not r["abstained"]]
    ranks = [r["retrieval_rank"] for r in answerable]
    latencies = [r["latency_s"] for r in rows]
    return {
        "cases": len(rows),
        "passed": sum(r["passed"] for r in rows),
        "fact_accuracy": _mean(r["fact_recall"] == 1.0 for r in answerable),
        "fact_recall": _mean(r["fact_recall"] for r in answerable),
        "citation_precision": _mean(r["citation_precision"] for r in answered),
        "citation_correctness": _mean(bool(r["citation_correct"]) for r in answerable),
        "verifiability": _mean(r["verifiable"] for r in rows),
        "abstention_accuracy": _mean(r["abstention_correct"] for r in rows),
        "retrieval_hit@1": _mean(scoring.hit_at(k, 1) for k in ranks),
        "retrieval_hit@5": _mean(scoring.hit_at(k, 5) for k in ranks),
        "retrieval_mrr": _mean(scoring.reciprocal_rank(k) for k in ranks),
        "mean_latency_s": _mean(latencies),
        "p50_latency_s": statistics.median(latencies) if latencies else 0.0,
    }


def by_category(rows: list[dict]) -> dict[str, dict]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        groups[row["category"]].append(row)
    return {
        name: {"cases": len(group), "pass_rate": _mean(r["passed"] for r in group),
               "fact_recall": _mean(r["fact_recall"] for r in group),
               "abstention_accuracy": _mean(r["abstention_correct"] for r in group)}
        for name, group in sorted(groups.items())
    }  # fmt: skip


def print_table(rows: list[dict]) -> None:
    print(f"{'case':22} {'lang':4} {'facts':>5} {'cite':>4} {'verif':>5} {'abst':>4} {'rank':>4} {'secs':>5}  answer")
    for r in rows:
        cite = "-" if r["citation_correct"] is None else ("ok" if r["citation_correct"] else "NO")
        print(f"{('' if r['passed'] else '!') + r['id']:22} {r['language']:4} {r['fact_recall']:5.2f} {cite:>4} "
              f"{'ok' if r['verifiable'] else 'NO':>5} {'ok' if r['abstention_correct'] else 'NO':>4} "
              f"{r['retrieval_rank'] or '-':>4} {r['latency_s']:5.1f}  {r['answer'][:70]}")  # fmt: skip


def write_chart(categories: dict[str, dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(categories)
    fig, ax = plt.subplots(figsize=(8, 3.5))
    width = 0.27
    xs = range(len(names))
    for offset, key, label in ((-width, "pass_rate", "cases passed"), (0, "fact_recall", "fact recall"),
                               (width, "abstention_accuracy", "abstention accuracy")):  # fmt: skip
        ax.bar([x + offset for x in xs], [categories[n][key] for n in names], width, label=label)
    ax.set_xticks(list(xs), [f"{n}\n(n={categories[n]['cases']})" for n in names], fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_title("newsdesk-qa eval by category")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def gate(summary: dict, thresholds: dict[str, float]) -> list[str]:
    """The summary figures below their thresholds, as readable lines."""
    return [f"{name} {summary.get(name, 0.0):.3f} < {floor:.3f}" for name, floor in thresholds.items() if summary.get(name, 0.0) < floor]


def run_eval(settings, cases_path: Path, out_dir: Path, pipeline=None, thresholds_path: Path | None = None) -> int:
    from .pipeline import Pipeline

    pipeline = pipeline or Pipeline(settings)
    cases = load_cases(cases_path)
    rows = []
    started = time.perf_counter()
    for case in cases:
        passages = pipeline.retrieve(case.question, RETRIEVAL_K)
        result = answer(pipeline, case.question)
        rows.append(score_case(case, result, passages, pipeline.article_text))
    summary = summarize(rows)
    categories = by_category(rows)
    print_table(rows)
    print("\nsummary: " + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in summary.items()))
    thresholds_path = thresholds_path or cases_path.parent / "thresholds.json"
    thresholds = json.loads(thresholds_path.read_text()) if thresholds_path.is_file() else {}
    failures = gate(summary, thresholds)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = {"summary": summary, "categories": categories, "thresholds": thresholds, "failures": failures,
              "cases_file": str(cases_path), "elapsed_s": time.perf_counter() - started,
              "settings": {k: str(v) for k, v in settings.model_dump(exclude={"llm_api_key", "ui_password"}).items()},
              "rows": rows}  # fmt: skip
    (out_dir / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    write_chart(categories, out_dir / "categories.png")
    print(f"report: {out_dir / 'report.json'}, chart: {out_dir / 'categories.png'}")
    for line in failures:
        print(f"GATE FAILED: {line}")
    print("eval gate: " + ("FAILED" if failures else f"passed ({len(thresholds)} thresholds)"))
    return 1 if failures else 0
