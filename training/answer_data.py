"""Training pairs for the answer model, from SQuAD 2.0 and SQuAD 1.1 files.

A pair is (question, sentence in context) with label 1 when the sentence holds the answer span
and 0 otherwise. Negatives are the sentences a reader could mistake for the answer: the other
sentences of the paragraph that share most words with the question, the best-matching sentence
of another paragraph of the article, and, for SQuAD 2.0's unanswerable questions, the sentence
holding the "plausible answer" a careless reader would give.

Deletion pairs (``deletions=True``) teach the model to look for the answer itself rather than
for the question's words: the answer sentence with the answer cut out is a negative (it still
shares every word with the question, as a near miss does), and the same sentence with other
words of the same length cut out, the answer kept, is a positive, so that a cut alone says nothing.
"""

from __future__ import annotations

import json
import math
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.answer.pairs import answer_pair
from qa.language.sentences import split_sentences

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
    """``answer``: for a positive, the answer's words as they stand in ``second`` (the span to find)."""

    question: str
    second: str
    label: float
    answer: str = ""


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


def shift_articles(path: Path) -> list[dict[str, Any]]:
    """A SQuADShifts file as articles for ``training_pairs``.

    Wikipedia articles keep their titles as headlines. The Reddit file is one "article" of 2,035
    unrelated posts (each becomes an article), and every Amazon article (one product's reviews) is
    titled "Amazon_Reviews_2030": none of them has a headline (``"headline": ""``), since a made-up one would teach
    the model a headline that says nothing.
    """
    articles = load_articles(path)
    if path.name.startswith("new_wiki"):
        return articles
    if len(articles) == 1:  # Reddit: one post a paragraph
        return [
            {"title": f"{path.stem}/{n}", "headline": "", "paragraphs": [paragraph]}
            for n, paragraph in enumerate(articles[0]["paragraphs"])
        ]
    # Amazon: an article is one product's reviews
    return [{**article, "title": f"{path.stem}/{a}", "headline": ""} for a, article in enumerate(articles)]


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


# Words that lead into an answer ("grew by 8.5%", "at the age of 61"), cut with it.
_LEAD_IN = frozenset(
    """
by of at in on to for from with about around nearly almost over under some the a an approximately roughly as than
called named
    """.split()  # noqa: SIM905
)
_TOKEN = re.compile(r"\S+")


def cut(sentence: str, start: int, end: int) -> str:
    """The sentence without ``sentence[start:end]`` and the lead-in words just before it, tidied."""
    before = sentence[:start].rstrip()
    while (last := re.search(r"(\S+)$", before)) and last.group(1).casefold() in _LEAD_IN:
        before = before[: last.start()].rstrip()
    text = f"{before} {sentence[end:].lstrip()}".strip()
    text = re.sub(r"\(\s*\)|\[\s*\]|\"\s*\"", "", text)
    text = re.sub(r"\s+([,.;:!?)])", r"\1", text)
    text = re.sub(r"([,;:])\s*([,.;:!?])", r"\2", text)
    text = re.sub(r"^[\s,;:.\-–—]+", "", text)
    text = " ".join(text.split())
    if sentence.rstrip()[-1:] in ".!?" and text[-1:] not in ".!?":
        text = text.rstrip(",;:") + sentence.rstrip()[-1]
    return text[:1].upper() + text[1:]


def deletion_pair(
    question: str, sentence: str, start: int, end: int, answers: set[str], rng: random.Random
) -> tuple[str, str] | None:
    """(the sentence with the answer cut, the sentence with other words cut), or None where unfit.

    Unfit: the answer is most of the sentence, the answer occurs in it again, or no run of words
    outside the question and the answer is as long as the answer.
    """
    words = len(_TOKEN.findall(sentence[start:end]))
    inside_word = sentence[start - 1 : start].isalnum() or sentence[end : end + 1].isalnum()
    if words == 0 or inside_word or end - start > 0.5 * len(sentence):
        return None
    without = cut(sentence, start, end)
    if len(_TOKEN.findall(without)) < 4 or any(a and a in without for a in answers):
        return None
    asked = _words(question)
    tokens = list(_TOKEN.finditer(sentence))
    runs = []
    for first in range(len(tokens) - words + 1):
        run = tokens[first : first + words]
        a, b = run[0].start(), run[-1].end()
        if (b <= start or a >= end) and not any(_words(t.group()) & asked for t in run):
            runs.append((a, b))
    if not runs:
        return None
    a, b = rng.choice(runs)
    kept = cut(sentence, a, b)
    if not any(x and x in kept for x in answers):
        return None
    return without, kept


