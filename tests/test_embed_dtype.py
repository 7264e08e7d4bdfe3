"""The embedder's precision (bfloat16 where the CPU computes it natively, float32 as the reference) and its padded batches."""

import numpy as np
import pytest
import torch
from conftest import SEEDS

from assistant import retrieve
from assistant.corpus import doc_id_for
from assistant.embedders import build_embedder
from assistant.indexing import index_paths
from assistant.models import cpu_has_native_bf16, embedder_dtype
from assistant.pipeline import Pipeline
from assistant.settings import Settings

GERMAN, ENGLISH = (doc_id_for(SEEDS / f"{stem}.txt") for stem in ("000_c5ab56776a2f2db6", "003_d92ff9ce8cfcd715"))


@pytest.mark.parametrize(
    ("flags", "native"),
    [("fpu avx512f amx_bf16 amx_tile", True), ("fpu avx512f avx512_bf16", True), ("fpu avx2 avx512f", False)],
)
def test_native_bf16_is_read_from_the_cpu_flags(tmp_path, flags, native):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {flags}\n")
    assert cpu_has_native_bf16(cpuinfo) is native


def test_no_cpuinfo_means_no_native_bf16(tmp_path):
    assert not cpu_has_native_bf16(tmp_path / "missing")


def test_an_explicit_precision_is_taken_as_given():
    assert embedder_dtype(Settings(embed_dtype="float32")) is torch.float32
    assert embedder_dtype(Settings(embed_dtype="bfloat16")) is torch.bfloat16
    expected = torch.bfloat16 if cpu_has_native_bf16() else torch.float32
    assert embedder_dtype(Settings(embed_dtype="auto")) is expected


def _seed_pipeline(tmp_path_factory, dtype: str) -> Pipeline:
    pipeline = Pipeline(Settings(embed_dtype=dtype, index_dir=tmp_path_factory.mktemp(f"seeds-{dtype}")))
    index_paths(pipeline, [SEEDS])
    return pipeline


@pytest.fixture(scope="module")
def pipelines(tmp_path_factory) -> dict[str, Pipeline]:
    return {dtype: _seed_pipeline(tmp_path_factory, dtype) for dtype in ("float32", "bfloat16")}


@pytest.mark.integration
def test_bf16_vectors_follow_the_float32_reference(pipelines):
    reference, fast = pipelines["float32"].embed_model, pipelines["bfloat16"].embed_model
    texts = [chunk.get_content() for chunk in pipelines["float32"].store.all_chunks()]
    assert next(fast._model.parameters()).dtype is torch.bfloat16
    a, b = np.array(reference.get_text_embedding_batch(texts)), np.array(fast.get_text_embedding_batch(texts))
    # normalised in bfloat16 (three significant digits): unit length to within 1%; every cosine here and in
    # Chroma divides by the norms, so only the direction counts
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-2)
    cosines = (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    assert cosines.min() > 0.999
    question = "When were Britney Spears and Kevin Federline married?"
    ranks = [np.argsort(-(m @ np.array(e.get_query_embedding(question)))) for m, e in ((a, reference), (b, fast))]
    assert list(ranks[0][:3]) == list(ranks[1][:3])


@pytest.mark.integration
@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_retrieval_crosses_languages_both_ways_in_each_precision(pipelines, dtype):
    pipeline = pipelines[dtype]
    first = retrieve("When were Britney Spears and Kevin Federline married?", k=5, pipeline=pipeline)[0]
    assert first.doc_id == GERMAN and "2004 bis 2007" in first.text
    passages = retrieve("Wie alt ist Lynne Spears?", k=5, pipeline=pipeline)
    assert any(p.doc_id == ENGLISH and "her mother, 68" in p.text for p in passages)


@pytest.mark.integration
def test_batches_padded_to_a_multiple_of_tokens_give_the_same_vectors():
    texts = ["Kurz.", "Ein längerer Satz über den Hafen, seine Kosten und wer sie trägt. " * 4]
    padded, plain = (build_embedder(Settings(embed_dtype="float32", embed_pad_multiple=m)) for m in (32, 0))
    width = lambda embedder: embedder._model[0].preprocess(texts)["input_ids"].shape[1]  # noqa: E731
    assert width(padded) % 32 == 0 and width(plain) % 32 != 0 and width(padded) > width(plain)
    a, b = (np.array(e.get_text_embedding_batch(texts)) for e in (padded, plain))
    assert ((a * b).sum(axis=1)).min() > 0.99999  # the padding is masked: only rounding differs
