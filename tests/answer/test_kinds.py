from __future__ import annotations

from qa.answer.kinds import has_new_name, has_number, refers_back, wants_name, wants_number


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


def test_counts_durations_and_frequencies_in_words_are_numbers() -> None:
    assert has_number("The strike held out for almost a month.", "How long did the strike last?")
    assert has_number("The festival is held biennially in March.", "How often is the festival held?")
    assert has_number("The valley has been farmed for thousands of years.", "How many years was it farmed?")
    assert has_number("None of the early charters mention the port.", "How many charters mention the port?")
    assert not has_number("The strike ended when the owners gave in.", "How long did the strike last?")


def test_one_that_counts_nothing_is_not_a_number() -> None:
    question = "How tall was the lighthouse keeper?"
    assert not has_number("He became one of the best-known figures of the coast.", question)
    assert not has_number("No one measured him.", question)
    assert has_number("He stood one metre ninety.", question)


def test_a_question_that_names_a_measure_needs_that_kind_of_number() -> None:
    price = "How much did Harbourline pay for the ferry company?"
    assert wants_number(price) and wants_number("What was the net profit of the port in 2025?")
    assert has_number("Harbourline paid £42m for the operator.", price)
    assert not has_number("Harbourline now runs 14 ferries.", price)
    born = "In what year was the harbour master born?"
    assert has_number("She was born in 1961 in Saltmere.", born)
    assert not has_number("She has worked at the port for 30 years.", born)
    age = "How old was the captain when he retired?"
    assert has_number("He retired aged 64.", age) and has_number("The 64-year-old retired in May.", age)
    assert not has_number("He retired on 26 February.", age)
    # News puts the age beside the name.
    assert has_number("Mr Hague, 43, told the paper he was bored.", age) and has_number("Jane Smith (43) said so.", age)
    assert not has_number("The team scored in games 2, 43, and 50.", age)
    weight = "How much does the new anchor weigh?"
    assert has_number("The anchor weighs 12 tonnes.", weight)
    assert not has_number("The anchor is 3m long.", weight)
    share = "What percentage of trips ran late?"
    assert has_number("About 12% of trips ran late.", share)
    assert not has_number("Twelve trips ran late.", share)
    # Wire copy abbreviates money and shares: "41 mln dlrs", "42.7 mln stg", "27 cts", "4 pct".
    assert has_number("Vazquez-Rana paid 41 mln dlrs for the agency.", price)
    assert has_number("Net profit rose to 42.7 mln stg.", "What was the net profit?")
    assert not has_number("Net profit rose by 12 pct.", "What was the net profit?")
    assert has_number("About 12 pct of trips ran late.", share)
    assert not has_number("Harbourline now runs 14 ferries, up 2 pct.", price)
    assert has_number("It paid 1.2 billion marks.", price) and not has_number(
        "The 3 storms left marks on the hull.", price
    )
    # A plain count takes any new number.
    assert has_number("Twelve trips ran late.", "How many trips ran late?")


def test_name_questions_and_sentences_with_a_new_name() -> None:
    assert wants_name("Who chairs the harbour board?") and wants_name("Which firm won the ferry contract?")
    assert wants_name("What is the name of the new ferry?")
    assert not wants_name("How many ferries run on Sundays?") and not wants_name("Why did the board meet?")
    question = "Who chairs the Saltmere harbour board?"
    assert has_new_name("The board is chaired by Ines Okafor.", question)
    # The first word is capitalised anyway; words from the question and "Mr" name no one new.
    assert not has_new_name("Yesterday the Saltmere harbour board met.", question)
    assert not has_new_name("The chair, Mr Saltmere, spoke.", question)


def test_sentences_that_name_their_subject_only_by_a_pronoun() -> None:
    assert refers_back("He had played for twelve years.")
    assert refers_back("“They traveled to Singapore to focus on logistics preparations,” an official said.")
    assert refers_back("“That threat could manifest itself imminently,” he said.")
    assert refers_back("It employs 50,000 staff in Kazakhstan alone.")
    assert not refers_back("Sandy Walkington will now work with the party's leader.")
    assert not refers_back('"We have overcome a fundamental limit," said Dr Mario Paniccia.')
    assert not refers_back("Hector said he would stay.")  # the name is in the sentence
    assert not refers_back("Heathrow said the runway would open in May.")  # "He" only as a word's start
