from __future__ import annotations

from qa.lexical import LexicalIndex


def _index() -> LexicalIndex:
    texts = [
        "The senator from Massachusetts spoke on the floor of the chamber.",
        "Analysts predicted that sales of the console would rise.",
        "The storm left a dark spit of sand along the coast.",
        "The harbour board approved the ferry timetable on Monday.",
    ]
    return LexicalIndex.build(list(range(len(texts))), texts)


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
