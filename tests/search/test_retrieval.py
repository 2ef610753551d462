"""Fusion, every search path against a brute-force check, and the answer threshold."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embeddings import HashingEmbedder
from qa.answer.rules import RulesReader
from qa.errors import InvalidInput
from qa.index.collection import Collection
from qa.index.ingest import ingest
from qa.search.retrieval import Searcher, fuse
from qa.settings import ChunkSettings, SearchSettings
from qa.types import Article

TOPICS = [
    ("Barrier opens", "The tidal barrier opened on Monday in Saltmere. It cost 40 million pounds to build."),
    ("Rates cut", "The central bank cut interest rates to 3.5 percent. Economists had expected the cut."),
    ("Final won", "The Mariners won the cricket final by six wickets. Their captain scored 81 runs."),
    ("Rail strike", "Train drivers walked out for 48 hours over pay. Most rail services were cancelled."),
    ("Moon landing", "A private lander touched down near the lunar south pole. It carries six instruments."),
]


@pytest.fixture
def searcher(tmp_path: Path) -> Searcher:
    embedder = HashingEmbedder(dim=512)
    articles = [Article(f"a{i}", title, text) for i, (title, text) in enumerate(TOPICS)]
    ingest(articles, tmp_path, "news", embedder, ChunkSettings(chunk_tokens=16, chunk_overlap=0))
    return Searcher(Collection.open(tmp_path, "news"), embedder)


def test_fuse_normalises_each_side_and_weights_them() -> None:
    dense = {1: 0.9, 2: 0.5, 3: 0.1}
    lexical = {2: 10.0, 4: 5.0}
    fused = fuse(dense, lexical, dense_weight=0.5)
    assert fused[1] == pytest.approx(0.5)  # best dense, no BM25
    assert fused[2] == pytest.approx(0.5 * 0.5 + 0.5 * 1.0)
    assert fused[4] == pytest.approx(0.5 * 0.0 + 0.5 * 0.5)  # missing dense counts as the minimum
    assert fuse(dense, {}, 0.3)[1] == pytest.approx(0.3)
    assert fuse({}, {}, 0.3) == {}


def test_dense_search_matches_brute_force(searcher: Searcher) -> None:
    chunks = searcher.collection.store.chunks()
    embedder = searcher.embedder
    matrix = embedder.embed_documents([f"{c.title}\n{c.text}" for c in chunks])
    for query in ("cricket final captain", "interest rates bank", "lunar lander instruments"):
        expected = np.argsort(-(matrix @ embedder.embed_query(query)), kind="stable")[:3]
        hits = searcher.search(query, SearchSettings(k=3, retriever="dense"))
        assert [h.chunk.id for h in hits] == [chunks[i].id for i in expected]
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


@pytest.mark.parametrize("retriever", ["dense", "bm25", "hybrid"])
def test_each_retriever_finds_the_topic(searcher: Searcher, retriever: str) -> None:
    hits = searcher.search(
        "How many wickets did the Mariners win the final by?", SearchSettings(k=2, retriever=retriever)
    )
    assert hits[0].chunk.title == "Final won"
    assert all(h.dense_score is not None and h.lexical_score is not None for h in hits)


def test_bm25_matches_a_reference_count(searcher: Searcher) -> None:
    hits = searcher.search("wickets", SearchSettings(k=5, retriever="bm25"))
    assert [h.chunk.title for h in hits] == ["Final won"]  # only one chunk contains the term


def test_k_bounds(searcher: Searcher) -> None:
    assert len(searcher.search("rail", SearchSettings(k=500))) == len(searcher.collection.vectors)
    with pytest.raises(InvalidInput, match="k=0"):
        searcher.search("rail", SearchSettings(k=0))


def test_rules_reader_answer_sentence_and_threshold(searcher: Searcher) -> None:
    question = "How many runs did the captain score?"
    vector = searcher.embedder.embed_query(question)
    hits = searcher.search(question, SearchSettings(k=3), query_vector=vector)
    answer = RulesReader(min_score=0.1).read(question, question, vector, hits, searcher.collection)
    assert answer.found and answer.sentence == "Their captain scored 81 runs."
    chunk = answer.passages[answer.passage_index].chunk
    article = searcher.collection.store.article(chunk.article_id)
    assert article is not None and article.text[answer.sentence_start : answer.sentence_end] == answer.sentence
    refused = RulesReader(min_score=0.99).read(question, question, vector, hits, searcher.collection)
    assert not refused.found and refused.sentence is None and refused.passages == answer.passages


def test_top_rows_is_the_stable_sorts_prefix_without_sorting_everything() -> None:
    from qa.search.retrieval import top_rows

    rng = np.random.default_rng(7)
    for size, n in ((1000, 50), (1000, 1), (30, 50), (500, 499)):
        # Few distinct values, so ties sit at the cut-off.
        scores = rng.integers(0, 12, size).astype(np.float32)
        expected = np.argsort(-scores, kind="stable")[:n]
        assert top_rows(scores, n).tolist() == expected.tolist()