def _cut_pairs(
    question: str, sentence: str, offset: int, answers: list[dict[str, Any]], rng: random.Random
) -> list[tuple[str, float]]:
    """``deletion_pair`` for the first answer lying in ``sentence`` (which starts at ``offset`` in its paragraph)."""
    end_of_sentence = offset + len(sentence)
    start, text = next(
        (a["answer_start"] - offset, a["text"])
        for a in answers
        if offset <= a["answer_start"] and a["answer_start"] + len(a["text"]) <= end_of_sentence
    )
    made = deletion_pair(question, sentence, start, start + len(text), {a["text"] for a in answers}, rng)
    return [] if made is None else [(made[0], 0.0), (made[1], 1.0)]


# Words a person leaves out when typing a question ("blair son born when").
_TYPED_DROP = frozenset("the a an did does do is are was were has have had of".split())  # noqa: SIM905


def typed(question: str, rng: random.Random) -> str:
    """The question as a person might type it: no question mark, often without its little words."""
    text = question.rstrip(" ?").casefold()
    if rng.random() < 0.5:
        words = text.split()
        text = " ".join(w for n, w in enumerate(words) if n == 0 or w not in _TYPED_DROP) or text
    return text


# A name in running text: capitalised words (with "of", "de" ... between them), or a year.
_NAME = re.compile(
    r"\b(?:[A-Z][\w'’-]+)(?:\s+(?:of|de|la|von|van|the|and)?\s*[A-Z][\w'’-]+)*|\b1[5-9]\d\d\b|\b20\d\d\b"
)


def names_in(text: str) -> list[str]:
    """The names and years of ``text``, sentence openings aside (their capital says nothing)."""
    found = []
    for match in _NAME.finditer(text):
        before = text[: match.start()].rstrip()
        if match.group()[0].isdigit() or (before and before[-1] not in '.!?"“'):
            found.append(match.group())
    return found


def swapped_question(question: str, sentence: str, context: str, names: list[str], rng: random.Random) -> str | None:
    """The question about another name or year than the sentence states: a near miss, by construction.

    A name (or year) of the question that the answer sentence also holds is replaced by one of
    ``names`` (those of all the training articles) that the paragraph never mentions, year for year.
    """
    shared = [n for n in names_in(question) if n in sentence]
    if not shared:
        return None
    old = rng.choice(shared)
    kind = old.isdigit()
    choices = [n for n in names if n.isdigit() == kind and n not in context and n.casefold() not in question.casefold()]
    if not choices:
        return None
    return question.replace(old, rng.choice(choices), 1)


class SentencePool:
    """Every sentence of a set of articles, to find the one another article's question could be mistaken for."""

    def __init__(self, articles: list[dict[str, Any]]) -> None:
        self.entries: list[tuple[str, str]] = []
        self.names: list[str] = []
        postings: dict[str, list[int]] = {}
        for article in articles:
            title = str(article["title"])
            for paragraph in article["paragraphs"]:
                context = paragraph["context"]
                self.names.extend(dict.fromkeys(names_in(context)))
                for a, b in split_sentences(context):
                    for word in _words(context[a:b]):
                        postings.setdefault(word, []).append(len(self.entries))
                    self.entries.append((title, context[a:b]))
        self.postings = postings

    def elsewhere(self, question: str, title: str, rng: random.Random) -> tuple[str, str] | None:
        """(title, sentence) of another article sharing the question's rarest words, or None."""
        scores: dict[int, float] = {}
        for word in _words(question):
            hits = self.postings.get(word, [])
            weight = math.log(len(self.entries) / (1 + len(hits)))
            for index in hits:
                scores[index] = scores.get(index, 0.0) + weight
        ranked = sorted(scores, key=lambda i: (-scores[i], rng.random()))
        return next((self.entries[i] for i in ranked[:50] if self.entries[i][0] != title), None)


