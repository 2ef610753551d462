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


def test_background_rarity_follows_english_word_frequency() -> None:
    from qa.lexical import background_idf

    stems = ["the", "want", "propos", "zyxwvut"]
    weights = [background_idf(s) for s in stems]
    assert weights == sorted(weights) and weights[0] < 0.5 < weights[1] < weights[2] < weights[3]


def test_background_keeps_a_paraphrase_from_sinking_a_small_collections_coverage() -> None:
    """One article: every word is "rare" to it, so the word it lacks ("propose") outweighed the ones it has."""
    from qa.lexical import LexicalIndex

    passages = [
        "NATO chief says Russia should help build a missile shield with the alliance.",
        "Russia and NATO would jointly defend Europe, the NATO chief said.",
        "The alliance will decide on missile defence at its summit, NATO said of Russia.",
    ]
    index = LexicalIndex.build([0, 1, 2], passages)
    question = "What did NATO propose to Russia?"
    plain = index.coverage(question, passages[0])
    blended = index.coverage(question, passages[0], background=200)
    assert plain < 0.3 < 0.5 < blended, (plain, blended)
    # A name the articles never mention still weighs most: its absence still sinks the question.
    assert index.coverage("What did Stoltenberg tell Russia?", passages[0], background=200) < 0.5
