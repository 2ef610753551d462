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


def _read(folder, entry) -> FaissIndex:
    parts = [FaissIndex.load(folder / s) for s in entry["segments"]]
    removed = np.load(folder / entry["removed"]) if entry["removed"] else None
    return FaissIndex.join(parts, removed, entry["segments"])


def _same(a: FaissIndex, b: FaissIndex, queries: np.ndarray) -> None:
    assert a.ids() == b.ids() and len(a) == len(b)
    for query in queries:
        assert [n.id for n in a.search(query, 5)] == [n.id for n in b.search(query, 5)]


def test_saved_changes_are_new_segments_and_read_back_whole(tmp_path) -> None:
    vectors = _unit(60, 16, seed=7)
    index = FaissIndex(16)
    index.add(list(range(40)), vectors[:40])
    first = index.save_changes(tmp_path, "v")
    assert len(first["segments"]) == 1 and first["removed"] is None

    loaded = _read(tmp_path, first)
    loaded.add(list(range(40, 60)), vectors[40:])
    assert loaded.remove([3, 45]) == 2
    second = loaded.save_changes(tmp_path, "v")
    assert second["segments"][0] == first["segments"][0] and len(second["segments"]) == 2
    assert len(FaissIndex.load(tmp_path / second["segments"][1])) == 19  # only the added vectors, less 45
    assert np.load(tmp_path / second["removed"]).tolist() == [3]  # 45 was never saved
    FaissIndex.tidy(tmp_path, "v", second)
    assert {p.name for p in tmp_path.iterdir()} == {*second["segments"], second["removed"]}
    _same(_read(tmp_path, second), loaded, _unit(5, 16, seed=8))


def test_many_segments_or_removals_merge_into_one(tmp_path) -> None:
    vectors = _unit(100, 8, seed=9)
    index = FaissIndex(8)
    index.add([0], vectors[:1])
    entry = index.save_changes(tmp_path, "v")
    for i in range(1, 12):
        index = _read(tmp_path, entry)
        index.add([i], vectors[i : i + 1])
        entry = index.save_changes(tmp_path, "v")
        assert len(entry["segments"]) <= 8
    assert len(_read(tmp_path, entry)) == 12

    index = _read(tmp_path, entry)
    index.remove(list(range(6)))  # half of what is stored
    entry = index.save_changes(tmp_path, "v")
    assert len(entry["segments"]) == 1 and entry["removed"] is None
    assert _read(tmp_path, entry).ids() == set(range(6, 12))


def test_an_id_removed_and_added_again_is_kept(tmp_path) -> None:
    """Ids can come back (a store reuses the highest id after deleting it): the new vector must survive."""
    vectors = _unit(6, 8, seed=10)
    index = FaissIndex(8)
    index.add(list(range(5)), vectors[:5])
    index = _read(tmp_path, index.save_changes(tmp_path, "v"))
    index.remove([4])
    index.add([4], vectors[5:6])
    loaded = _read(tmp_path, index.save_changes(tmp_path, "v"))
    assert loaded.ids() == set(range(5))
    assert loaded.search(vectors[5], 1)[0].id == 4


def _clustered(rows: int, dim: int, seed: int) -> np.ndarray:
    """Unit vectors in clusters, as embeddings of news are (uniform noise has no neighbours to find)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(40, dim))
    vectors = centres[rng.integers(0, 40, rows)] + 0.6 * rng.normal(size=(rows, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_a_large_index_is_saved_approximate_and_keeps_working(tmp_path, monkeypatch) -> None:
    """Past APPROXIMATE_FROM a save trains an IVF index; it reads back, takes segments and removals,
    and finds what exact search finds."""
    monkeypatch.setattr("embeddings.vector_stores.APPROXIMATE_FROM", 2000)
    vectors = _clustered(3000, 32, seed=11)
    index = FaissIndex(32)
    index.add(list(range(2500)), vectors[:2500])
    assert index.kind == "flat"
    entry = index.save_changes(tmp_path, "v")
    assert index.kind.startswith("ivf") and index.kind.endswith(",sq8")

    loaded = _read(tmp_path, entry)
    assert loaded.kind == index.kind and len(loaded) == 2500
    loaded.add(list(range(2500, 3000)), vectors[2500:])
    assert loaded.remove([0, 1, 2]) == 3
    entry = loaded.save_changes(tmp_path, "v")
    assert len(entry["segments"]) == 2  # the IVF base and a flat segment of the 500 added

    again = _read(tmp_path, entry)
    assert again.ids() == set(range(3, 3000))
    queries = _clustered(50, 32, seed=12)
    recall = np.mean(
        [len({n.id for n in again.search(q, 10)} & {n.id for n in again.exact_search(q, 10)}) / 10 for q in queries]
    )
    assert recall >= 0.9
    assert again.scores(vectors[2700], [2700])[0] == pytest.approx(1.0, abs=0.01)
    norms = again.norms()
    assert len(norms) == 2997 and float(np.abs(norms - 1.0).max()) < 0.05, float(np.abs(norms - 1.0).max())
