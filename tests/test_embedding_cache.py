"""The embeddings memory that evidence scoring and verification share: equal to the model, bounded in bytes."""

import gc
import threading
import tracemalloc

import cachetools
import numpy as np

from assistant import evidence
from assistant.evidence import CachedEmbeddings

from fakes import FakeEmbedding


class Counting(FakeEmbedding):
    """Counts the texts and queries it embeds."""

    calls: int = 0

    def _get_text_embeddings(self, texts):
        self.calls += len(texts)
        return super()._get_text_embeddings(texts)

    def _get_query_embedding(self, query):
        self.calls += 1
        return super()._get_query_embedding(query)


def test_vectors_equal_the_models_and_are_embedded_once():
    model = Counting()
    cached = CachedEmbeddings(model, max_bytes=1_000_000)
    first = cached.get_text_embedding_batch(["a b", "c d", "a b"])
    assert model.calls == 2  # the repeated text is embedded once
    for text, vector in zip(["a b", "c d", "a b"], first):
        assert vector.dtype == np.float32 and not vector.flags.writeable  # shared, so read-only
        np.testing.assert_array_equal(vector, np.float32(model.get_text_embedding(text)))
    query = cached.get_query_embedding("a b")
    np.testing.assert_array_equal(query, np.float32(model.get_query_embedding("a b")))
    model.calls = 0
    cached.get_text_embedding_batch(["c d", "a b"])
    cached.get_query_embedding("a b")
    assert model.calls == 0  # all remembered, queries apart from texts


def _cache_allocations() -> int:
    """Bytes currently allocated from the cache's own code (its arrays, keys and bookkeeping), not the model's."""
    files = [tracemalloc.Filter(True, evidence.__file__), tracemalloc.Filter(True, cachetools.__file__)]
    return sum(s.size for s in tracemalloc.take_snapshot().filter_traces(files).statistics("filename"))


def test_the_memory_is_bounded_in_bytes_and_keeps_the_most_recent():
    budget = 500_000  # about 320 of the fake's 256-dimension vectors
    model = Counting()
    texts = [f"sentence number {n}" for n in range(3000)]  # ten times what fits
    gc.collect()
    tracemalloc.start()
    try:
        before = _cache_allocations()
        cached = CachedEmbeddings(model, max_bytes=budget)
        for first in range(0, len(texts), 50):
            cached.get_text_embedding_batch(texts[first : first + 50])
        gc.collect()
        held = _cache_allocations() - before
    finally:
        tracemalloc.stop()
    assert budget * 0.9 < cached.bytes_held <= budget
    assert held <= budget * 1.05  # what it really holds, not only what it counts (the overhead is an estimate)
    model.calls = 0
    cached.get_text_embedding_batch(texts[-200:])
    assert model.calls == 0  # the most recent are kept
    cached.get_text_embedding_batch(texts[:10])
    assert model.calls == 10  # the oldest went first


def test_a_zero_budget_remembers_nothing_and_still_answers():
    model = Counting()
    cached = CachedEmbeddings(model, max_bytes=0)
    for _ in range(2):
        vectors = cached.get_text_embedding_batch(["x y", "x y"])
        np.testing.assert_array_equal(vectors[1], np.float32(model.get_text_embedding("x y")))
    assert cached.bytes_held == 0 and model.calls == 2  # embedded once per call, kept by none


def test_threads_share_the_memory_safely():
    model = Counting()
    cached = CachedEmbeddings(model, max_bytes=50_000)
    texts = [f"text {n}" for n in range(400)]
    errors = []

    def work(offset):
        try:
            for n in range(0, 400, 20):
                batch = texts[(n + offset) % 400 :][:20]
                for text, vector in zip(batch, cached.get_text_embedding_batch(batch)):
                    np.testing.assert_array_equal(vector, np.float32(model.get_text_embedding(text)))
        except Exception as error:  # collected: an assertion in a thread would otherwise pass unnoticed
            errors.append(error)

    threads = [threading.Thread(target=work, args=(o,)) for o in (0, 7, 13, 200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and cached.bytes_held <= 50_000
