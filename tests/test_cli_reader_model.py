"""`--reader-model`, `article-qa calibrate` and `--reranker` end to end, with checkpoints built here (the real
bundled embedding model does retrieval)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.cli import main
from tests.embeddings.test_qa_checkpoint import pointer

pytestmark = [pytest.mark.model, pytest.mark.usefixtures("embedder")]
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

CRICKET = (
    "Mariners win the final. The Mariners beat the Harbour club by six wickets on Saturday. "
    "Their captain scored 81 runs in the final. He has played for the club for twelve years."
)
PORT = (
    "New quay opens at Saltmere. The new quay at Saltmere opened on Monday after two years of work. "
    "It cost 14 million pounds and can take ships of up to 200 metres."
)


def squad2(path: Path) -> Path:
    """A small SQuAD 2.0 file: answerable questions, and unanswerable ones over the same articles."""

    def qa(question: str, answer: str | None, context: str, number: int) -> dict[str, object]:
        if answer is None:
            return {"id": f"q{number}", "question": question, "answers": [], "is_impossible": True}
        start = context.index(answer)
        return {"id": f"q{number}", "question": question, "answers": [{"text": answer, "answer_start": start}]}

    asked = {
        CRICKET: [
            ("How many runs did the Mariners captain score?", "81 runs"),
            ("Who won the final?", "The Mariners"),
            ("How long has the captain played for the club?", "twelve years"),
            ("How many wickets did the captain take?", None),
        ],
        PORT: [
            ("How much did the new quay cost?", "14 million pounds"),
            ("When did the Saltmere quay open?", "on Monday"),
            ("How many ships used the quay on Monday?", None),
        ],
    }
    data = [
        {
            "title": context.split(".")[0],
            "paragraphs": [
                {"context": context, "qas": [qa(q, a, context, n * 10 + i) for i, (q, a) in enumerate(questions)]}
            ],
        }
        for n, (context, questions) in enumerate(asked.items())
    ]
    path.write_text(json.dumps({"version": "v2.0", "data": data}), encoding="utf-8")
    return path


def articles_in(folder: Path) -> str:
    """The two articles as text files (headline, blank line, text)."""
    folder.mkdir()
    for name, text in (("cricket.txt", CRICKET), ("port.txt", PORT)):
        title, _, body = text.partition(". ")
        (folder / name).write_text(f"{title}\n\n{body}\n", encoding="utf-8")
    return str(folder)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_calibrate_then_ask_with_a_reader_model(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    model = pointer(tmp_path / "runs-reader", "runs")
    data = str(tmp_path / "data")
    file = squad2(tmp_path / "squad2.json")
    assert run(capsys, "--data-dir", data, "ingest", articles_in(tmp_path / "articles"), "-c", "news")[0] == 0

    code, out, err = run(capsys, "--data-dir", data, "ask", "how many runs did the captain get", "-c", "news",
                         "--reader-model", str(model), "--json")  # fmt: skip
    assert code == 0, err
    answer = json.loads(out)
    assert answer["found"] and answer["answer"] == "Their captain scored 81 runs in the final."
    assert answer["answer_words"]["text"] == "runs"
    assert answer["reader"]["threshold"] == 0.5  # not calibrated yet: the null-score rule

    code, out, err = run(capsys, "--data-dir", data, "calibrate", str(file), "--reader-model", str(model), "--json")
    assert code == 0, err
    calibration = json.loads(out)
    figures = calibration["held_out"]
    assert figures["questions"] == {"answerable": 5, "near miss": 2}
    # The model points at "runs" wherever it is: right for the one question about runs.
    assert figures["answer_sentence"] == pytest.approx(1 / 5)
    assert figures["refused_answerable"] <= 0.05 + 1e-9

    code, out, err = run(capsys, "--data-dir", data, "ask", "how many runs did the captain get", "-c", "news",
                         "--reader-model", str(model), "--json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["reader"]["threshold"] == pytest.approx(calibration["threshold"])


def test_reader_model_problems_are_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = str(tmp_path / "data")
    code, _, err = run(capsys, "--data-dir", data, "ingest", articles_in(tmp_path / "articles"), "-c", "news")
    assert code == 0, err
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))  # an empty cache: nothing downloaded here
    for flag, name, what in (
        ("--reader-model", "deepset/roberta-base-squad2", "reader model"),
        ("--reranker", "cross-encoder/ms-marco-MiniLM-L6-v2", "re-ranker"),
    ):
        code, out, err = run(capsys, "--data-dir", data, "ask", "who won?", "-c", "news", flag, name)
        assert code == 2 and out == ""
        assert err.startswith(f"error: {what} '{name}' is not on this machine") and err.count("\n") == 1
        assert f"{flag} /path/to/model" in err
    # The environment variable works as the flag does.
    monkeypatch.setenv("ARTICLE_QA_READER_MODEL", "deepset/minilm-uncased-squad2")
    code, _, err = run(capsys, "--data-dir", data, "ask", "who won?", "-c", "news")
    assert code == 2 and "'deepset/minilm-uncased-squad2' is not on this machine" in err
    code, _, err = run(capsys, "--data-dir", data, "ask", "who won?", "-c", "news", "--reader", "rules")
    assert code == 2 and "--reader rules cannot read with --reader-model" in err
    code, _, err = run(capsys, "--data-dir", data, "calibrate", str(tmp_path / "none.json"), "--reader-model",
                       str(pointer(tmp_path / "m", "runs")))  # fmt: skip
    assert code == 2 and "none.json" in err


def test_a_cross_encoder_folder_reranks(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Any sentence-transformers CrossEncoder folder drops in as the re-ranker."""
    from sentence_transformers import CrossEncoder

    from embeddings.models import DEFAULT_MODEL, resolve_model

    base = resolve_model(DEFAULT_MODEL)[0]
    tokenizer = transformers.AutoTokenizer.from_pretrained(base)
    config = transformers.BertConfig(
        vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=64, num_labels=1,
    )  # fmt: skip
    folder = tmp_path / "cross-encoder"
    transformers.BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    assert len(CrossEncoder(str(folder)).predict([("a", "b")])) == 1

    data = str(tmp_path / "data")
    assert run(capsys, "--data-dir", data, "ingest", articles_in(tmp_path / "articles"), "-c", "news")[0] == 0
    code, out, err = run(
        capsys, "--data-dir", data, "ask", "who won the final?", "-c", "news", "--reranker", str(folder), "--json"
    )
    assert code == 0, err
    passages = json.loads(out)["passages"]
    # The re-ranker's scores replace the fused ones: a random model's, so any order, but its own scores.
    assert len(passages) == 2 and all(isinstance(p["score"], float) for p in passages)
    pairs = [("who won the final?", f"{p['headline']}\n{p['text']}") for p in passages]
    scores = CrossEncoder(str(folder)).predict(pairs)
    assert [p["score"] for p in passages] == pytest.approx(sorted((float(s) for s in scores), reverse=True), abs=1e-3)
