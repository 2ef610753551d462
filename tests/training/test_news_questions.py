"""Self-supervised news questions, built from a few Reuters-shaped stories of our own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.answer_data import training_pairs
from training.news_questions import news_articles

STORIES = [
    {
        "id": f"reuters-{newid}",
        "title": f"HARBOUR FERRIES <HF{n}> POSTS RESULTS",
        "date": "1987-03-02T10:00:00",
        "text": (
            f"Harbour Ferries Inc said its quarterly results beat forecasts as crossings rose number {n}.\n\n"
            f"The ferry operator carried 41{n},000 passengers in the quarter, spokesman Arne Solberg said.\n\n"
            f"Net profit rose to 12.{n} mln dlrs from a year earlier, and the company will pay a dividend in April."
        ),
    }
    for n, newid in enumerate([5, 60, 700, 8000, 9000, 10999, 11001, 15000])
]


def write(tmp_path: Path) -> Path:
    path = tmp_path / "reuters.jsonl"
    path.write_text("".join(json.dumps(s) + "\n" for s in STORIES), encoding="utf-8")
    return path


def questions(articles: list[dict[str, object]]) -> list[tuple[str, dict[str, object], str]]:
    return [
        (str(a["title"]), qa, p["context"])  # type: ignore[index]
        for a in articles
        for p in a["paragraphs"]  # type: ignore[attr-defined]
        for qa in p["qas"]
    ]


def test_only_stories_up_to_newid_11000_and_one_question_each(tmp_path: Path) -> None:
    articles = news_articles(write(tmp_path), 100, seed=1, near_misses=0.0)
    titles = {str(a["title"]) for a in articles}
    assert titles and titles <= {f"reuters-{n}" for n in (5, 60, 700, 8000, 9000, 10999)}
    assert len(questions(articles)) == len(articles)


def test_answer_lies_in_its_sentence_and_nowhere_else_in_the_story(tmp_path: Path) -> None:
    for title, qa, context in questions(news_articles(write(tmp_path), 100, seed=2, near_misses=0.0)):
        answer = qa["answers"][0]  # type: ignore[index]
        start, text = answer["answer_start"], answer["text"]
        assert context[start : start + len(text)] == text, title
        story = next(s for s in STORIES if s["id"] == title)
        assert story["text"].count(text) == 1
        question = str(qa["question"])
        assert question.split()[0] in {"how", "when", "who", "which"}
        assert text.casefold() not in question


def test_near_misses_lose_the_answer_sentence_and_train_as_unanswerable(tmp_path: Path) -> None:
    articles = news_articles(write(tmp_path), 100, seed=3, near_misses=1.0)
    assert articles and all(str(a["title"]).endswith("/without") for a in articles)
    for title, qa, _ in questions(articles):
        assert qa["is_impossible"] and not qa["answers"]
        whole = next(s for s in STORIES if s["id"] == title.split("/")[0])["text"]
        kept = " ".join(p["context"] for a in articles if a["title"] == title for p in a["paragraphs"])
        assert len(kept) < len(" ".join(whole.split()))
    pairs = training_pairs(articles, {str(a["title"]) for a in articles}, 3, leads=True)
    assert pairs and all(p.label == 0.0 for p in pairs)


def test_answerable_questions_make_the_lead_a_negative(tmp_path: Path) -> None:
    articles = news_articles(write(tmp_path), 100, seed=4, near_misses=0.0)
    pairs = training_pairs(articles, {str(a["title"]) for a in articles}, 4, leads=True)
    positives = [p for p in pairs if p.label == 1.0]
    assert positives and all(p.answer for p in positives)
    leads = [p for p in pairs if p.second.startswith("Harbour Ferries Inc said") and p.label == 0.0]
    assert leads


def test_a_lead_share_asks_the_first_sentence_and_training_makes_it_the_positive(tmp_path: Path) -> None:
    wire = [
        {**s, "text": s["text"].replace("beat forecasts", f"rose 1{n}.5 pct on the year", 1)}
        for n, s in enumerate(STORIES)
    ]
    path = tmp_path / "wire.jsonl"
    path.write_text("".join(json.dumps(s) + "\n" for s in wire), encoding="utf-8")

    def answered_paragraphs(articles: list[dict[str, object]]) -> list[int]:  # each story's lead is its paragraph 0
        return [n for a in articles for n, p in enumerate(a["paragraphs"]) for _ in p["qas"]]  # type: ignore[attr-defined]

    drawn = news_articles(path, 100, seed=5, near_misses=0.0, leads=1.0)
    assert drawn and answered_paragraphs(drawn) == [0] * len(drawn)
    pairs = training_pairs(drawn, {str(a["title"]) for a in drawn}, 4, leads=True)
    leads = [p for p in pairs if p.second.startswith("Harbour Ferries Inc said")]
    assert leads and all(p.label == 1.0 for p in leads)
    # without a lead share the sentence is drawn at random: not every question is the lead's
    assert set(answered_paragraphs(news_articles(path, 100, seed=5, near_misses=0.0))) != {0}


@pytest.mark.shared
def test_kinds_leave_out_the_questions_not_named(tmp_path: Path) -> None:
    path = write(tmp_path)

    def asked(**kinds: tuple[str, ...]) -> set[str]:
        return {
            str(qa["question"]).split()[0]
            for seed in range(6)
            for _, qa, _ in questions(news_articles(path, 100, seed=seed, near_misses=0.0, **kinds))
        }

    assert {"how", "when", "who"} <= asked()  # the stories hold a figure, a date and a name
    assert asked(kinds=("how much", "when")) == {"how", "when"}


def test_continued_training_on_news_questions_writes_a_card_naming_both_stages(tmp_path: Path) -> None:
    """A few steps of ``train_answer_model.py --resume`` from the shipped model with Reuters questions."""
    from training.train_answer_model import REUTERS, SQUAD2, main

    for needed in (REUTERS, SQUAD2):
        if not needed.is_file():
            pytest.skip(f"../shared data not present ({needed})")
    shipped = Path(__file__).resolve().parents[2] / "qa" / "models" / "answer"
    out = tmp_path / "continued"
    args = ["--span-weight", "1", "--leads", "--listwise", "1", "--resume", str(shipped), "--replay", "8"]
    assert main([*args, "--news", "12", "--check", "8", "--out", str(out)]) == 0
    card = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert card["training_data"]["reuters_questions"] == 12
    assert card["training_data"]["questions"] == 20
    earlier = json.loads((shipped / "model.json").read_text(encoding="utf-8"))
    assert card["continued_from"]["version"] == earlier["version"]
    assert card["continued_from"]["training_data"] == earlier["training_data"]
    # Without a span head the shipped tensors do not fit: a clear error, nothing written.
    assert main([*args[2:], "--news", "12", "--out", str(tmp_path / "none")]) == 2
    assert not (tmp_path / "none").exists()
    assert main([*args[:6], str(tmp_path), "--news", "12", "--out", str(tmp_path / "none")]) == 2
