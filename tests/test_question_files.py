"""The BBC question files the figures rest on: answers where they say, development and test apart."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import shared_path

DATA = Path(__file__).resolve().parents[1] / "benchmarks" / "data"
TESTS = ("bbc_questions.json", "bbc_typed_questions.json")
DEVELOPMENT = (
    "bbc_typed_dev_questions.json",
    "bbc_wellformed_dev_questions.json",
    "bbc_wellformed_dev2_questions.json",
    "bbc_typed_dev_pse_questions.json",
)


def load(name: str) -> dict[str, list[dict[str, object]]]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", TESTS + DEVELOPMENT)
def test_every_answer_occurs_in_its_article(name: str) -> None:
    bbc = shared_path("data", "bbc_news", "bbc")
    for question in load(name)["questions"]:
        raw = (bbc / str(question["article"])).read_bytes()
        text = raw.decode("utf-8", errors="replace") + raw.decode("latin-1")  # the corpus mixes both
        missing = [a for a in question["answers"] if a not in text]  # type: ignore[attr-defined]
        assert not missing, (name, question["question"], missing)


def test_development_sets_ask_of_no_test_article() -> None:
    def articles(names: tuple[str, ...]) -> set[str]:
        return {str(q["article"]) for name in names for q in load(name)["questions"]}

    assert not articles(DEVELOPMENT) & articles(TESTS)


@pytest.mark.parametrize("name", ["bbc_wellformed_dev_questions.json", "bbc_wellformed_dev2_questions.json"])
def test_well_formed_development_questions_read_as_questions(name: str) -> None:
    data = load(name)
    questions = [str(q["question"]) for q in data["questions"] + data["unanswerable"]]
    assert all(re.match(r"[A-Z].*\?$", q) for q in questions), name


def test_development_sets_do_not_repeat_a_question() -> None:
    asked = [str(q["question"]).casefold() for name in DEVELOPMENT + TESTS for q in load(name)["questions"]]
    assert len(asked) == len(set(asked))


TRAINING = Path(__file__).resolve().parents[1] / "training" / "data" / "bbc_training_questions.json"


def test_training_questions_ask_of_no_test_or_development_article() -> None:
    training = json.loads(TRAINING.read_text(encoding="utf-8"))
    trained = {str(q["article"]) for q in training["questions"] + training["unanswerable"]}
    measured = {str(q["article"]) for name in TESTS + DEVELOPMENT for q in load(name)["questions"]}
    # The measured sets' near misses name the stories they were checked against in their notes.
    for name in TESTS + DEVELOPMENT:
        for item in load(name)["unanswerable"]:
            for folder, number in re.findall(r"(business|tech|politics|sport|entertainment)/(\d{3})", str(item)):
                measured.add(f"{folder}/{number}.txt")
    assert trained and not trained & measured
    asked = {str(q["question"]).casefold().rstrip("?") for name in TESTS + DEVELOPMENT for q in load(name)["questions"]}
    assert not asked & {str(q["question"]).casefold().rstrip("?") for q in training["questions"]}


def test_every_training_answer_occurs_in_its_story() -> None:
    from training.written_questions import written_articles

    articles = written_articles(shared_path("data", "bbc_news", "bbc"), TRAINING)  # raises naming a missing answer
    answered = [qa for a in articles for p in a["paragraphs"] for qa in p["qas"] if qa["answers"]]
    assert len(answered) == len(json.loads(TRAINING.read_text(encoding="utf-8"))["questions"])
