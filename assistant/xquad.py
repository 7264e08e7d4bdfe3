"""`assistant xquad`: a real cross-lingual benchmark on XQuAD (German/English parallel paragraphs and questions).

Index the German paragraphs and ask the English questions, and the other way round. Retrieval is right when the
question's own paragraph comes back (hit@1, hit@5, MRR over every question); an answer is right when it contains
the gold answer of the question's language (a fixed, seeded sample, since each answer costs seconds of CPU LLM).
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

from . import scoring
from .answering import answer
from .corpus import doc_id_for
from .indexing import index_paths
from .models import embed_dtype_name
from .pipeline import Pipeline
from .settings import Settings

DIRECTIONS = (("en", "de"), ("de", "en"))  # (question language, paragraph language)


def load_xquad(folder: Path, language: str) -> tuple[dict[str, str], list[dict]]:
    """Paragraphs by id (`p<article>-<paragraph>`) and questions with their paragraph id and gold answers."""
    data = json.loads((folder / f"xquad.{language}.public.json").read_text(encoding="utf-8"))["data"]
    paragraphs, questions = {}, []
    for a, article in enumerate(data):
        for p, paragraph in enumerate(article["paragraphs"]):
            pid = f"p{a:02d}-{p:02d}"
            paragraphs[pid] = paragraph["context"]
            for qa in paragraph["qas"]:
                questions.append(
                    {
                        "id": qa["id"],
                        "question": qa["question"],
                        "paragraph": pid,
                        "answers": sorted({a["text"] for a in qa["answers"]}),
                    }
                )
    return paragraphs, questions


def run_xquad(settings: Settings, folder: Path, out: Path, sample: int, seed: int = 7) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    shared = Pipeline(settings)
    results = {}
    for asked, indexed in DIRECTIONS:
        paragraphs, _ = load_xquad(folder, indexed)
        _, questions = load_xquad(folder, asked)
        corpus = out / f"paragraphs-{indexed}"
        corpus.mkdir(exist_ok=True)
        for pid, text in paragraphs.items():
            (corpus / f"{pid}.txt").write_text(text, encoding="utf-8")
        pipeline = Pipeline(
            settings.model_copy(update={"index_dir": out / f"index-{indexed}-{embed_dtype_name(settings)}"}),
            embed_model=shared.embed_model,
            llm=shared.llm if sample else None,
        )
        index_paths(pipeline, [corpus])
        ranks, started = [], time.perf_counter()
        for q in questions:
            passages = pipeline.retrieve(q["question"], 10)
            wanted = doc_id_for(corpus / f"{q['paragraph']}.txt")
            ranks.append(next((r for r, p in enumerate(passages, 1) if p.doc_id == wanted), None))
        retrieval_s = time.perf_counter() - started
        answered = []
        for q in random.Random(seed).sample(questions, min(sample, len(questions))):
            result = answer(pipeline, q["question"])
            correct = not result.abstained and any(
                scoring.fact_recall(result.text, [[gold]]) == 1.0 for gold in q["answers"]
            )
            answered.append(
                {
                    "question": q["question"],
                    "gold": q["answers"],
                    "answer": result.text,
                    "correct": correct,
                    "abstained": result.abstained,
                    "seconds": result.timings.get("total_s", 0.0),
                }
            )
        name = f"{asked}_questions_on_{indexed}_paragraphs"
        results[name] = {
            "paragraphs": len(paragraphs),
            "questions": len(questions),
            "hit@1": sum(scoring.hit_at(r, 1) for r in ranks) / len(ranks),
            "hit@5": sum(scoring.hit_at(r, 5) for r in ranks) / len(ranks),
            "mrr": sum(scoring.reciprocal_rank(r) for r in ranks) / len(ranks),
            "retrieval_ms_per_question": 1000 * retrieval_s / len(ranks),
            "answer_sample": len(answered),
            "answer_accuracy": sum(a["correct"] for a in answered) / len(answered) if answered else None,
            "abstained": sum(a["abstained"] for a in answered),
            "answers": answered,
        }
        figures = {k: round(v, 3) if isinstance(v, float) else v for k, v in results[name].items() if k != "answers"}
        print(f"{name}: {figures}")
    (out / "xquad.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return results
