"""The reader seam: the model reader's choice, refusal, re-ranking and calibration, with a scripted scorer.

The real answer model is exercised end to end in test_answer_model.py; here the scorer is a
stand-in whose probabilities the test sets, so the reader's own logic can be checked exactly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from embeddings import HashingEmbedder
from embeddings.pair_classifier import PairReading
from qa.answer.model import ModelReader, calibrated
from qa.answer.rules import RulesReader
from qa.index.collection import Collection
from qa.index.ingest import ingest
from qa.search.retrieval import Searcher
from qa.settings import ChunkSettings, SearchSettings
from qa.types import Article

ARTICLES = [
    ("Final won", "The Mariners won the cricket final by six wickets. Their captain scored 81 runs in the final."),
    ("Captain retires", "The Mariners captain retired after the final. He had played for twelve years."),
    ("Rail strike", "Train drivers walked out for 48 hours over pay. Most rail services were cancelled."),
]


class ScriptedScorer:
    """Gives each pair the probability of the first phrase its second text contains (else ``rest``),
    and that phrase as the answer's words."""

    name = "scripted"

    def __init__(self, phrases: dict[str, float], rest: float = 0.01, card: dict[str, Any] | None = None) -> None:
        self.phrases = phrases
        self.rest = rest
        self.card = card if card is not None else {"name": "scripted", "version": "0"}
        self.seen: list[tuple[str, str]] = []

    def read_pairs(self, pairs: list[tuple[str, str]]) -> list[PairReading]:
        self.seen.extend(pairs)
        out = []
        for _, second in pairs:
            phrase = next((phrase for phrase in self.phrases if phrase in second), None)
            if phrase is None:
                out.append(PairReading(self.rest))
            else:
                start = second.index(phrase)
                out.append(PairReading(self.phrases[phrase], (start, start + len(phrase)), 1.0))
        return out


@pytest.fixture
def searcher(tmp_path: Path) -> Searcher:
    embedder = HashingEmbedder(dim=512)
    articles = [Article(f"a{i}", title, text) for i, (title, text) in enumerate(ARTICLES)]
    ingest(articles, tmp_path, "news", embedder, ChunkSettings(chunk_tokens=24, chunk_overlap=0))
    return Searcher(Collection.open(tmp_path, "news"), embedder)


def read(searcher: Searcher, reader: Any, question: str) -> Any:
    vector = searcher.embedder.embed_query(question)
    hits = searcher.search(question, SearchSettings(k=3), query_vector=vector)
    return reader.read(question, question, vector, hits, searcher.collection)


def test_the_sentence_the_model_rates_highest_is_the_answer(searcher: Searcher) -> None:
    scorer = ScriptedScorer({"twelve years": 0.2, "81 runs": 0.9})
    answer = read(searcher, ModelReader(scorer, min_score=0.5), "How many runs did the Mariners captain score?")
    assert answer.found and answer.sentence == "Their captain scored 81 runs in the final."
    assert answer.confidence == pytest.approx(0.9)
    # The words the model points to, as offsets into the article within the sentence.
    assert answer.words == "81 runs"
    assert answer.sentence_start <= answer.span_start < answer.span_end <= answer.sentence_end
    # Offsets point at the sentence in its article, so the app can highlight it.
    chunk = answer.passages[answer.passage_index].chunk
    article = searcher.collection.store.article(chunk.article_id)
    assert article is not None and article.text[answer.sentence_start : answer.sentence_end] == answer.sentence
    # The model read the question with each sentence and its headline.
    assert (
        "How many runs did the Mariners captain score?",
        "Their captain scored 81 runs in the final. | Final won",
    ) in (scorer.seen)
    assert answer.reader == "scripted v0"


def test_below_the_threshold_is_not_found_and_keeps_the_passages(searcher: Searcher) -> None:
    scorer = ScriptedScorer({"81 runs": 0.3})
    answer = read(searcher, ModelReader(scorer, min_score=0.5), "How many runs did the Mariners captain score?")
    assert not answer.found and answer.sentence is None
    assert answer.confidence == pytest.approx(0.3)
    assert answer.passages, "the closest passages are still offered"


