from __future__ import annotations

from qa.language.sentences import split_sentences


def _texts(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


def test_splits_on_end_punctuation_and_keeps_abbreviations() -> None:
    text = 'Mr. Smith met Dr. J. Doe in the U.S. on Monday. "It is done," he said. Is it? Yes!'
    assert _texts(text) == [
        "Mr. Smith met Dr. J. Doe in the U.S. on Monday.",
        '"It is done," he said.',
        "Is it?",
        "Yes!",
    ]


def test_newline_always_ends_a_sentence_and_offsets_are_exact() -> None:
    text = "  First line without stop\nSecond one. Third one.\n\n"
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == ["First line without stop", "Second one.", "Third one."]
    assert spans[0][0] == 2


def test_range_limits_the_split() -> None:
    text = "Skip me. Keep this. And this."
    assert [text[a:b] for a, b in split_sentences(text, 9)] == ["Keep this.", "And this."]
