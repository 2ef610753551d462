"""Pick the answer sentence from the retrieved passages, or say the answer is not there."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from embeddings import Embedder, Vectors
from qa.lexical import LexicalIndex
from qa.sentences import split_sentences
from qa.types import Answer, Hit


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage, in article offsets."""

    passage: int
    start: int
    end: int
    text: str


def candidates(hits: list[Hit], passages: int) -> list[Candidate]:
    """The sentences of the first ``passages`` hits."""
    out = []
    for index, hit in enumerate(hits[:passages]):
        chunk = hit.chunk
        for a, b in split_sentences(chunk.text):
            out.append(Candidate(index, chunk.start + a, chunk.start + b, chunk.text[a:b]))
    return out


def term_overlap(question: str, sentence: str, lexical: LexicalIndex) -> float:
    """Share of the question's IDF weight whose terms appear in the sentence."""
    terms = set(lexical.query_terms(question))
    if not terms:
        return 0.0
    present = set(lexical.stems(sentence))
    weights = {t: lexical.idf(t) for t in terms}
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in present) / total if total > 0 else 0.0


def choose_sentence(
    question: str,
    query_vector: Vectors,
    hits: list[Hit],
    embedder: Embedder,
    lexical: LexicalIndex,
    passages: int = 3,
) -> Candidate | None:
    """The sentence that best answers the question: meaning, shared rare terms and passage rank."""
    pool = candidates(hits, passages)
    if not pool:
        return None
    vectors = embedder.embed_documents([c.text for c in pool])
    similarity = vectors @ query_vector
    best_score = -np.inf
    best = pool[0]
    top = hits[0].score if hits[0].score > 0 else 1.0
    for candidate, sim in zip(pool, similarity, strict=True):
        prior = hits[candidate.passage].score / top
        score = float(sim) + 0.5 * term_overlap(question, candidate.text, lexical) + 0.2 * prior
        if score > best_score:
            best_score, best = score, candidate
    return best


def make_answer(
    question: str,
    query: str,
    query_vector: Vectors,
    hits: list[Hit],
    embedder: Embedder,
    lexical: LexicalIndex,
    min_score: float,
) -> Answer:
    """An Answer: the best sentence when the top passage is close enough to the question."""
    found = bool(hits) and (hits[0].dense_score or 0.0) >= min_score
    sentence = choose_sentence(question, query_vector, hits, embedder, lexical) if found else None
    if sentence is None:
        return Answer(question, query, False, None, None, None, None, tuple(hits))
    return Answer(question, query, True, sentence.text, sentence.passage, sentence.start, sentence.end, tuple(hits))
