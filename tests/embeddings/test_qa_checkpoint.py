"""Downloaded extractive QA checkpoints as passage readers (``--reader-model``), with tiny models of the
three common shapes (BERT, DistilBERT, RoBERTa) built here: loading, the int8 export against torch,
the no-answer rule, calibration, and the messages for names that cannot be loaded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from embeddings import DEFAULT_MODEL
from embeddings.models import ModelUnavailable, model_folder, resolve_model
from embeddings.qa_checkpoint import CheckpointReader, card_path, load_checkpoint
from qa.answer.passage import PassageReader
from tests.answer.test_reading import read, searcher  # noqa: F401  (the fixture)

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

SMALL = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64}
QUESTION = "Where did the council meet?"
PASSAGES = ["The council met in Brussels on Monday and agreed a plan.", "Rain is expected in the north."]


def _save(model: Any, tokenizer: Any, folder: Path) -> Path:
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def bert_tokenizer() -> Any:
    return transformers.AutoTokenizer.from_pretrained(resolve_model(DEFAULT_MODEL)[0])


def roberta_tokenizer(folder: Path) -> Any:
    """A byte-level BPE tokenizer trained here on a few sentences (RoBERTa's kind, with <s> and </s>)."""
    from tokenizers import ByteLevelBPETokenizer

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        PASSAGES * 10 + [QUESTION] * 10, vocab_size=300, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    )
    folder.mkdir(parents=True, exist_ok=True)
    bpe.save_model(str(folder))
    return transformers.RobertaTokenizerFast(str(folder / "vocab.json"), str(folder / "merges.txt"))


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Random tiny checkpoints of each shape, saved as the Hub has them (config, weights, tokenizer)."""
    root = tmp_path_factory.mktemp("checkpoints")
    torch.manual_seed(0)
    words = bert_tokenizer()
    bert = transformers.BertForQuestionAnswering(transformers.BertConfig(vocab_size=words.vocab_size, **SMALL))
    distil = transformers.DistilBertForQuestionAnswering(
        transformers.DistilBertConfig(vocab_size=words.vocab_size, dim=32, n_layers=2, n_heads=2, hidden_dim=64)
    )
    bpe = roberta_tokenizer(root / "roberta")
    roberta = transformers.RobertaForQuestionAnswering(
        transformers.RobertaConfig(vocab_size=bpe.vocab_size + 5, max_position_embeddings=520, pad_token_id=1, **SMALL)
    )
    return {
        "bert": _save(bert, words, root / "bert"),
        "distilbert": _save(distil, words, root / "distilbert"),
        "roberta": _save(roberta, bpe, root / "roberta"),
    }


def pointer(folder: Path, token: str) -> Path:
    """A BERT QA checkpoint whose start and end logits are 8 on ``token`` and 0 everywhere else.

    No encoder layers; every embedding is zero but ``token``'s, so after the embedding LayerNorm only
    that token's first dimension is non-zero (4), and the span head reads that dimension twice over.
    """
    words = bert_tokenizer()
    config = transformers.BertConfig(vocab_size=words.vocab_size, **{**SMALL, "num_hidden_layers": 0})
    model = transformers.BertForQuestionAnswering(config)
    with torch.no_grad():
        for parameter in model.bert.embeddings.parameters():
            parameter.zero_()
        model.bert.embeddings.LayerNorm.weight.fill_(1.0)
        where = words.convert_tokens_to_ids(token)
        model.bert.embeddings.word_embeddings.weight[where, :2] = torch.tensor([10.0, -10.0])
        model.qa_outputs.weight.zero_()
        model.qa_outputs.weight[:, 0] = 2.0
        model.qa_outputs.bias.zero_()
    return _save(model, words, folder)


@pytest.mark.parametrize("shape", ["bert", "distilbert", "roberta"])
def test_a_checkpoint_exports_once_and_reads_as_torch_does(
    shape: str, checkpoints: dict[str, Path], tmp_path: Path
) -> None:
    folder = checkpoints[shape]
    reader = load_checkpoint(str(folder), tmp_path)
    card = card_path(folder, tmp_path)
    assert card.is_file() and card.with_suffix(".int8.onnx").is_file()
    assert reader.card["architecture"].endswith("ForQuestionAnswering")
    assert ("token_type_ids" in reader.card["inputs"]) == (shape != "distilbert")
    made = card.with_suffix(".int8.onnx").stat().st_mtime_ns
    again = load_checkpoint(str(folder), tmp_path)  # from the cache: no second export
    assert card.with_suffix(".int8.onnx").stat().st_mtime_ns == made

    tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder))
    model = transformers.AutoModelForQuestionAnswering.from_pretrained(str(folder)).eval()
    batch = tokenizer([QUESTION] * 2, PASSAGES, padding=True, return_tensors="pt")
    with torch.no_grad():
        out = model(**{k: v for k, v in batch.items() if k in reader.card["inputs"]})
    encodings = [again._tokenizer.encode(QUESTION, p) for p in PASSAGES]
    rows = batch["input_ids"].tolist()
    # The saved tokenizer encodes the pairs as the checkpoint's own does (<s> q </s></s> p </s> for RoBERTa).
    assert [e.ids for e in encodings] == [row[: len(e.ids)] for row, e in zip(rows, encodings, strict=True)]
    spans = again.read(QUESTION, PASSAGES)
    for number, span in enumerate(spans):
        assert span is not None and 0 <= span.start < span.end <= len(PASSAGES[number])
        real = batch["attention_mask"][number].bool()
        starts = out.start_logits[number][real].numpy()
        ends = out.end_logits[number][real].numpy()
        assert span.null == pytest.approx(float(starts[0] + ends[0]), abs=0.1)  # the first token is "no answer"
    # A question longer than the checkpoint reads is cut, not a crash in the tokenizer.
    assert len(again.read(QUESTION + " really" * 400, PASSAGES)) == 2
    # int8 keeps the order of the logits: compare the whole first row through ONNX Runtime.
    ids, mask = batch["input_ids"].numpy(), batch["attention_mask"].numpy()
    feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    int8 = again._session.run(None, {i.name: feed[i.name] for i in again._session.get_inputs()})
    full = out.start_logits.numpy()
    assert np.corrcoef(int8[0][mask.astype(bool)], full[mask.astype(bool)])[0, 1] > 0.95


def test_the_reader_quotes_where_the_checkpoint_points_and_refuses_when_no_answer_wins(
    searcher: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    question = "How many runs did the Mariners captain score?"
    answers = PassageReader(load_checkpoint(str(pointer(tmp_path / "runs", "runs")), tmp_path / "cache"))
    assert answers.min_score == 0.5  # uncalibrated: SQuAD 2.0's rule, an answer where the span beats [CLS]
    answer = read(searcher, answers, question)
    assert answer.found and answer.sentence == "Their captain scored 81 runs in the final."
    assert answer.words == "runs"
    assert answer.confidence == pytest.approx(1 / (1 + np.exp(-16.0)), rel=0.05)  # margin 16 (8 + 8) over 0

    nothing = PassageReader(load_checkpoint(str(pointer(tmp_path / "cls", "[CLS]")), tmp_path / "cache"))
    refused = read(searcher, nothing, question)
    assert not refused.found and refused.sentence is None
    assert refused.confidence < 1e-3  # [CLS] scores 16, every span at most 8


def test_names_that_cannot_load_say_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))  # an empty cache: nothing downloaded here
    with pytest.raises(ModelUnavailable) as error:
        model_folder("deepset/roberta-base-squad2")
    message = str(error.value)
    assert "'deepset/roberta-base-squad2' is not on this machine" in message
    assert "--reader-model /path/to/model" in message and "\n" not in message
    with pytest.raises(ModelUnavailable, match=r"re-ranker 'cross-encoder/x' .* --reranker /path/to/model"):
        model_folder("cross-encoder/x", what="re-ranker", flag="--reranker")
    with pytest.raises(ModelUnavailable, match="no such folder"):
        model_folder(str(tmp_path / "missing"))
    # A folder that is not a QA checkpoint: named, with what it is instead.
    sentence_model = resolve_model(DEFAULT_MODEL)[0]
    with pytest.raises(ValueError, match=r"not an extractive question-answering checkpoint .*BertModel"):
        load_checkpoint(sentence_model, tmp_path / "cache")


def test_a_calibration_is_kept_in_the_card_and_used(checkpoints: dict[str, Path], tmp_path: Path) -> None:
    from embeddings.qa_checkpoint import save_calibration

    reader = load_checkpoint(str(checkpoints["bert"]), tmp_path)
    save_calibration(reader.card_file, {"a": 0.5, "b": -1.0, "threshold": 0.3})
    again = PassageReader(CheckpointReader(reader.card_file))
    assert again.min_score == 0.3 and again.confidence(2.0) == pytest.approx(0.5)
    assert json.loads(reader.card_file.read_text())["calibration"]["threshold"] == 0.3
