"""The word-overlap rules: candidate sentences, their cheap scores and the rules' confidence.

The model reader (qa/answer/model.py) uses the candidates and cheap scores to shortlist sentences;
the rules reader uses all of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from embeddings import Vectors
from qa.answer.kinds import has_new_name, has_number, wants_name, wants_number
from qa.index.collection import Collection
from qa.index.lexical import LexicalIndex
from qa.types import Hit

# Added to a candidate sentence holding a name the question lacks, when the question asks for one.
NAME_BONUS = 0.1


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage, in article offsets, with its similarity to the query."""

    passage: int
    start: int
    end: int
    text: str
    similarity: float
    stems: frozenset[str]


def candidates(collection: Collection, query_vector: Vectors, hits: list[Hit], passages: int) -> list[Candidate]:
    """The sentences of the first ``passages`` hits, scored against the query with their stored vectors."""
    found: list[tuple[int, int, int, int]] = []
    for index, hit in enumerate(hits[:passages]):
        chunk = hit.chunk
        found.extend((index, *row) for row in collection.store.sentences_in(chunk.article_id, chunk.start, chunk.end))
    similarities = collection.sentence_vectors.scores(query_vector, [row[1] for row in found])
    out = []
    for (index, _, start, end), similarity in zip(found, similarities, strict=True):
        chunk = hits[index].chunk
        text = chunk.text[start - chunk.start : end - chunk.start]
        out.append(Candidate(index, start, end, text, similarity, frozenset(collection.lexical.stems(text))))
    return out


def term_weights(query: str, pool: list[Candidate], lexical: LexicalIndex) -> dict[str, float]:
    """Weight of each query term: rare in the collection and rare among the candidate sentences.

    The second factor is what finds the answer: the topic words of a story ("barrier", "Saltmere")
    sit in many of its sentences, the question's focus ("homes") in few.
    """
    terms = lexical.query_terms(query)
    return {t: lexical.idf(t) * math.log(1.0 + len(pool) / (1.0 + sum(t in c.stems for c in pool))) for t in terms}


def sentence_scores(query: str, hits: list[Hit], pool: list[Candidate], collection: Collection) -> list[float]:
    """How well each sentence of ``pool`` seems to answer the query: meaning, the query's focus terms, passage rank."""
    if not pool:
        return []
    weights = term_weights(query, pool, collection.lexical)
    total = sum(weights.values()) or 1.0
    top = hits[0].score if hits[0].score > 0 else 1.0
    # A news lead restates the question's words without the name asked for; the name comes later.
    name_bonus = NAME_BONUS if wants_name(query) else 0.0

    def score(candidate: Candidate) -> float:
        overlap = sum(w for t, w in weights.items() if t in candidate.stems) / total
        prior = hits[candidate.passage].score / top
        named = name_bonus if name_bonus and has_new_name(candidate.text, query) else 0.0
        return candidate.similarity + 0.5 * overlap + 0.2 * prior + named

    return [score(c) for c in pool]


def choose_sentence(query: str, hits: list[Hit], pool: list[Candidate], collection: Collection) -> Candidate | None:
    """The sentence of ``pool`` with the best ``sentence_scores``."""
    if not pool:
        return None
    scores = sentence_scores(query, hits, pool, collection)
    return pool[max(range(len(pool)), key=lambda i: scores[i])]


def _support(query: str, hit: Hit, similarity: float, lexical: LexicalIndex, background: int = 0) -> float:
    """How well one passage supports an answer: its best sentence's cosine and its coverage of the query."""
    coverage = lexical.coverage(query, f"{hit.chunk.title}\n{hit.chunk.text}", background=background)
    return 0.35 * max(similarity, 0.0) + 0.65 * coverage


def confidence(
    query: str,
    hits: list[Hit],
    pool: list[Candidate],
    chosen: Candidate | None,
    collection: Collection,
    *,
    background: int = 0,
) -> float:
    """How sure we are the passages answer the query, in [0, 1].

    The best sentence's cosine to the query, and how much of the query's rare vocabulary the top
    passage (with its headline) contains; or the same for the passage the answer sentence comes
    from, when that passage supports it better (the answer is often in the second or third).
    Weights and the default threshold were fitted on dev-24 answerable and unanswerable
    questions, and checked on the BBC and QuAIL question sets. ``background``: see
    ``LexicalIndex.coverage`` (the model reader's support uses it; the rules do not).
    """
    if not hits:
        return 0.0
    best = max((c.similarity for c in pool), default=hits[0].dense_score or 0.0)
    score = _support(query, hits[0], best, collection.lexical, background)
    if chosen is not None and chosen.passage > 0:
        own = max(c.similarity for c in pool if c.passage == chosen.passage)
        score = max(score, _support(query, hits[chosen.passage], own, collection.lexical, background))
    return score


def able_to_answer(query: str, pool: list[Candidate]) -> list[int]:
    """Indexes of the candidates that can answer ``query``: for "how many / how much / what year ...?",
    those holding a number of the kind asked for; otherwise all."""
    if not wants_number(query):
        return list(range(len(pool)))
    return [i for i, c in enumerate(pool) if has_number(c.text, query)]
