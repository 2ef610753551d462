"""The answer model's training pairs, built from a small SQuAD-shaped article of our own."""

from __future__ import annotations

import random

import pytest

from training.answer_data import (
    SentencePool,
    cut,
    deletion_pair,
    names_in,
    swapped_question,
    training_pairs,
    typed,
)

CONTEXT = (
    "The Estervik ferry opened in 1998. It carries 400 passengers on each crossing. "
    "The first evening boat leaves at 21:30. Tickets are sold at the harbour office."
)


def article(title: str, context: str, qas: list[dict[str, object]]) -> dict[str, object]:
    return {"title": title, "paragraphs": [{"context": context, "qas": qas}]}


def answerable(question: str, answer: str, context: str = CONTEXT) -> dict[str, object]:
    return {"question": question, "answers": [{"text": answer, "answer_start": context.index(answer)}]}


def test_cut_takes_the_lead_in_words_with_the_answer() -> None:
    sentence = "The Indian economy grew by 8.5% in the year to March."
    start = sentence.index("8.5%")
    assert cut(sentence, start, start + 4) == "The Indian economy grew in the year to March."
    opening = "Carolina won the title."
    assert cut(opening, 0, len("Carolina")) == "Won the title."


def test_deletion_pair_cuts_the_answer_for_a_negative_and_other_words_for_a_positive() -> None:
    sentence = "It carries 400 passengers on each crossing."
    start = sentence.index("400")
    made = deletion_pair(
        "How many passengers does the ferry carry?", sentence, start, start + 3, {"400"}, random.Random(1)
    )
    assert made is not None
    without, kept = made
    assert "400" not in without and "passengers" in without
    assert "400" in kept and kept != sentence
    # The words of the question are never what the positive loses.
    assert "passengers" in kept


def test_deletion_pair_refuses_an_answer_inside_a_word_or_most_of_the_sentence() -> None:
    sentence = "They won 20–18 in the final."
    start = sentence.index("8 ")
    assert deletion_pair("How many?", sentence, start, start + 1, {"8"}, random.Random(1)) is None
    assert (
        deletion_pair("Who?", "Anders Fogh Rasmussen spoke.", 0, 21, {"Anders Fogh Rasmussen"}, random.Random(1))
        is None
    )


def test_typed_questions_lose_the_question_mark_and_sometimes_little_words() -> None:
    rng = random.Random(0)
    forms = {typed("When was the ferry opened?", rng) for _ in range(20)}
    assert all("?" not in f and f.startswith("when") for f in forms)
    assert "when was the ferry opened" in forms and "when ferry opened" in forms


def test_pool_finds_another_articles_sentence_sharing_the_rarest_word() -> None:
    other = "The Estervik lighthouse was painted red. Gulls nest on its roof."
    pool = SentencePool([article("Ferry", CONTEXT, []), article("Lighthouse", other, [])])
    title, sentence = pool.elsewhere("When was the Estervik ferry opened?", "Ferry", random.Random(0)) or ("", "")
    assert title == "Lighthouse" and "Estervik" in sentence


def test_training_pairs_label_the_answer_sentence_and_its_cut_form() -> None:
    articles = [
        article("Ferry", CONTEXT, [answerable("How many passengers does the ferry carry?", "400")]),
        article("Lighthouse", "The ferry passes the Estervik lighthouse. It was painted red.", []),
    ]
    pairs = training_pairs(
        articles, {"Ferry"}, 1, deletions=True, pool=SentencePool(articles), other_articles=True, paragraph_negatives=2
    )
    positives = [p.second for p in pairs if p.label == 1.0]
    negatives = [p.second for p in pairs if p.label == 0.0]
    assert any(s.startswith("It carries 400 passengers") for s in positives)
    assert all("400" in s for s in positives)
    assert any("passengers" in s and "400" not in s for s in negatives)  # the answer cut out
    assert any(s.endswith("| Lighthouse") for s in negatives)  # another article, with its headline
    assert all(p.question == "How many passengers does the ferry carry?" for p in pairs)
    # The span to learn: a positive's answer as it stands in its text; a negative has none ([CLS]).
    assert all(p.answer == "400" and p.answer in p.second for p in pairs if p.label == 1.0)
    assert all(p.answer == "" for p in pairs if p.label == 0.0)


def test_span_targets_point_at_the_answers_word_pieces_or_cls() -> None:
    from tokenizers import Tokenizer

    from embeddings.models import resolve_model
    from embeddings.pair_classifier import pair_encodings
    from training.answer_data import Pair
    from training.train_answer_model import span_targets

    location, _ = resolve_model("all-MiniLM-L6-v2")
    tokenizer = Tokenizer.from_file(f"{location}/tokenizer.json")
    group = [
        Pair("How many passengers?", "It carries 400 passengers. | Ferry", 1.0, "400"),
        Pair("How many passengers?", "Tickets are sold at the office. | Ferry", 0.0),
        Pair("Who runs it?", "It is run by " + "the port authority of Estervik " * 20, 1.0, "Nordhavn Lines"),
    ]
    starts, ends = span_targets(group, pair_encodings(tokenizer, [(p.question, p.second) for p in group], 32))
    encoding = tokenizer.encode(group[0].question, group[0].second)
    assert encoding.tokens[starts[0] : ends[0] + 1] == ["400"]
    assert (starts[1], ends[1]) == (0, 0)  # no answer here: [CLS]
    assert (starts[2], ends[2]) == (-100, -100)  # not in the text as read: nothing to learn


