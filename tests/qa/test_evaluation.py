from __future__ import annotations

import json
from pathlib import Path

from embeddings import HashingEmbedder
from qa.evaluation import evaluate, first_rank, load_squad
from qa.settings import Settings


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


def test_evaluate_reports_every_figure(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, model="hashing")
    report = evaluate(_squad(tmp_path), settings, progress=False, embedder=HashingEmbedder())
    assert report["questions"] == 2
    assert report["top1"] == 1.0 and report["top5"] == 1.0 and report["mrr"] == 1.0
    assert 0.0 <= report["answer_sentence"] <= 1.0
    assert report["latency_ms_median"] > 0
