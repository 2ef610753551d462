"""The passage reader: its NumPy forward pass against torch's ``BertForQuestionAnswering``, the best-span
rule, and the reader's choice, refusal and quoting with a scripted span scorer."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from embeddings import DEFAULT_MODEL
from embeddings.pair_classifier import save_trained
from embeddings.span_reader import (
    MAX_ANSWER_TOKENS,
    Span,
    SpanReader,
    base_qa_network,
    best_span,
    export_reader,
)
from qa.answer.passage import PassageReader
from tests.answer.test_reading import read, searcher  # noqa: F401  (the fixture)


@pytest.mark.model
def test_numpy_reader_gives_torch_logits(tmp_path: Path) -> None:
    """A reader saved as training saves it (fp16, word embeddings from the base) reads as torch does."""
    import torch

    network, _, _ = base_qa_network(DEFAULT_MODEL)
    network.eval()
    torch.manual_seed(0)
    with torch.no_grad():
        network.qa_outputs.weight.normal_(0, 0.5)
        network.qa_outputs.bias.normal_(0, 0.5)
    save_trained(network, tmp_path, {"name": "random", "version": "0", "base_model": DEFAULT_MODEL, "max_length": 384})
    reader = SpanReader(tmp_path)
    question = "What did NATO propose to Russia?"
    passages = ["NATO proposed a shared missile shield to Russia on Tuesday.", "Rain is expected in the north."]
    starts, ends, encodings = reader.logits(question, passages)

    weights = {k: v.float() for k, v in network.state_dict().items()}
    network.load_state_dict({k: v.half().float() for k, v in weights.items()})  # the fp16 round trip
    ids = torch.tensor([e.ids for e in encodings])
    with torch.no_grad():
        out = network(
            input_ids=ids,
            token_type_ids=torch.tensor([e.type_ids for e in encodings]),
            attention_mask=torch.tensor([e.attention_mask for e in encodings]),
        )
    real = np.array([e.attention_mask for e in encodings], dtype=bool)
    # Logits here reach about 15 (a random head): NumPy and torch agree to a few parts in ten thousand.
    assert np.abs(starts[real] - out.start_logits.numpy()[real]).max() < 5e-3
    assert np.abs(ends[real] - out.end_logits.numpy()[real]).max() < 5e-3
    spans = reader.read(question, passages)
    assert all(s is not None and 0 <= s.start < s.end <= len(p) for s, p in zip(spans, passages, strict=True))

    # Its int8 export, as questions run it: made once into the cache, then read from there, close to NumPy.
    exported = export_reader(tmp_path, tmp_path / "cache")
    assert exported.is_file() and export_reader(tmp_path, tmp_path / "cache") == exported
    quick = SpanReader(tmp_path, cache=tmp_path / "cache")
    assert quick.backend == "onnxruntime" and reader.backend == "numpy"
    int8_starts, int8_ends, _ = quick.logits(question, passages)
    # A random head spreads logits over about 20; int8 moves them by a few tenths, not their order.
    for int8, full in ((int8_starts, starts), (int8_ends, ends)):
        assert np.corrcoef(int8[real], full[real])[0, 1] > 0.98
        assert np.median(np.abs(int8[real] - full[real])) < 0.5


def _encoding(passage_tokens: int) -> Any:
    """A stand-in encoding: [CLS] q q [SEP] passage tokens [SEP], each passage token 2 characters wide."""
    sequence = [None, 0, 0, None, *([1] * passage_tokens), None]
    offsets = [(0, 0), (0, 4), (5, 9), (0, 0), *[(2 * i, 2 * i + 1) for i in range(passage_tokens)], (0, 0)]
    return SimpleNamespace(sequence_ids=sequence, offsets=offsets)


def test_best_span_is_the_best_allowed_pair() -> None:
    rng = np.random.default_rng(3)
    for tokens in (1, 5, 60):
        encoding = _encoding(tokens)
        starts = rng.normal(size=tokens + 5).astype(np.float32)
        ends = rng.normal(size=tokens + 5).astype(np.float32)
        span = best_span(starts, ends, encoding)
        assert span is not None
        brute = max(
            (starts[4 + i] + ends[4 + j], i, j)
            for i in range(tokens)
            for j in range(i, min(tokens, i + MAX_ANSWER_TOKENS))
        )
        assert span.score == pytest.approx(float(brute[0]), abs=1e-5)
        assert (span.start, span.end) == (2 * brute[1], 2 * brute[2] + 1)
        assert span.null == pytest.approx(float(starts[0] + ends[0]))
    no_passage = SimpleNamespace(sequence_ids=[None, 0, 0, None])
    assert best_span(np.zeros(4, np.float32), np.zeros(4, np.float32), no_passage) is None


class ScriptedSpans:
    """Puts the span on the first of ``phrases`` a passage holds, with that phrase's margin; else margin ``rest``."""

    name = "scripted"

    def __init__(self, phrases: dict[str, float], rest: float = -5.0, card: dict[str, Any] | None = None) -> None:
        self.phrases, self.rest = phrases, rest
        self.card = card if card is not None else {"name": "scripted", "version": "0"}

    def read(self, question: str, passages: list[str]) -> list[Span | None]:
        out: list[Span | None] = []
        for passage in passages:
            phrase = next((p for p in self.phrases if p in passage), None)
            if phrase is None:
                out.append(Span(0, 3, self.rest, 0.0))
            else:
                start = passage.index(phrase)
                out.append(Span(start, start + len(phrase), self.phrases[phrase], 0.0))
        return out


