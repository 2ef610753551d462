"""Written BBC training questions become SQuAD-shaped articles the usual pair rules read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.answer_data import training_pairs
from training.written_questions import written_articles

STORY = (
    "Harbour ferries post record year\n\n"
    "Harbour Ferries carried a record number of passengers in 2004, its chief executive Arne Solberg said.\n\n"
    "The operator carried 410,000 passengers, up from 380,000. Mr Solberg said fares would rise in April."
    " Arne Solberg joined the firm in 1998."
)


def corpus(tmp_path: Path, questions: list[dict[str, object]], unanswerable: list[dict[str, object]]) -> Path:
    (tmp_path / "bbc" / "business").mkdir(parents=True)
    (tmp_path / "bbc" / "business" / "001.txt").write_bytes(STORY.replace("Solberg", "Sølberg").encode("latin-1"))
    path = tmp_path / "questions.json"
    path.write_text(json.dumps({"questions": questions, "unanswerable": unanswerable}), encoding="utf-8")
    return path


def test_answers_are_marked_in_the_body_and_the_headline_kept(tmp_path: Path) -> None:
    path = corpus(
        tmp_path,
        [
            {"question": "how many passengers", "answers": ["410,000"], "article": "business/001.txt", "kind": "later"},
            {
                "question": "who runs harbour ferries",
                "answers": ["Arne Sølberg"],
                "article": "business/001.txt",
                "kind": "lead",
            },
            {
                "question": "when did sølberg join",
                "answers": ["Arne Sølberg"],
                "article": "business/001.txt",
                "kind": "later",
            },
        ],
        [{"question": "how much will fares rise", "article": "business/001.txt"}],
    )
    [article] = written_articles(tmp_path / "bbc", path)
    assert article["headline"] == "Harbour ferries post record year"
    [paragraph] = article["paragraphs"]
    body = paragraph["context"]
    assert body.startswith("Harbour Ferries carried") and "\n" not in body
    many, lead, later, impossible = paragraph["qas"]
    for qa in (many, lead, later):
        answer = qa["answers"][0]
        assert body[answer["answer_start"] :].startswith(answer["text"])
    # A "later" answer repeated from the first sentence is marked where it occurs later.
    assert lead["answers"][0]["answer_start"] < body.index(".") < later["answers"][0]["answer_start"]
    assert impossible["is_impossible"] and not impossible["answers"]

    pairs = training_pairs([article], {article["title"]}, 1, paragraph_negatives=3, leads=True)
    assert sum(p.label for p in pairs) == 3  # one answer sentence per answerable question
    assert any("410,000" in p.second and p.label == 1.0 for p in pairs)
    assert any("record number" in p.second and p.label == 0.0 for p in pairs)  # the lead, a negative


def test_an_answer_missing_from_its_story_is_named(tmp_path: Path) -> None:
    path = corpus(
        tmp_path, [{"question": "how many ferries", "answers": ["12 ferries"], "article": "business/001.txt"}], []
    )
    with pytest.raises(ValueError, match="12 ferries"):
        written_articles(tmp_path / "bbc", path)
    missing = corpus(tmp_path / "other", [], [{"question": "who", "article": "business/404.txt"}])
    with pytest.raises(FileNotFoundError, match="404"):
        written_articles(tmp_path / "other" / "bbc", missing)
