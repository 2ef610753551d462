"""Near-duplicate collapse and the pluggable re-ranker, with a fake scorer."""

from __future__ import annotations

from pathlib import Path

from embeddings import HashingEmbedder
from qa.engine import Engine
from qa.index.collection import Collection
from qa.index.ingest import ingest
from qa.search.reranking import collapse_duplicates, rerank
from qa.search.retrieval import Searcher
from qa.settings import ChunkSettings, SearchSettings, Settings
from qa.types import Article, Chunk, Hit

STORY = "The Mariners won the cricket final by six wickets at Gullhaven Road on Sunday evening."


def _hit(chunk_id: int, article: str, text: str, score: float) -> Hit:
    return Hit(Chunk(chunk_id, article, "t", text, 0, len(text)), score)


class LengthScorer:
    """A fake cross-encoder: prefers the passage that mentions 'wickets' most, then the shortest."""

    name = "fake-scorer"

    def __init__(self) -> None:
        self.calls: list[int] = []

    def score(self, query: str, passages: list[str]) -> list[float]:
        self.calls.append(len(passages))
        return [p.count("wickets") * 100.0 - len(p) for p in passages]


def test_collapse_skips_copies_from_other_articles_but_keeps_own_overlaps() -> None:
    hits = [
        _hit(1, "a", STORY, 0.9),
        _hit(2, "b", STORY.replace("Sunday", "Sunday night"), 0.8),  # a wire copy
        _hit(3, "a", STORY + " The captain scored 81.", 0.7),  # same article, overlapping
        _hit(4, "c", "Train drivers began a 48-hour strike over pay.", 0.6),
    ]
    assert [h.chunk.id for h in collapse_duplicates(hits, k=3)] == [1, 3, 4]
    assert [h.chunk.id for h in collapse_duplicates(hits, k=1)] == [1]


def test_rerank_orders_by_the_scorer() -> None:
    hits = [_hit(1, "a", "no match here at all", 0.9), _hit(2, "b", "six wickets", 0.1)]
    reranked = rerank("wickets?", hits, LengthScorer())
    assert [h.chunk.id for h in reranked] == [2, 1]
    assert reranked[0].score > reranked[1].score


def test_searcher_reranks_a_deeper_pool_and_returns_k(tmp_path: Path) -> None:
    embedder = HashingEmbedder(dim=512)
    articles = [
        Article("long", "Final", "Cricket final report. " + "The crowd sang and the cricket final went on. " * 3),
        Article("short", "Result", "Cricket: six wickets decided it."),
        Article("other", "Rail", "Train drivers began a strike over pay and rosters."),
    ]
    ingest(articles, tmp_path, "news", embedder, ChunkSettings(chunk_tokens=40, chunk_overlap=0))
    scorer = LengthScorer()
    searcher = Searcher(Collection.open(tmp_path, "news"), embedder, scorer)
    hits = searcher.search("cricket final", SearchSettings(k=1, rerank_depth=3))
    assert [h.chunk.article_id for h in hits] == ["short"]
    assert scorer.calls == [3]
    plain = Searcher(Collection.open(tmp_path, "news"), embedder).search("cricket final", SearchSettings(k=1))
    assert plain[0].chunk.article_id == "long"


def test_engine_uses_an_injected_scorer(tmp_path: Path) -> None:
    embedder = HashingEmbedder(dim=512)
    ingest([Article("x", "Final", STORY)], tmp_path, "news", embedder, ChunkSettings(chunk_tokens=40))
    scorer = LengthScorer()
    engine = Engine(Settings(data_dir=tmp_path, model="hashing"), embedder, scorer)
    engine.ask("Who won the final?", "news")
    assert scorer.calls
    assert Engine(Settings(data_dir=tmp_path, model="hashing"), embedder).scorer() is None