def test_names_skip_sentence_openings_and_keep_years() -> None:
    text = "The ferry left Estervik in 1998. Tickets cost more at Harbour Office than online."
    assert names_in(text) == ["Estervik", "1998", "Harbour Office"]


def test_swapped_question_asks_about_a_name_the_paragraph_never_mentions() -> None:
    sentence = "The Estervik ferry opened in 1998."
    names = ["Estervik", "Saltmere", "2004", "1998"]
    rng = random.Random(0)
    swapped = {swapped_question("When did the Estervik ferry open?", sentence, CONTEXT, names, rng) for _ in range(5)}
    assert swapped == {"When did the Saltmere ferry open?"}
    year = swapped_question("What opened in 1998?", sentence, CONTEXT, names, rng)
    assert year == "What opened in 2004?"
    assert swapped_question("When did the ferry open?", sentence, CONTEXT, names, rng) is None


def test_lead_negatives_add_the_opening_sentence_only_where_it_lacks_the_answer() -> None:
    lead_answers = article("Ferry", CONTEXT, [answerable("When did the ferry open?", "1998")])
    later_answer = article("Ferry", CONTEXT, [answerable("When does the evening boat leave?", "21:30")])
    opening = "The Estervik ferry opened in 1998."
    kept = training_pairs([later_answer], {"Ferry"}, 1, paragraph_negatives=0, leads=True)
    assert [p.label for p in kept if p.second.startswith(opening)] == [0.0]
    without = training_pairs([later_answer], {"Ferry"}, 1, paragraph_negatives=0)
    assert not any(p.second.startswith(opening) for p in without)
    # The lead that holds the answer stays the one positive; it is never also a negative.
    own = training_pairs([lead_answers], {"Ferry"}, 1, paragraph_negatives=0, leads=True)
    assert [p.label for p in own if p.second.startswith(opening)] == [1.0]


def test_with_context_each_sentence_is_read_after_its_headline_with_the_one_before() -> None:
    later_answer = article("Ferry", CONTEXT, [answerable("When does the evening boat leave?", "21:30")])
    pairs = training_pairs(
        [later_answer], {"Ferry"}, 1, paragraph_negatives=3, deletions=True, leads=True, context=True
    )
    by_sentence = {p.second.split(" | ")[0]: p for p in pairs}
    answer = by_sentence["The first evening boat leaves at 21:30."]
    assert answer.label == 1.0
    assert answer.second == (
        "The first evening boat leaves at 21:30. | Ferry || It carries 400 passengers on each crossing."
    )
    # The span to learn is in the sentence, not in the one before it.
    assert answer.second.index(answer.answer) < answer.second.index(" | ")
    # The paragraph's first sentence has none before it, as a passage's first has none when answering.
    assert by_sentence["The Estervik ferry opened in 1998."].second.endswith("| Ferry ||")
    # The answer cut out (a negative) is read with the same sentence before it.
    cut_pairs = [p for p in pairs if p.label == 0.0 and "evening boat" in p.second and "21:30" not in p.second]
    assert cut_pairs and all(p.second.endswith("|| It carries 400 passengers on each crossing.") for p in cut_pairs)
    # Without context the input is as before: no sentence before.
    plain = training_pairs([later_answer], {"Ferry"}, 1, paragraph_negatives=3)
    assert not any("||" in p.second for p in plain)


def test_question_batches_keep_each_questions_sentences_together() -> None:
    from training.answer_data import Pair
    from training.train_answer_model import question_batches

    pairs = [Pair(f"question {q}?", f"sentence {s} of {q}", float(s == 0)) for q in range(7) for s in range(3)]
    made = question_batches(pairs, 4, random.Random(1))
    assert sorted((p.question, p.second) for b in made for p in b) == sorted((p.question, p.second) for p in pairs)
    for batch in made:
        for question in {p.question for p in batch}:
            assert sum(p.question == question for p in batch) == 3  # never split across batches


def test_listwise_loss_rewards_the_answer_sentence_beating_the_others() -> None:
    import torch

    from training.answer_data import Pair
    from training.train_answer_model import listwise_loss

    group = [
        Pair("who leads?", "The lead restates who leads.", 0.0),
        Pair("who leads?", "Anna Berg leads.", 1.0),
        Pair("what is it?", "Nothing here answers.", 0.0),
    ]
    right = listwise_loss(torch.tensor([-2.0, 3.0, -3.0]), group)
    wrong = listwise_loss(torch.tensor([3.0, -2.0, -3.0]), group)
    assert float(right) < 0.1 < 2.0 < float(wrong)
    # An unanswerable question wants "none of them" (logit 0) to win: a confident sentence costs.
    assert float(listwise_loss(torch.tensor([-2.0, 3.0, 4.0]), group)) > float(right) + 1.0


def test_calibration_with_a_news_set_needs_its_articles(capsys: pytest.CaptureFixture[str]) -> None:
    from training.calibrate_answer_model import main

    assert main(["--news", "benchmarks/data/bbc_typed_dev_questions.json"]) == 2
    assert "--news-articles" in capsys.readouterr().err
