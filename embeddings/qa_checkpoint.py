"""Any extractive question-answering checkpoint as a passage reader: ``deepset/roberta-base-squad2``,
``deepset/minilm-uncased-squad2``, ``distilbert-base-cased-distilled-squad`` or a folder of your own.

Such a checkpoint has the standard layout (transformers' ``*ForQuestionAnswering``: start and end
logits over the question-and-passage word pieces, the first token standing for "no answer"), so it
reads passages exactly as the project's own passage reader does (embeddings/span_reader.py).

It is exported once, with torch, to int8 ONNX in a cache folder, beside its tokenizer and a card
(``<key>.json``) that also keeps its calibration (``article-qa calibrate``); questions then run
on ONNX Runtime without torch. A name that is not a local folder is looked up in the Hugging Face
cache, and fetched only where the network allows.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.models import model_folder
from embeddings.numpy_bert import Array, batch_arrays
from embeddings.onnx_export import EXPORT_VERSION, INPUTS, export_module, quantise_int8, session
from embeddings.span_reader import Span, range_margins, read_spans

# The longest passage read in one piece, in the checkpoint's word pieces.
MAX_LENGTH = 384


def _fingerprint(folder: Path) -> str:
    """Names, sizes and modification times of the checkpoint's files: a new download makes a new export."""
    parts = sorted(f"{p.name}:{p.stat().st_size}:{int(p.stat().st_mtime)}" for p in folder.iterdir() if p.is_file())
    return hashlib.sha256("\n".join([str(folder.resolve()), *parts]).encode()).hexdigest()[:12]


def card_path(folder: Path, cache: Path) -> Path:
    """Where the card of ``folder``'s export lives (the export is beside it, ``.int8.onnx`` for ``.json``)."""
    slug = re.sub(r"[^\w.-]+", "-", folder.resolve().as_posix().split("/models--")[-1])[-60:].strip("-")
    return cache / f"qa-{slug}-{_fingerprint(folder)}.v{EXPORT_VERSION}.json"


def export_checkpoint(folder: Path, cache: Path, *, name: str | None = None) -> Path:
    """Export the checkpoint in ``folder`` to int8 ONNX in ``cache`` with its tokenizer and card (once; needs
    torch and transformers). Returns the card's path."""
    card_file = card_path(folder, cache)
    if card_file.is_file():
        return card_file
    from transformers import AutoConfig, AutoModelForQuestionAnswering, AutoTokenizer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # "Loading weights" bars say nothing a user can act on
    config = AutoConfig.from_pretrained(str(folder))
    architectures = [a for a in config.architectures or [] if a.endswith("ForQuestionAnswering")]
    if not architectures:
        raise ValueError(
            f"{folder}: not an extractive question-answering checkpoint (its config names "
            f"{config.architectures or 'no architecture'}, not a *ForQuestionAnswering one)"
        )
    tokenizer = AutoTokenizer.from_pretrained(str(folder), use_fast=True)
    if not getattr(tokenizer, "is_fast", False):
        raise ValueError(f"{folder}: its tokenizer has no fast (Rust) form, which the reader needs for offsets")
    model = AutoModelForQuestionAnswering.from_pretrained(str(folder)).eval()
    accepted = inspect.signature(model.forward).parameters
    inputs = tuple(i for i in INPUTS if i in accepted)
    cache.mkdir(parents=True, exist_ok=True)
    onnx_file = card_file.with_suffix(".int8.onnx")
    tokenizer_file = card_file.with_suffix(".tokenizer.json")
    tokenizer.backend_tokenizer.save(str(tokenizer_file))
    export_module(model, onnx_file, ("start_logits", "end_logits"), quantise_int8, inputs=inputs)
    limit = getattr(tokenizer, "model_max_length", MAX_LENGTH) or MAX_LENGTH
    card = {
        "name": name or folder.name,
        "source": str(folder),
        "architecture": architectures[0],
        "inputs": list(inputs),
        "pad_id": int(tokenizer.pad_token_id or 0),
        "pad_token": str(tokenizer.pad_token or "[PAD]"),
        "max_length": int(min(limit, MAX_LENGTH)),
        "training_data": "not trained here (a downloaded checkpoint)",
    }
    _write_card(card_file, card)
    return card_file


def save_calibration(card_file: Path, calibration: dict[str, Any]) -> None:
    """Keep a checkpoint's calibration (Platt ``a``, ``b`` on the span margin, and ``threshold``) in its card."""
    card = json.loads(card_file.read_text(encoding="utf-8"))
    card["calibration"] = calibration
    _write_card(card_file, card)


def _write_card(card_file: Path, card: dict[str, Any]) -> None:
    """Write the card whole or not at all (a crash leaves the old one)."""
    temporary = card_file.with_suffix(".tmp")
    temporary.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, card_file)


class CheckpointReader:
    """An exported checkpoint on ONNX Runtime: the best span of each passage, as ``SpanReader`` gives.

    Uncalibrated, its card has no ``calibration`` and the passage reader applies SQuAD 2.0's rule
    (an answer where the span beats "no answer", confidence 0.5 at a margin of 0).
    """

    def __init__(self, card_file: Path) -> None:
        from tokenizers import Tokenizer

        self.card_file = card_file
        self.card: dict[str, Any] = json.loads(card_file.read_text(encoding="utf-8"))
        self.name = str(self.card["name"])
        self.backend = "onnxruntime"
        self._session = session(card_file.with_suffix(".int8.onnx"), spin=False)
        self._inputs = [i.name for i in self._session.get_inputs()]
        self._tokenizer = Tokenizer.from_file(str(card_file.with_suffix(".tokenizer.json")))
        self._tokenizer.enable_truncation(max_length=int(self.card["max_length"]), strategy="longest_first")
        self._tokenizer.enable_padding(pad_id=int(self.card["pad_id"]), pad_token=str(self.card["pad_token"]))

    def logits(self, question: str, passages: list[str]) -> tuple[Array, Array, list[Any]]:
        """Start and end logits, shape ``(len(passages), tokens)``, and each pair's encoding."""
        encodings = list(self._tokenizer.encode_batch([(question, p) for p in passages]))
        ids, types, mask = batch_arrays(encodings)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        starts, ends = self._session.run(None, {name: feed[name] for name in self._inputs})
        return np.asarray(starts, np.float32), np.asarray(ends, np.float32), encodings

    def read(self, question: str, passages: list[str]) -> list[Span | None]:
        """The best span of each passage (None where the passage's text was cut off entirely)."""
        return read_spans(self, question, passages)

    def margins(self, question: str, passages: list[str], ranges: list[list[tuple[int, int]]]) -> list[list[float]]:
        """For each passage, the best span's margin over "no answer" inside each of its character ``ranges``."""
        return range_margins(self, question, passages, ranges)


def load_checkpoint(name: str, cache: Path) -> CheckpointReader:
    """The reader for checkpoint ``name`` (a folder or a Hugging Face name), exported into ``cache`` on first use."""
    folder = model_folder(name)
    card_file = card_path(folder, cache)
    if not card_file.is_file():
        card_file = export_checkpoint(folder, cache, name=name)
    return CheckpointReader(card_file)
