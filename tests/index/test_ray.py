"""Ingest with the model's passes on Ray Data (a local Ray of two CPUs) gives the collection a local ingest gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from embeddings.onnx_embedder import OnnxEmbedder
from qa.cli import main
from qa.index.collection import Collection
from qa.index.ingest import ingest
from qa.settings import ChunkSettings
from qa.sources.files import read_paths

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install -e '.[ray]'")
pytest.importorskip("ray.data", reason="Ray Data is an optional extra: pip install -e '.[ray]'")

from embeddings.ray_embedder import EmbedderSpec, RayEmbedder  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[2] / "qa" / "samples" / "articles"


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    yield
    ray.shutdown()


def contents(
    folder: Path,
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Chunk rows, sentence rows, and every chunk's and sentence's vector, by id."""
    collection = Collection.open(folder, "news")
    try:
        db = collection.store._db
        chunks = db.execute("SELECT id, article_id, start, end FROM chunks ORDER BY id").fetchall()
        sentences = db.execute("SELECT id, article_id, start, end FROM sentences ORDER BY id").fetchall()
        passages = dict(zip([i for i, *_ in chunks], collection.vectors.vectors([i for i, *_ in chunks]), strict=True))
        sentence_ids = [i for i, *_ in sentences]
        sentence_vectors = dict(zip(sentence_ids, collection.sentence_vectors.vectors(sentence_ids), strict=True))
    finally:
        collection.close()
    return chunks, sentences, passages, sentence_vectors


def test_ray_ingest_gives_the_local_collection(tmp_path: Path, embedder: OnnxEmbedder, local_ray: None) -> None:
    articles = read_paths([SAMPLES]).articles
    ingest(articles, tmp_path / "local", "news", embedder, ChunkSettings())
    remote = RayEmbedder(embedder, EmbedderSpec(embedder.name, str(embedder.path.parent)), actors=2)
    ingest(articles, tmp_path / "ray", "news", remote, ChunkSettings())

    here, there = contents(tmp_path / "local"), contents(tmp_path / "ray")
    assert here[0] == there[0] and here[1] == there[1], "the passages or sentences differ"
    assert len(here[0]) > 10 and len(here[1]) > len(here[0])
    for mine, theirs in ((here[2], there[2]), (here[3], there[3])):
        cosines = [float(mine[i] @ theirs[i]) for i in mine]
        assert min(cosines) >= 0.999, min(cosines)


def test_cli_ingest_with_ray(
    tmp_path: Path, embedder: OnnxEmbedder, local_ray: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--data-dir", str(tmp_path), "ingest", str(SAMPLES), "-c", "news", "--ray"]) == 0
    assert "collection 'news'" in capsys.readouterr().out
    ingest(read_paths([SAMPLES]).articles, tmp_path / "local", "news", embedder, ChunkSettings())
    assert contents(tmp_path)[:2] == contents(tmp_path / "local")[:2]
