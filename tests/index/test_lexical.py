from __future__ import annotations

from pathlib import Path

import bm25s
import numpy as np
import pytest
import Stemmer

from qa.index.lexical import BM25Index, LexicalIndex
from qa.index.postings import Postings


def _index() -> LexicalIndex:
    texts = [
        "The senator from Massachusetts spoke on the floor of the chamber.",
        "Analysts predicted that sales of the console would rise.",
        "The storm left a dark spit of sand along the coast.",
        "The harbour board approved the ferry timetable on Monday.",
    ]
    return BM25Index.build(list(range(len(texts))), texts)


def test_a_typo_in_a_long_word_matches_the_indexed_spelling() -> None:
    index = _index()
    passage = "The senator from Massachusetts spoke on the floor of the chamber."
    assert index.query_terms("Who is the senator from Masschusetts?") == index.query_terms(
        "Who is the senator from Massachusetts?"
    )
    assert index.coverage("Who is the senator from Masschusetts?", passage) == 1.0
    assert index.scores("senator from Masschusetts")[0] > index.scores("senator from Masschusetts")[1]


def test_another_form_of_a_word_matches_but_short_words_are_left_alone() -> None:
    index = _index()
    # "predictions" stems to "predict", which the index has: no change needed.
    assert "predict" in index.query_terms("What were the predictions?")
    # "predic" (a cut-off word) is one suffix away from "predict".
    assert index.query_terms("What did analysts predic about sales?") == ["analyst", "predict", "sale"]
    # "spot" is one letter from "spit", but short words are not corrected.
    assert "spit" not in index.query_terms("Where was the spot?")
    # A name the articles never mention stays unseen, so coverage still counts it as missing.
    assert index.coverage("Who painted the Sistine Chapel?", "The harbour board approved the ferry timetable.") == 0.0


def test_background_rarity_follows_english_word_frequency() -> None:
    from qa.index.lexical import background_idf

    stems = ["the", "want", "propos", "zyxwvut"]
    weights = [background_idf(s) for s in stems]
    assert weights == sorted(weights) and weights[0] < 0.5 < weights[1] < weights[2] < weights[3]


def test_background_keeps_a_paraphrase_from_sinking_a_small_collections_coverage() -> None:
    """One article: every word is "rare" to it, so the word it lacks ("propose") outweighed the ones it has."""
    from qa.index.lexical import BM25Index

    passages = [
        "NATO chief says Russia should help build a missile shield with the alliance.",
        "Russia and NATO would jointly defend Europe, the NATO chief said.",
        "The alliance will decide on missile defence at its summit, NATO said of Russia.",
    ]
    index = BM25Index.build([0, 1, 2], passages)
    question = "What did NATO propose to Russia?"
    plain = index.coverage(question, passages[0])
    blended = index.coverage(question, passages[0], background=200)
    assert plain < 0.3 < 0.5 < blended, (plain, blended)
    # A name the articles never mention still weighs most: its absence still sinks the question.
    assert index.coverage("What did Stoltenberg tell Russia?", passages[0], background=200) < 0.5


NEWS = [
    "The central bank cut its policy rate to 3.5 percent on Thursday, citing slowing prices.",
    "The tidal flood barrier opened on Tuesday after six years of work at the river mouth.",
    "The Mariners won the cricket final by six wickets; their captain scored 81 not out.",
    "Bank shares rose after the rate cut; the bank's chief said lending would grow.",
    "A grass fire near the hills burned 400 hectares before crews contained it on Monday.",
    "The council voted to extend the ferry timetable with three evening crossings.",
    "Analysts expect the central bank to cut rates again in the spring.",
    "The river barrier protects 26,000 homes from storm surges, the council said.",
]
QUERIES = ["Who cut the rate?", "What does the barrier protect?", "How many runs did the captain score?", "ferry"]


def _scores(index: LexicalIndex) -> dict[int, list[float]]:
    """Every chunk id's score for each query, keyed by id so row order does not matter."""
    out: dict[int, list[float]] = {}
    for query in QUERIES:
        for chunk_id, score in zip(index.ids.tolist(), index.scores(query).tolist(), strict=True):
            out.setdefault(chunk_id, []).append(round(score, 5))
    return out


def test_scores_are_bm25s_lucene_scores() -> None:
    """The same numbers as bm25s (the library this replaced) on the same texts and query terms."""
    index = BM25Index.build(list(range(len(NEWS))), NEWS)
    reference = bm25s.BM25()
    reference.index(bm25s.tokenize(NEWS, stopwords="en", stemmer=Stemmer.Stemmer("english"), show_progress=False))
    for query in QUERIES:
        expected = reference.get_scores(index.query_terms(query))
        assert np.allclose(index.scores(query), expected, atol=1e-5), query
        assert index.scores(query).max() > 0


def test_segments_added_removed_saved_and_merged_score_as_one_index(tmp_path: Path) -> None:
    index = BM25Index.build(list(range(4)), NEWS[:4])
    entry = index.save_changes(tmp_path)
    for start in (4, 6):  # two later ingests, each a segment, the second also dropping a passage
        index = BM25Index.join([Postings.load(tmp_path / s) for s in entry["segments"]], None, entry["segments"])
        if entry["removed"]:
            removed = np.load(tmp_path / entry["removed"])
            index = BM25Index.join([Postings.load(tmp_path / s) for s in entry["segments"]], removed, entry["segments"])
        index.add([start, start + 1], NEWS[start : start + 2])
        if start == 6:
            index.remove([3])
        entry = index.save_changes(tmp_path)
        BM25Index.tidy(tmp_path, entry)
    assert len(entry["segments"]) == 3 and entry["removed"] is not None
    assert {p.name for p in tmp_path.iterdir()} == {*entry["segments"], entry["removed"]}
    kept = [i for i in range(8) if i != 3]
    whole = BM25Index.build(kept, [NEWS[i] for i in kept])
    assert _scores(index) == _scores(whole)
    assert index.idf("bank") == pytest.approx(whole.idf("bank"))

    index.remove(list(range(5)))  # most of what is stored: the next save merges it into one segment
    merged = index.save_changes(tmp_path)
    assert len(merged["segments"]) == 1 and merged["removed"] is None
    back = BM25Index.join([Postings.load(tmp_path / merged["segments"][0])], None, merged["segments"])
    rest = [5, 6, 7]
    assert _scores(back) == _scores(BM25Index.build(rest, [NEWS[i] for i in rest]))


def test_a_damaged_segment_is_a_clear_error(tmp_path: Path) -> None:
    BM25Index.build([1], [NEWS[0]]).save_changes(tmp_path)
    (segment,) = tmp_path.glob("postings.*.npz")
    segment.write_bytes(segment.read_bytes()[:50])
    with pytest.raises(ValueError, match="not a readable BM25 segment"):
        Postings.load(segment)