def test_the_sentence_holding_the_best_span_is_quoted_with_the_span_set_apart(searcher: Any) -> None:  # noqa: F811
    reader = PassageReader(ScriptedSpans({"twelve years": 1.0, "81 runs": 3.0}), min_score=0.5)
    answer = read(searcher, reader, "How many runs did the Mariners captain score?")
    assert answer.found and answer.sentence == "Their captain scored 81 runs in the final."
    assert answer.confidence == pytest.approx(1 / (1 + np.exp(-3.0)))
    assert answer.passage_index == 0  # the passage holding the answer comes first
    chunk = answer.passages[0].chunk
    assert answer.words == "81 runs"
    assert chunk.text[answer.span_start - chunk.start : answer.span_end - chunk.start] == "81 runs"


def test_no_span_clears_the_threshold_so_not_found(searcher: Any) -> None:  # noqa: F811
    reader = PassageReader(ScriptedSpans({"81 runs": -1.0}), min_score=0.5)
    answer = read(searcher, reader, "How many runs did the Mariners captain score?")
    assert not answer.found and answer.sentence is None
    assert answer.confidence == pytest.approx(1 / (1 + np.exp(1.0)))


def test_calibration_in_the_card_sets_confidence_and_threshold(searcher: Any) -> None:  # noqa: F811
    card = {"name": "scripted", "version": "1", "calibration": {"a": 0.5, "b": -1.0, "threshold": 0.4}}
    reader = PassageReader(ScriptedSpans({"81 runs": 2.0}, card=card))
    assert reader.min_score == 0.4 and reader.describe()["threshold"] == 0.4
    answer = read(searcher, reader, "How many runs did the Mariners captain score?")
    assert answer.confidence == pytest.approx(1 / (1 + np.exp(-(0.5 * 2.0 - 1.0))))
    assert answer.found  # 0.5 * 2 - 1 = 0: confidence 0.5, above the card's 0.4
    assert json.dumps(reader.with_threshold(0.9).describe())


def test_asking_for_the_passage_reader_without_its_model_says_how_to_train_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import qa.answer.passage
    from qa.engine import Engine
    from qa.errors import InvalidInput
    from qa.settings import SearchSettings, Settings

    monkeypatch.setattr(qa.answer.passage, "PASSAGE_MODEL", tmp_path / "passage")
    engine = Engine(Settings(data_dir=tmp_path / "data"))
    with pytest.raises(InvalidInput, match=r"passage reader in .*passage; train it with .*train_passage_reader\.py"):
        engine.reader(SearchSettings(reader="passage"))


class FixedLogits:
    """A stand-in passage reader whose logits the test sets (one passage of ``tokens`` 2-character tokens)."""

    def __init__(self, starts: np.ndarray, ends: np.ndarray, tokens: int) -> None:
        self.starts, self.ends, self.tokens = starts, ends, tokens

    def logits(self, question: str, passages: list[str]) -> tuple[Any, Any, list[Any]]:
        return self.starts[None, :], self.ends[None, :], [_encoding(self.tokens)]


