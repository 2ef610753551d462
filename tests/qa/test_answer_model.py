"""The shipped answer model, for real: the seed article alone, questions as a person types them."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from embeddings import PairClassifier
from embeddings.pair_classifier import WEIGHTS
from qa.answer_pairs import answer_pair
from qa.cli import main
from qa.reading import ANSWER_MODEL

SEED = Path(__file__).resolve().parents[2].parent / "shared" / "seeds" / "000_78cd7df64d3b7e3d.txt"


def test_shipped_weights_are_small_and_say_what_they_are(answer_model: PairClassifier) -> None:
    assert (ANSWER_MODEL / WEIGHTS).stat().st_size < 50_000_000
    card = answer_model.card
    assert card["name"] and card["version"]
    assert "held_out_articles" in card["training_data"]
    calibration = card["calibration"]
    assert 0.0 < calibration["threshold"] < 1.0
    assert "held out of training" in calibration["fitted_on"]


def test_model_tells_the_answer_sentence_from_its_neighbours(answer_model: PairClassifier) -> None:
    # Our own sentences, not from any training set.
    question = "How much did the new bridge cost?"
    title = "Harbour bridge opens to traffic"
    sentences = [
        "The harbour bridge opened to traffic on Monday after four years of work.",
        "It cost 212 million euros, most of it paid by the regional government.",
        "The mayor said the bridge would cut journeys across the bay by twenty minutes.",
    ]
    scores = answer_model.score_pairs([answer_pair(question, s, title) for s in sentences])
    assert max(range(3), key=lambda i: scores[i]) == 1
    assert scores[1] > 2 * max(scores[0], scores[2])


@pytest.fixture(scope="module")
def seed_alone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not SEED.is_file():
        pytest.skip(f"{SEED} is absent (it exists only beside the project's CI)")
    data = tmp_path_factory.mktemp("data")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--data-dir", str(data), "ingest", str(SEED), "-c", "seed"])
    assert code == 0, err.getvalue()
    return data


def ask(data: Path, question: str, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    code = main(["--data-dir", str(data), "ask", question, "-c", "seed", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return dict(json.loads(out))


@pytest.mark.model
@pytest.mark.shared
@pytest.mark.usefixtures("embedder")
@pytest.mark.parametrize(
    ("question", "stated"),
    [
        # Refused until the support's word weights took English at large into account ("propose",
        # absent from the article, weighed as the rarest word of a one-article collection).
        ("What did NATO propose to Russia?", "security roof"),
        ("Why does NATO want a missile shield?", "security roof"),
        ("When must NATO decide on missile defense?", "next summit in November"),
        ("Who is NATO's secretary general?", "Anders Fogh Rasmussen"),
    ],
)
def test_seed_alone_answers_plain_questions(
    seed_alone: Path, question: str, stated: str, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = ask(seed_alone, question, capsys)
    assert answer["found"] is True, f"refused at confidence {answer['confidence']}"
    assert stated in str(answer["answer"])
    reader = answer["reader"]
    assert isinstance(reader, dict) and reader["name"] and reader["version"] and reader["training_data"]
