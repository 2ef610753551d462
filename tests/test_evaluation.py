from __future__ import annotations

import json
from pathlib import Path

import pytest

from embeddings import HashingEmbedder
from qa.errors import InvalidInput
from qa.evaluation import evaluate, first_rank, load_question_file, load_squad, words_f1
from qa.settings import SearchSettings, Settings


def _squad(tmp_path: Path) -> Path:
    data = {
        "data": [
            {
                "title": "Tidal_barrier",
                "paragraphs": [
                    {
                        "context": "The Saltmere barrier cost 40 million pounds. It opened in 2026.",
                        "qas": [
                            {
                                "question": "How much did the Saltmere barrier cost?",
                                "answers": [{"text": "40 million pounds"}],
                            },
                            {"question": "Unanswerable here?", "answers": []},
                        ],
                    }
                ],
            },
            {
                "title": "Cricket",
                "paragraphs": [
                    {
                        "context": "The Mariners won the cricket final by six wickets.",
                        "qas": [
                            {
                                "question": "By how many wickets did the Mariners win?",
                                "answers": [{"text": "six wickets"}],
                            }
                        ],
                    }
                ],
            },
        ]
    }
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(data))
    return path


def test_load_squad_and_first_rank(tmp_path: Path) -> None:
    articles, questions = load_squad(_squad(tmp_path))
    assert [a.title for a in articles] == ["Tidal barrier", "Cricket"]
    assert len(questions) == 3 and questions[1].answers == ()
    assert first_rank(["nothing", "won by six wickets"], ("six wickets",)) == 2
    assert first_rank(["nothing"], ("six wickets",)) is None


def test_words_f1_is_squads_token_overlap() -> None:
    assert words_f1("the 212 million euros", ("212 million euros",)) == 1.0  # case and "the" aside
    assert words_f1("212 million", ("212 million euros", "nothing")) == pytest.approx(0.8)  # the best gold
    assert words_f1("Monday", ("212 million euros",)) == 0.0
    assert words_f1("", ("x",)) == 0.0


def test_evaluate_reports_every_figure(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, model="hashing")
    report = evaluate(_squad(tmp_path), settings, progress=False, embedder=HashingEmbedder())
    assert report["questions"] == 2
    assert report["top1"] == 1.0 and report["top5"] == 1.0 and report["mrr"] == 1.0
    assert 0.0 <= report["answer_sentence"] <= 1.0
    assert 0.0 <= report["answer_words_f1"] <= report["answer_words_shown"] <= 1.0
    assert report["latency_ms_median"] > 0


def test_question_file_over_separate_articles_counts_refusals(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "barrier.txt").write_text("Barrier opens\n\nThe Saltmere barrier cost 40 million pounds to build.\n")
    (folder / "cricket.txt").write_text("Final won\n\nThe Mariners won the cricket final by six wickets.\n")
    questions = {
        "questions": [{"question": "How much did the Saltmere barrier cost?", "answers": ["40 million pounds"]}],
        "unanswerable": [{"question": "Who painted the Mona Lisa?"}, {"question": "Saltmere barrier cost?"}],
    }
    path = tmp_path / "questions.json"
    path.write_text(json.dumps(questions))
    details: list[dict[str, object]] = []
    settings = Settings(data_dir=tmp_path / "data", model="hashing", search=SearchSettings(reader="rules"))
    report = evaluate(path, settings, articles=[folder], progress=False, embedder=HashingEmbedder(), details=details)
    assert report["questions"] == 1 and report["top1"] == 1.0
    assert report["unanswerable"] == 2
    # The hashing embedder shares no words with the Mona Lisa question, so it is refused; the
    # near miss shares them all and is not: the figure can fail in both directions.
    assert report["refused_unanswerable"] == 0.5
    assert [d["answerable"] for d in details] == [True, False, False]


def test_multiple_choice_file_keeps_checkable_and_unanswerable_questions(tmp_path: Path) -> None:
    text = "The harbour board met on Monday. Chair Ines Okafor approved the new ferry timetable."
    choice = ["Ines Okafor", "The mayor", "Nobody", "not enough information"]
    data = {
        "data": [
            {
                "id": "n1",
                "title": "Ferry timetable approved",
                "text": text,
                "questions": [
                    {"question": "Who approved the timetable?", "choices": choice, "answer": "Ines Okafor"},
                    {"question": "How did the board feel?", "choices": choice, "answer": "Relieved and tired"},
                    {"question": "What did the chair eat?", "choices": choice, "answer": "not enough information"},
                ],
            }
        ]
    }
    path = tmp_path / "quail.json"
    path.write_text(json.dumps(data))
    questions = load_question_file(path)
    assert [a.title for a in questions.articles] == ["Ferry timetable approved"]
    # The second answer is not in the text, so a string match could not score it: left out.
    assert [(q.text, q.answers) for q in questions.answerable] == [("Who approved the timetable?", ("Ines Okafor",))]
    assert [q.text for q in questions.unanswerable] == ["What did the chair eat?"]
    settings = Settings(data_dir=tmp_path / "data", model="hashing")
    report = evaluate(path, settings, progress=False, embedder=HashingEmbedder())
    assert report["questions"] == 1 and report["unanswerable"] == 1 and report["top1"] == 1.0


def test_squad2_impossible_questions_are_unanswerable_and_titles_pick_articles(tmp_path: Path) -> None:
    path = _squad(tmp_path)
    data = json.loads(path.read_text())
    # SQuAD 2.0 marks a near miss with is_impossible and gives the careless reader's answer aside.
    data["data"][0]["paragraphs"][0]["qas"].append(
        {
            "question": "When did the Saltmere barrier close?",
            "is_impossible": True,
            "answers": [],
            "plausible_answers": [{"text": "2026", "answer_start": 55}],
        }
    )
    data["data"][1]["paragraphs"][0]["qas"][0]["is_impossible"] = False
    path.write_text(json.dumps(data))
    questions = load_question_file(path)
    assert [q.text for q in questions.answerable] == [
        "How much did the Saltmere barrier cost?",
        "By how many wickets did the Mariners win?",
    ]
    assert "When did the Saltmere barrier close?" in [q.text for q in questions.unanswerable]
    only = load_question_file(path, titles=["Cricket"])
    assert [a.title for a in only.articles] == ["Cricket"]
    assert [q.text for q in only.answerable] == ["By how many wickets did the Mariners win?"]
    assert only.unanswerable == []
    with pytest.raises(InvalidInput, match="no article titled Crickets"):
        load_question_file(path, titles=["Crickets"])
