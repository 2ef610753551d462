from __future__ import annotations

import numpy as np
import pytest

from embeddings import FaissIndex, HashingEmbedder


def _unit(rows: int, dim: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(rows, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_search_matches_brute_force() -> None:
    vectors = _unit(200, 32, seed=1)
    ids = list(range(1000, 1200))
    index = FaissIndex(32)
    index.add(ids, vectors)
    for query in _unit(10, 32, seed=2):
        expected = np.argsort(-(vectors @ query))[:7]
        got = index.search(query, 7)
        assert [n.id for n in got] == [ids[i] for i in expected]
        assert np.allclose([n.score for n in got], (vectors @ query)[expected], atol=1e-5)


def test_small_index_returns_fewer_never_minus_one() -> None:
    index = FaissIndex(8)
    index.add([5, 6], _unit(2, 8, seed=3))
    got = index.search(_unit(1, 8, seed=4)[0], 10)
    assert sorted(n.id for n in got) == [5, 6]
    assert FaissIndex(8).search(_unit(1, 8, seed=4)[0], 3) == []


def test_remove_and_scores(tmp_path) -> None:
    vectors = _unit(5, 16, seed=5)
    index = FaissIndex(16)
    index.add([10, 11, 12, 13, 14], vectors)
    assert index.remove([11, 99]) == 1
    assert len(index) == 4
    assert 11 not in {n.id for n in index.search(vectors[1], 5)}
    assert index.scores(vectors[2], [12, 14]) == pytest.approx([1.0, float(vectors[4] @ vectors[2])], abs=1e-5)
    index.save(tmp_path / "v.faiss")
    loaded = FaissIndex.load(tmp_path / "v.faiss")
    assert len(loaded) == 4 and loaded.dim == 16
    assert [n.id for n in loaded.search(vectors[3], 2)] == [n.id for n in index.search(vectors[3], 2)]


def test_dimension_mismatch_is_an_error() -> None:
    index = FaissIndex(16)
    with pytest.raises(ValueError, match="dimension 8"):
        index.add([1], _unit(1, 8, seed=6))


def test_hashing_embedder_is_deterministic_and_normalised() -> None:
    embedder = HashingEmbedder(dim=64)
    a = embedder.embed_documents(["NATO urged Russia", "bank rates rise"])
    b = embedder.embed_query("NATO urged Russia")
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0)
    assert np.allclose(a[0], b)
    assert float(a[0] @ a[1]) < 0.9
    assert embedder.count_tokens(["one two, three"]) == [6]
