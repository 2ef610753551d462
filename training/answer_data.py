"""Training pairs for the answer model, from SQuAD 2.0 and SQuAD 1.1 files.

A pair is (question, sentence in context) with label 1 when the sentence holds the answer span
and 0 otherwise. Negatives are the sentences a reader could mistake for the answer: the other
sentences of the paragraph that share most words with the question, the best-matching sentence
of another paragraph of the article, and, for SQuAD 2.0's unanswerable questions, the sentence
holding the "plausible answer" a careless reader would give.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.answer_pairs import answer_pair
from qa.sentences import split_sentences

_WORD = re.compile(r"[a-z0-9]+")
# Words that say nothing of what a question asks (kept as trained: changing them changes the pairs).
_STOP = frozenset(
    """
the a an of in on at to for from by with and or is are was were be been what which who whom whose
when where why how did does do that this these those it its as than into has have had not
    """.split()  # noqa: SIM905
)


@dataclass(frozen=True)
class Pair:
    question: str
    second: str
    label: float


@dataclass(frozen=True)
class Example:
    """One question over one paragraph, for held-out checks: its sentences and which hold the answer."""

    question: str
    sentences: tuple[str, ...]
    title: str
    gold: frozenset[int]


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.casefold()) if w not in _STOP}


def _by_overlap(question: str, sentences: list[str], exclude: set[int]) -> list[int]:
    words = _words(question)
    order = [i for i in range(len(sentences)) if i not in exclude]
    return sorted(order, key=lambda i: (-len(words & _words(sentences[i])), i))


def _sentence_of(spans: list[tuple[int, int]], start: int, end: int) -> int | None:
    for index, (a, b) in enumerate(spans):
        if a <= start and end <= b:
            return index
    return None


def load_articles(path: Path) -> list[dict[str, Any]]:
    return list(json.loads(path.read_text(encoding="utf-8"))["data"])


def examples(articles: list[dict[str, Any]], titles: set[str] | None = None) -> list[Example]:
    """Every question of the chosen articles, over its own paragraph split into sentences."""
    out: list[Example] = []
    seen: set[tuple[str, str]] = set()
    for article in articles:
        title = str(article["title"])
        if titles is not None and title not in titles:
            continue
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            spans = split_sentences(context)
            sentences = tuple(context[a:b] for a, b in spans)
            for qa in paragraph["qas"]:
                question = " ".join(qa["question"].split())
                if not question or (title, question.casefold()) in seen:
                    continue
                seen.add((title, question.casefold()))
                answers = [] if qa.get("is_impossible") else qa.get("answers", [])
                gold = {
                    index
                    for a in answers
                    if (index := _sentence_of(spans, a["answer_start"], a["answer_start"] + len(a["text"]))) is not None
                }
                if answers and not gold:
                    continue  # the answer crosses a sentence boundary: no single sentence states it
                out.append(Example(question, sentences, title, frozenset(gold)))
    return out


def _plausible(article_paragraph: dict[str, Any], question: str) -> list[tuple[int, int]]:
    for qa in article_paragraph["qas"]:
        if " ".join(qa["question"].split()) == question:
            return [(a["answer_start"], a["answer_start"] + len(a["text"])) for a in qa.get("plausible_answers", [])]
    return []


def training_pairs(
    articles: list[dict[str, Any]],
    titles: set[str],
    seed: int,
    *,
    paragraph_negatives: int = 2,
    seen: set[tuple[str, str]] | None = None,
) -> list[Pair]:
    """Labelled pairs for the questions of the articles named in ``titles``.

    ``seen`` carries (title, question) keys across files, so a question in both SQuAD files counts once.
    """
    rng = random.Random(seed)
    pairs: list[Pair] = []
    seen = set() if seen is None else seen
    for article in articles:
        title = str(article["title"])
        if title not in titles:
            continue
        paragraphs = article["paragraphs"]
        split = [split_sentences(p["context"]) for p in paragraphs]
        texts = [[p["context"][a:b] for a, b in spans] for p, spans in zip(paragraphs, split, strict=True)]
        for number, paragraph in enumerate(paragraphs):
            spans, sentences = split[number], texts[number]
            for qa in paragraph["qas"]:
                question = " ".join(qa["question"].split())
                if not question or (title, question.casefold()) in seen:
                    continue
                seen.add((title, question.casefold()))
                impossible = bool(qa.get("is_impossible")) or not qa.get("answers")
                chosen: list[tuple[str, float]] = []
                if impossible:
                    hard = {
                        index
                        for a, b in _plausible(paragraph, qa["question"])
                        if (index := _sentence_of(spans, a, b)) is not None
                    }
                    negatives = list(hard) + _by_overlap(question, sentences, hard)[:paragraph_negatives]
                    chosen = [(sentences[i], 0.0) for i in dict.fromkeys(negatives)][: paragraph_negatives + 1]
                else:
                    answers = qa["answers"]
                    gold = {
                        index
                        for a in answers
                        if (index := _sentence_of(spans, a["answer_start"], a["answer_start"] + len(a["text"])))
                        is not None
                    }
                    if not gold:
                        continue
                    texts_of_answers = {a["text"] for a in answers}
                    chosen = [(sentences[min(gold)], 1.0)]
                    others = [
                        i
                        for i in _by_overlap(question, sentences, gold)
                        if not any(t in sentences[i] for t in texts_of_answers)
                    ]
                    chosen += [(sentences[i], 0.0) for i in others[:paragraph_negatives]]
                    # A sentence of another paragraph of the article: retrieval will offer those too.
                    elsewhere = [
                        s
                        for n, other in enumerate(texts)
                        if n != number
                        for s in other
                        if not any(t in s for t in texts_of_answers)
                    ]
                    if elsewhere:
                        words = _words(question)
                        best = max(elsewhere, key=lambda s: (len(words & _words(s)), rng.random()))
                        chosen.append((best, 0.0))
                for sentence, label in chosen:
                    first, second = answer_pair(question, sentence, title)
                    pairs.append(Pair(first, second, label))
    return pairs
