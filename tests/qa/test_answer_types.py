from __future__ import annotations

from qa.answer_types import has_number, wants_number


def test_questions_that_ask_for_a_number() -> None:
    assert wants_number("How many homes will the barrier protect?")
    assert wants_number("In what year did the bridge open?")
    assert wants_number("how much did the chip cost")
    assert not wants_number("Who opened the barrier?")
    assert not wants_number("What did NATO propose to Russia?")


def test_a_number_must_be_new_and_outside_the_dateline() -> None:
    question = "How many homes did the 2026 barrier protect?"
    assert has_number("Engineers say it will shield about 26,000 homes.", question)
    assert has_number("It protects twelve thousand homes.", question)
    assert not has_number("The 2026 barrier protects homes on the estuary.", question)
    assert not has_number("SALTMERE, February 17, 2026 (The Ledger) — The barrier opened on Tuesday.", question)