def test_the_passage_that_answers_moves_to_the_front(searcher: Searcher) -> None:
    question = "How long had the Mariners captain played?"
    scorer = ScriptedScorer({"twelve years": 0.95})
    plain = read(searcher, ModelReader(scorer, min_score=0.5, rerank=False), question)
    reranked = read(searcher, ModelReader(scorer, min_score=0.5, rerank=True), question)
    assert plain.sentence == reranked.sentence == "He had played for twelve years."
    assert reranked.passage_index == 0
    assert reranked.passages[0] == plain.passages[plain.passage_index]
    assert sorted(h.chunk.id for h in reranked.passages) == sorted(h.chunk.id for h in plain.passages)


def test_only_a_short_list_of_sentences_is_scored(searcher: Searcher) -> None:
    scorer = ScriptedScorer({})
    read(searcher, ModelReader(scorer, min_score=0.5, shortlist=2), "How many runs did the captain score?")
    assert len(scorer.seen) == 2


def test_a_number_question_is_answered_only_by_a_sentence_with_such_a_number(searcher: Searcher) -> None:
    # The model rates the sentence without a number highest; a "how long" question needs one.
    scorer = ScriptedScorer({"retired after the final": 0.9, "twelve years": 0.6})
    answer = read(searcher, ModelReader(scorer, min_score=0.5), "How long had the Mariners captain played?")
    assert answer.found and answer.sentence == "He had played for twelve years."
    assert not any("retired after the final" in second for _, second in scorer.seen)
    # Without the number question the model's favourite wins, as before.
    plain = read(searcher, ModelReader(scorer, min_score=0.5), "What did the Mariners captain do after the final?")
    assert plain.sentence == "The Mariners captain retired after the final."


def test_a_number_question_no_sentence_can_answer_is_not_found(searcher: Searcher) -> None:
    # "How much ... paid" asks for a sum of money; no sentence of these articles holds one.
    scorer = ScriptedScorer({"captain": 0.99})
    answer = read(searcher, ModelReader(scorer, min_score=0.5), "How much was the Mariners captain paid?")
    assert not answer.found and answer.sentence is None
    assert answer.passages, "the closest passages are still offered"
    assert scorer.seen == [], "the model is not asked about sentences that cannot answer"


def test_threshold_comes_from_the_model_card_unless_given() -> None:
    card = {"name": "m", "version": "3", "calibration": {"a": 2.0, "b": -1.0, "threshold": 0.42, "support_weight": 4}}
    reader = ModelReader(ScriptedScorer({}, card=card))
    assert reader.min_score == 0.42
    assert reader.with_threshold(0.7).min_score == 0.7
    assert reader.describe()["version"] == "3"
    # Platt scaling of the log-odds plus the weighted support: sigmoid(2 * (logit(0.5) + 4 * 0.25) - 1) = sigmoid(1).
    assert calibrated(0.5, 0.25, card) == pytest.approx(1 / (1 + 2.718281828459045**-1))
    assert calibrated(0.5, 0.25, {}) == 0.5


def test_rules_reader_is_kept_for_comparison(searcher: Searcher) -> None:
    answer = read(searcher, RulesReader(min_score=0.1), "How many runs did the captain score?")
    assert answer.found and "81 runs" in (answer.sentence or "")
    assert answer.reader == "rules"


def test_cheap_score_weighs_in_when_the_card_says_so(searcher: Searcher) -> None:
    # The model slightly prefers the sentence about the match; the question's words point at the runs.
    question = "How many runs did the Mariners captain score?"
    scorer = ScriptedScorer({"81 runs": 0.55, "six wickets": 0.6})
    alone = read(searcher, ModelReader(scorer, min_score=0.0), question)
    card = {"name": "m", "version": "1", "selection": {"cheap_weight": 8.0}}
    scorer_with_card = ScriptedScorer({"81 runs": 0.55, "six wickets": 0.6}, card=card)
    mixed = read(searcher, ModelReader(scorer_with_card, min_score=0.0), question)
    assert alone.sentence == "The Mariners won the cricket final by six wickets."
    assert mixed.sentence == "Their captain scored 81 runs in the final."


