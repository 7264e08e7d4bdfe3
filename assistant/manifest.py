"""What an index was built with, recorded beside it and checked before it is used or added to.

Vectors from one embedder are meaningless to another, and chunks cut at one length do not match offsets of
another, so a settings change after indexing must not pass silently: the index stops with one line naming
`assistant index --rebuild`. The record lives in `manifest.json` in the index folder and, for a Chroma server
(where the vectors are kept elsewhere), in the collection's metadata too.

Beside it, `sources.json` remembers the folders the index was built from, so a bare `assistant index` refreshes
them all (a file deleted from one of them leaves the index then).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .errors import AssistantError

# Bumped whenever what the index stores changes shape (chunk ids, metadata, keyword index, doc_id scheme).
LAYOUT_VERSION = 4
MANIFEST = "manifest.json"
SOURCES = "sources.json"
COLLECTION_KEY = "newsdesk_manifest"
_HEAD = 1 << 16  # bytes hashed at the start of each model file: cheap, and any other model differs there


def fingerprint(path: Path) -> str:
    """A short hash of a model folder's or file's names, sizes and first bytes (never the whole weights)."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    digest = hashlib.sha256()
    for file in files:
        digest.update(f"{file.relative_to(path) if path.is_dir() else file.name}:{file.stat().st_size}:".encode())
        with file.open("rb") as handle:
            digest.update(handle.read(_HEAD))
    return digest.hexdigest()[:16]


def embedder_identity(settings, injected=None) -> dict:
    """Which embedder makes the vectors: the model it loads (by name and fingerprint), or for an injected
    embedder without one (a test's fake), its class."""
    if injected is not None:
        name = getattr(injected, "model_name", "") or ""
        if name in ("", "unknown"):
            return {"embedder": f"{type(injected).__module__}.{type(injected).__name__}", "embedder_fingerprint": ""}
    elif settings.embed_backend == "openai":  # the server's weights are out of reach: its model name stands for them
        return {"embedder": f"server model {settings.embed_api_model}", "embedder_fingerprint": ""}
    else:
        from .models import embed_model_path

        name = embed_model_path(settings)
    path = Path(name)
    return {"embedder": name, "embedder_fingerprint": fingerprint(path) if path.exists() else "hub name"}


def expected_manifest(settings, injected_embedder=None) -> dict:
    return {
        "layout_version": LAYOUT_VERSION,
        **embedder_identity(settings, injected_embedder),
        "embed_query_prefix": settings.embed_query_prefix,
        "embed_passage_prefix": settings.embed_passage_prefix,
        "chunk_chars": settings.chunk_chars,
    }


def differences(stored: dict, expected: dict) -> list[str]:
    return [f"{key} {stored.get(key)!r} → {value!r}" for key, value in expected.items() if stored.get(key) != value]


def check(stored: dict | None, expected: dict, where: Path | str) -> None:
    """Raise the one-line error when the index was built otherwise than the settings now say."""
    if stored is None:
        raise AssistantError(
            f"the index in {where} was built by an older version that kept no record of its settings: run `assistant index --rebuild`"
        )
    if stored.get("layout_version") != expected["layout_version"]:  # no setting restores an older layout
        raise AssistantError(
            f"the index in {where} was built by another version (layout {stored.get('layout_version')}, this one reads {expected['layout_version']}): run `assistant index --rebuild`"
        )
    changed = differences(stored, expected)
    if changed:
        raise AssistantError(
            f"the index in {where} was built with other settings ({'; '.join(changed)}): run `assistant index --rebuild`, or restore the settings"
        )


def read(index_dir: Path) -> dict | None:
    path = index_dir / MANIFEST
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except ValueError as error:
        raise AssistantError(f"{path} is damaged ({error}): run `assistant index --rebuild`") from error


def write(index_dir: Path, manifest: dict) -> None:
    _write_json(index_dir / MANIFEST, manifest)


def source_folders(index_dir: Path) -> list[Path]:
    """The folders the index remembers (none for a new index)."""
    path = index_dir / SOURCES
    try:
        return [Path(folder) for folder in json.loads(path.read_text())["folders"]]
    except FileNotFoundError:
        return []
    except (ValueError, KeyError, TypeError) as error:
        raise AssistantError(
            f"{path} is damaged ({error}): delete it, then run `assistant index FOLDER…` with the folders the index should follow"
        ) from error


def remember_folders(index_dir: Path, folders: list[Path]) -> None:
    """Add resolved `folders` to the remembered ones; a folder inside another one is covered by it."""
    known = source_folders(index_dir)
    merged = sorted(set(known) | set(folders))
    kept = [f for f in merged if not any(f != other and f.is_relative_to(other) for other in merged)]
    if kept != known:
        _write_json(index_dir / SOURCES, {"folders": [str(f) for f in kept]})


def _write_json(path: Path, data: dict) -> None:
    """Atomic: a kill mid-write leaves the previous file, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, indent=2))
    partial.replace(path)