def before(sentences: list[str] | tuple[str, ...], index: int) -> str:
    """The sentence before ``sentences[index]`` in its paragraph, "" for the first."""
    return sentences[index - 1] if index > 0 else ""


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
    deletions: bool = False,
    pool: SentencePool | None = None,
    other_articles: bool = False,
    typed_share: float = 0.0,
    swaps: bool = False,
    leads: bool = False,
    context: bool = False,
) -> list[Pair]:
    """Labelled pairs for the questions of the articles named in ``titles``.

    ``seen`` carries (title, question) keys across files, so a question in both SQuAD files counts once.
    With ``other_articles`` (and ``pool``), each question also gets a negative from another article (with that article's
    headline): the sentence sharing its rarest words, as retrieval offers when the articles do not
    cover the question's subject. ``typed_share`` of the questions are asked as a person types them.
    With ``swaps`` (and ``pool``), an answerable question asked about another name or year than
    its answer sentence states (``swapped_question``) is a negative with that sentence. With ``leads``,
    the article's opening sentence is a negative too where it does not hold the answer: a news lead
    restates what a question asks about, and retrieval offers it first. With ``context``, each sentence
    is read with the one before it in its paragraph ("" for a paragraph's first, as for a passage's
    first when answering), so that "she" or "Mr Walkington" can be told apart.
    """
    rng = random.Random(seed)
    pairs: list[Pair] = []
    seen = set() if seen is None else seen

    def reads(ahead: str) -> str | None:
        return ahead if context else None

    for article in articles:
        title = str(article["title"])
        if title not in titles:
            continue
        headline = str(article.get("headline", title))
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
                chosen: list[tuple[str, float, str]] = []
                if impossible:
                    hard = {
                        index
                        for a, b in _plausible(paragraph, qa["question"])
                        if (index := _sentence_of(spans, a, b)) is not None
                    }
                    negatives = list(hard) + _by_overlap(question, sentences, hard)[:paragraph_negatives]
                    chosen = [(sentences[i], 0.0, before(sentences, i)) for i in dict.fromkeys(negatives)][
                        : paragraph_negatives + 1
                    ]
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
                    answered = min(gold)
                    chosen = [(sentences[answered], 1.0, before(sentences, answered))]
                    if deletions:
                        cuts = _cut_pairs(question, sentences[answered], spans[answered][0], answers, rng)
                        chosen += [(text, label, before(sentences, answered)) for text, label in cuts]
                    if swaps and pool is not None:
                        other = swapped_question(question, sentences[answered], paragraph["context"], pool.names, rng)
                        if other is not None:
                            read = answer_pair(other, sentences[answered], headline, reads(before(sentences, answered)))
                            pairs.append(Pair(*read, 0.0))
                    others = [
                        i
                        for i in _by_overlap(question, sentences, gold)
                        if not any(t in sentences[i] for t in texts_of_answers)
                    ]
                    chosen += [(sentences[i], 0.0, before(sentences, i)) for i in others[:paragraph_negatives]]
                    # A sentence of another paragraph of the article: retrieval will offer those too.
                    elsewhere = [
                        (s, before(other, i))
                        for n, other in enumerate(texts)
                        if n != number
                        for i, s in enumerate(other)
                        if not any(t in s for t in texts_of_answers)
                    ]
                    if elsewhere:
                        words = _words(question)
                        best, ahead = max(elsewhere, key=lambda s: (len(words & _words(s[0])), rng.random()))
                        chosen.append((best, 0.0, ahead))
                stated = [] if impossible else [a["text"] for a in qa["answers"]]
                lead = texts[0][0] if texts and texts[0] else ""
                if leads and lead and all(lead != s for s, _, _ in chosen) and not any(t in lead for t in stated):
                    chosen.append((lead, 0.0, ""))
                asked = typed(question, rng) if typed_share and rng.random() < typed_share else question
                for sentence, label, ahead in chosen:
                    first, second = answer_pair(asked, sentence, headline, reads(ahead))
                    answer = next((t for t in stated if label and " ".join(t.split()) in second), "")
                    pairs.append(Pair(first, second, label, " ".join(answer.split())))
                if other_articles and pool is not None and (other := pool.elsewhere(question, title, rng)) is not None:
                    pairs.append(Pair(*answer_pair(asked, other[1], other[0], reads("")), 0.0))
    return pairs