def test_range_margins_are_the_best_span_inside_each_range() -> None:
    from embeddings.span_reader import UNREAD, range_margins

    rng = np.random.default_rng(5)
    tokens = 30
    starts = rng.normal(size=tokens + 5).astype(np.float32)
    ends = rng.normal(size=tokens + 5).astype(np.float32)
    # Token i covers characters (2i, 2i + 1): the range (10, 30) holds tokens 5..14.
    ranges = [(0, 9), (10, 30), (200, 300)]
    [margins] = range_margins(FixedLogits(starts, ends, tokens), "q", ["p"], [ranges])
    null = starts[0] + ends[0]
    for (a, b), margin in zip(ranges[:2], margins, strict=False):
        inside = [i for i in range(tokens) if 2 * i >= a and 2 * i + 1 <= b]
        brute = max(starts[4 + i] + ends[4 + j] for i in inside for j in inside if j >= i)
        assert margin == pytest.approx(float(brute - null), abs=1e-5)
    assert margins[2] == UNREAD  # no token inside: the reader cannot point there


class ScriptedRanges:
    """Margins by phrase: a sentence holding one of ``phrases`` gets its margin, any other ``rest``."""

    def __init__(self, phrases: dict[str, float], rest: float = -4.0) -> None:
        self.phrases, self.rest = phrases, rest
        self.asked: list[list[str]] = []

    def margins(self, question: str, passages: list[str], ranges: list[list[tuple[int, int]]]) -> list[list[float]]:
        self.asked.append(passages)
        return [
            [next((m for p, m in self.phrases.items() if p in passage[a:b]), self.rest) for a, b in wanted]
            for passage, wanted in zip(passages, ranges, strict=True)
        ]


def test_the_passage_readers_margin_can_overrule_a_lead_restating_the_question(searcher: Any) -> None:  # noqa: F811
    from qa.answer.model import ModelReader
    from tests.answer.test_reading import ScriptedScorer

    question = "How many runs did the Mariners captain score in the final?"
    # The sentence model likes the lead ("won the cricket final"), the passage reader the fact.
    sentences = {"won the cricket final": 0.6, "81 runs": 0.4}
    spans = ScriptedRanges({"81 runs": 3.0, "won the cricket final": -2.0})
    plain = read(searcher, ModelReader(ScriptedScorer(sentences), min_score=0.0), question)
    assert plain.sentence == "The Mariners won the cricket final by six wickets."
    card = {"name": "scripted", "version": "0", "selection": {"passage_weight": 0.5}}
    both = ModelReader(ScriptedScorer(sentences, card=card), min_score=0.0, spans=spans)
    answer = read(searcher, both, question)
    assert answer.sentence == "Their captain scored 81 runs in the final."
    assert len(spans.asked) == 1  # each passage read once for all its sentences
    # Without a weight in the card the margins are read but do not count.
    card = {"name": "scripted", "version": "0"}
    weightless = ModelReader(
        ScriptedScorer(sentences, card=card), min_score=0.0, spans=ScriptedRanges({"81 runs": 3.0})
    )
    assert read(searcher, weightless, question).sentence == plain.sentence
    assert both.with_threshold(0.3).spans is spans


def test_the_passage_margin_counts_in_the_confidence_by_the_cards_weight() -> None:
    from qa.answer.model import calibrated, logit

    card = {"calibration": {"a": 1.0, "b": 0.0, "support_weight": 2.0, "passage_weight": 0.5}}
    z = logit(0.3) + 2.0 * 0.4 + 0.5 * -3.0
    assert calibrated(0.3, 0.4, card, -3.0) == pytest.approx(1 / (1 + np.exp(-z)))
    assert calibrated(0.3, 0.4, card) > calibrated(0.3, 0.4, card, -3.0)


def test_the_sentence_the_passage_reader_points_into_is_read_though_the_shortlist_passes_it_over(
    searcher: Any,  # noqa: F811
) -> None:
    from qa.answer.model import PROPOSALS, ModelReader
    from tests.answer.test_reading import ScriptedScorer

    question = "What happened in the cricket final?"
    sentences = {"81 runs": 0.9, "won the cricket final": 0.3}
    # A shortlist of one: the cheap score takes the lead, which shares the question's words.
    plain = ScriptedScorer(sentences)
    answer = read(searcher, ModelReader(plain, min_score=0.0, shortlist=1), question)
    assert [second.split(" | ")[0] for _, second in plain.seen] == [answer.sentence]
    assert answer.sentence == "The Mariners won the cricket final by six wickets."

    proposing = ScriptedScorer(sentences)
    spans = ScriptedRanges({"81 runs": 2.0})
    answer = read(searcher, ModelReader(proposing, min_score=0.0, shortlist=1, spans=spans), question)
    read_pairs = [second.split(" | ")[0] for _, second in proposing.seen]
    assert 1 < len(read_pairs) <= 1 + PROPOSALS
    assert "Their captain scored 81 runs in the final." in read_pairs
    assert answer.sentence == "Their captain scored 81 runs in the final."
