"""Steps after fusion: collapse near-duplicate passages, and re-rank with an optional scorer."""

from __future__ import annotations

import re
from dataclasses import replace

from embeddings import Scorer
from qa.types import Hit

_WORD = re.compile(r"\w+")


def _shingles(text: str, size: int = 3) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.casefold())
    return {tuple(words[i : i + size]) for i in range(max(1, len(words) - size + 1))}


def collapse_duplicates(hits: list[Hit], k: int, threshold: float = 0.8) -> list[Hit]:
    """The first ``k`` hits, skipping any passage that mostly repeats a better one of another article.

    Wire copies of one story, and exact re-posts under another headline, would otherwise fill
    the top-k with the same text. Overlapping passages of the same article are kept: each holds
    text the other lacks.
    """
    kept: list[tuple[Hit, set[tuple[str, ...]]]] = []
    for hit in hits:
        shingles = _shingles(hit.chunk.text)
        if not any(
            other.chunk.article_id != hit.chunk.article_id
            and len(shingles & seen) >= threshold * min(len(shingles), len(seen))
            for other, seen in kept
        ):
            kept.append((hit, shingles))
            if len(kept) == k:
                break
    return [hit for hit, _ in kept]


def rerank(query: str, hits: list[Hit], scorer: Scorer) -> list[Hit]:
    """Hits re-ordered by the scorer, which reads query and passage (with its headline) together."""
    scores = scorer.score(query, [f"{h.chunk.title}\n{h.chunk.text}" for h in hits])
    rescored = [replace(hit, score=score) for hit, score in zip(hits, scores, strict=True)]
    return sorted(rescored, key=lambda h: -h.score)
