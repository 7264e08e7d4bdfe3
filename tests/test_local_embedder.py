"""The in-process embedder's question path: ONNX Runtime on the embedder's export, checked against PyTorch."""

import json

import numpy as np
import pytest
from llama_index.embeddings.huggingface import HuggingFaceEmbedding

from assistant.errors import AssistantError
from assistant.local_embedder import build_local_embedder
from assistant.models import (
    QUERY_ENCODER_FORM,
    query_encoder_path,
    query_encoder_ready,
    query_encoder_words,
    weights_fingerprint,
)
from assistant.settings import Settings

# made-up questions in both languages, short and long
QUESTIONS = [
    "Wie viele Besucher kamen zum Stadtfest in Nordstadt?",
    "Who opened the new bridge over the river?",
    "Warum wurde die Fähre nach Fjellberg eingestellt, und seit wann fährt sie wieder nach dem neuen Fahrplan?",
]


def _fake_model_folder(tmp_path) -> Settings:
    folder = tmp_path / "my-embedder"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"weights, version one")
    return Settings(embed_model=str(folder), cache_dir=tmp_path / "cache")


def test_a_missing_export_is_said_in_one_line_before_the_model_loads(tmp_path):
    settings = _fake_model_folder(tmp_path)  # not a loadable model: loading it would fail otherwise
    with pytest.raises(AssistantError, match=r"ONNX export for questions is missing or stale .*run `assistant models`"):
        build_local_embedder(settings)


def test_an_export_is_stale_once_the_embedder_weights_or_its_form_change(tmp_path):
    settings = _fake_model_folder(tmp_path)
    path = query_encoder_path(settings)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"onnx")
    query_encoder_words(settings).write_bytes(b"words")
    assert not query_encoder_ready(settings)  # no marker: an export that never finished
    marker = {"form": QUERY_ENCODER_FORM, "weights": weights_fingerprint(tmp_path / "my-embedder")}
    path.with_suffix(".json").write_text(json.dumps({**marker, "form": "input_ids -> last_hidden_state"}))
    assert not query_encoder_ready(settings)  # an export of another form, from an older version
    path.with_suffix(".json").write_text(json.dumps(marker))
    assert query_encoder_ready(settings)
    (tmp_path / "my-embedder" / "model.safetensors").write_bytes(b"weights, version two, retrained")
    assert not query_encoder_ready(settings)


def test_each_embedder_folder_has_its_own_export(tmp_path):
    one = Settings(embed_model=str(tmp_path / "a" / "e5"), cache_dir=tmp_path)
    two = Settings(embed_model=str(tmp_path / "b" / "e5"), cache_dir=tmp_path)
    assert query_encoder_path(one) != query_encoder_path(two)


@pytest.mark.integration
def test_question_vectors_from_onnx_runtime_match_pytorch_float32():
    onnx = build_local_embedder(Settings(embed_dtype="float32", query_embed_runtime="onnx"))
    torch = build_local_embedder(Settings(embed_dtype="float32", query_embed_runtime="torch"))
    assert onnx._query_encoder is not None and torch._query_encoder is None
    a = np.array([onnx.get_query_embedding(q) for q in QUESTIONS])
    b = np.array([torch.get_query_embedding(q) for q in QUESTIONS])
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert (a * b).sum(axis=1).min() > 0.9999
    # and the passages are still PyTorch's: the same text embedded as a passage is another vector
    passage = np.array(onnx.get_text_embedding(QUESTIONS[0]))
    assert np.allclose(passage, torch.get_text_embedding(QUESTIONS[0]), atol=1e-5) and (passage @ a[0]) < 0.999


@pytest.mark.integration
def test_seed_questions_find_the_same_passages_with_either_runtime(seed_pipeline):
    """The chat's configuration (passages in the configured precision, questions through ONNX Runtime) ranks the
    seed chunks as PyTorch's question vectors do, across languages both ways."""
    embedder, collection = seed_pipeline.embed_model, seed_pipeline.store.collection
    assert embedder._query_encoder is not None
    for question in ("When were Britney Spears and Kevin Federline married?", "Wie alt ist Lynne Spears?"):
        vectors = [
            embedder.get_query_embedding(question),
            HuggingFaceEmbedding._get_query_embedding(embedder, question),
        ]
        ranked = [collection.query(query_embeddings=[v], n_results=3, include=[])["ids"][0] for v in vectors]
        assert ranked[0] == ranked[1]
