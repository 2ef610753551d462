"""The int8 ONNX Runtime ingest embedder: exported once, cached, and close to the fp32 model's vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embeddings.numpy_embedder import NumpyEmbedder
from embeddings.onnx_embedder import OnnxEmbedder

pytestmark = pytest.mark.model

PASSAGES = [
    'NATO offers Russia a shared missile shield\nRussia should help NATO create a "security roof" that would '
    "jointly defend both of them from missiles, the alliance's chief said on Sunday.",
    "Harbour news\nThe tidal barrier opened on Monday after ten years of work. It cost 40 million pounds.",
    "Cup final\nTickets for the cup final sold out within an hour, the club said. " * 6,
    "",
]


def test_export_is_cached_and_vectors_stay_close_to_fp32(tmp_path: Path) -> None:
    first = OnnxEmbedder(cache=tmp_path)
    assert first.path.parent == tmp_path and first.path.suffix == ".onnx"
    written = first.path.stat().st_mtime_ns
    again = OnnxEmbedder(cache=tmp_path)
    assert again.path == first.path and again.path.stat().st_mtime_ns == written, "exported a second time"

    exact = NumpyEmbedder()
    ours = first.embed_documents(PASSAGES)
    cosines = (ours * exact.embed_documents(PASSAGES)).sum(axis=1)
    # int8 weights move vectors a little (benchmarks/ingest_speed.py measures retrieval on dev-24).
    assert cosines.min() >= 0.97 and cosines.mean() >= 0.985, cosines
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    # The nearest passage to a question is the same with either.
    question = exact.embed_query("What did NATO propose to Russia?")
    assert int(np.argmax(ours @ question)) == 0
    assert first.count_tokens(PASSAGES) == exact.count_tokens(PASSAGES)


def test_spans_come_from_the_same_pass(tmp_path: Path) -> None:
    embedder = OnnxEmbedder(cache=tmp_path)
    text = PASSAGES[1]
    second = "It cost 40 million pounds."
    vectors, pooled = embedder.embed_with_spans([text], [[(text.index(second), len(text))]])
    assert np.allclose(vectors[0], embedder.embed_documents([text])[0], atol=1e-5)
    span = pooled[0][0]
    assert span is not None
    alone = embedder.embed_documents([second, "Tickets for the cup final sold out."])
    similarity = alone @ (span / np.linalg.norm(span))
    assert similarity[0] > similarity[1], similarity