def test_a_model_that_reads_context_gets_the_sentence_before_in_its_passage(searcher: Searcher) -> None:
    question = "How many runs did the Mariners captain score?"
    card = {"name": "m", "version": "5", "context": "previous"}
    with_context = ScriptedScorer({"81 runs": 0.9}, card=card)
    answer = read(searcher, ModelReader(with_context, min_score=0.0), question)
    assert answer.sentence == "Their captain scored 81 runs in the final."
    seconds = {second.split(" | ")[0]: second for _, second in with_context.seen}
    assert seconds["Their captain scored 81 runs in the final."].endswith(
        "|| The Mariners won the cricket final by six wickets."
    )
    assert seconds["The Mariners won the cricket final by six wickets."].endswith("||")  # opens its passage
    plain = ScriptedScorer({"81 runs": 0.9})
    read(searcher, ModelReader(plain, min_score=0.0), question)
    assert plain.seen and not any("||" in second for _, second in plain.seen)


def test_the_models_span_maps_back_to_the_sentence_as_stored() -> None:
    from qa.answer.model import sentence_span
    from qa.answer.pairs import answer_pair

    sentence = "LONDON — The fund  raised\n£4.5m, its chief said."
    _, second = answer_pair("How much did the fund raise?", sentence, "Fund news")
    at = second.index("£4.5m")
    start, end = sentence_span(sentence, second, (at, at + 5)) or (0, 0)
    assert sentence[start:end] == "£4.5m"
    # Across a run of spaces the model never saw.
    at = second.index("raised £4.5m")
    start, end = sentence_span(sentence, second, (at, at + len("raised £4.5m"))) or (0, 0)
    assert sentence[start:end] == "raised\n£4.5m"
    # In the headline, or nothing: no words to set apart.
    at = second.index("Fund news")
    assert sentence_span(sentence, second, (at, at + 9)) is None
    assert sentence_span(sentence, second, None) is None
    # In the sentence before (a model reading context): not this sentence's words, though they recur in it.
    _, second = answer_pair("How much did the fund raise?", sentence, "Fund news", "The fund raised £4.5m.")
    at = second.rindex("£4.5m")
    assert sentence_span(sentence, second, (at, at + 5)) is None


def test_the_answering_words_keep_their_quotes_and_brackets_whole() -> None:
    from qa.answer.model import sentence_span

    sentence = 'Russia should help NATO create a "security roof" (a shared shield), he said.'
    second = sentence + " | NATO"
    for words, shown in [
        ('"security roof', '"security roof"'),  # the closing quote follows: taken in
        ('a "security roof', 'a "security roof"'),  # opened inside the span, closed right after it
        ('security roof"', "security roof"),  # a closing quote alone: left out
        ("(a shared shield", "(a shared shield)"),
        ("a shared shield)", "a shared shield"),
        ("NATO create", "NATO create"),
    ]:
        at = second.index(words)
        start, end = sentence_span(sentence, second, (at, at + len(words))) or (0, 0)
        assert sentence[start:end] == shown


def test_a_who_question_answered_by_he_is_quoted_with_the_sentence_naming_him(searcher: Searcher) -> None:
    scorer = ScriptedScorer({"twelve years": 0.95})
    answer = read(searcher, ModelReader(scorer, min_score=0.5), "Who had played for twelve years?")
    assert answer.sentence == "The Mariners captain retired after the final. He had played for twelve years."
    chunk = answer.passages[answer.passage_index].chunk
    article = searcher.collection.store.article(chunk.article_id)
    assert article is not None and article.text[answer.sentence_start : answer.sentence_end] == answer.sentence
    assert answer.words == "twelve years"  # the model's words keep their place
    # A question that does not ask who gets the one sentence.
    how_long = read(searcher, ModelReader(scorer, min_score=0.5), "How long had the Mariners captain played?")
    assert how_long.sentence == "He had played for twelve years."
