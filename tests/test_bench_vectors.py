"""The synthetic collection's vectors and the exact search its recall is measured against."""

import numpy as np

from assistant.bench import exact_neighbours, synthetic_vectors


def test_synthetic_vectors_are_unit_length_the_same_on_every_run_and_stay_near_their_real_ones():
    rng = np.random.default_rng(0)
    base = rng.standard_normal((50, 384)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    vectors = synthetic_vectors(base, 400)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(vectors, synthetic_vectors(base, 400))
    noise = rng.standard_normal((400, 384)).astype(np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    assert (vectors @ base.T).max(axis=1).min() > 0.45 > (noise @ base.T).max()  # each leans on a real vector
    assert len(np.unique(vectors.round(4), axis=0)) == 400


def test_exact_neighbours_match_a_full_sort_across_block_boundaries():
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((250_000, 8)).astype(np.float32)  # more than two blocks of 100,000
    queries = rng.standard_normal((5, 8)).astype(np.float32)
    found = exact_neighbours(vectors, queries, 7)
    for query, top in zip(queries, found, strict=True):
        assert list(top) == np.argsort(-(vectors @ query))[:7].tolist()  # the same ones, best first
