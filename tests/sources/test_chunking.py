from __future__ import annotations

from itertools import pairwise

import pytest

from embeddings import HashingEmbedder
from qa.errors import InvalidInput
from qa.settings import ChunkSettings
from qa.sources.chunking import chunk_spans, embedded_text, passage_budget, sentence_spans

TEXT = (
    "The council approved the barrier on Monday. It cost 40 million pounds to build.\n\n"
    "Engineers tested the gates for six weeks. They closed them twice during storms. "
    "Residents watched from the harbour wall.\n\n"
    "Fishermen asked for compensation. The council said a timetable would follow in March."
)


def test_chunks_fit_the_budget_including_the_headline() -> None:
    embedder = HashingEmbedder(max_tokens=40)
    settings = ChunkSettings(chunk_tokens=30, chunk_overlap=8)
    title = "Barrier opens"
    for start, end in chunk_spans(TEXT, title, embedder, settings):
        embedded = embedded_text(title, TEXT[start:end], settings)
        assert embedder.count_tokens([embedded])[0] <= embedder.max_tokens
        assert embedder.count_tokens([TEXT[start:end]])[0] - 2 <= 30


def test_every_sentence_is_in_some_chunk_and_offsets_slice_the_text() -> None:
    embedder = HashingEmbedder(max_tokens=64)
    spans = chunk_spans(TEXT, "t", embedder, ChunkSettings(chunk_tokens=25, chunk_overlap=0))
    sentences = sentence_spans(TEXT, embedder, 25)
    for sentence in sentences:
        assert any(a <= sentence.start and sentence.end <= b for a, b in spans)
    for a, b in spans:
        assert TEXT[a:b] == TEXT[a:b].strip() and TEXT[a:b]
    assert spans == sorted(spans)


def test_overlap_repeats_trailing_sentences_within_a_paragraph() -> None:
    embedder = HashingEmbedder(max_tokens=64)
    text = " ".join(f"Sentence number {i} is here." for i in range(12))
    without = chunk_spans(text, "", embedder, ChunkSettings(chunk_tokens=20, chunk_overlap=0))
    with_overlap = chunk_spans(text, "", embedder, ChunkSettings(chunk_tokens=20, chunk_overlap=8))
    assert all(b1 <= a2 for (_, b1), (a2, _) in pairwise(without))
    assert any(a2 < b1 for (_, b1), (a2, _) in pairwise(with_overlap))


def test_paragraph_break_closes_a_chunk_that_is_full_enough() -> None:
    embedder = HashingEmbedder(max_tokens=200)
    spans = chunk_spans(TEXT, "", embedder, ChunkSettings(chunk_tokens=100, paragraph_fill=0.1))
    assert [TEXT[a:b].split(".")[0] for a, b in spans] == [
        "The council approved the barrier on Monday",
        "Engineers tested the gates for six weeks",
        "Fishermen asked for compensation",
    ]


def test_long_sentence_is_cut_at_word_boundaries_never_truncated() -> None:
    embedder = HashingEmbedder(max_tokens=30)
    words = [f"word{i}" for i in range(100)]
    text = " ".join(words) + "."
    spans = chunk_spans(text, "", embedder, ChunkSettings(chunk_tokens=25, chunk_overlap=0))
    assert len(spans) >= 4
    pieces = [text[a:b] for a, b in spans]
    assert " ".join(pieces).split() == text.split()
    assert all(embedder.count_tokens([p])[0] <= 30 for p in pieces)


def test_tiny_budget_is_refused_with_a_clear_message() -> None:
    with pytest.raises(InvalidInput, match="chunk size 4"):
        passage_budget(HashingEmbedder(max_tokens=64), "", ChunkSettings(chunk_tokens=4))
