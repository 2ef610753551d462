"""An extractive reader in the standard layout (``BertForQuestionAnswering``): question and passage in,
start and end logits over the passage's word pieces out, [CLS] standing for "no answer here".

Stored as the answer model is: the tensors training changed, in fp16, on top of a base model that is
already installed (the word-piece embeddings were frozen, so they come from the base). Questions run
its int8 ONNX export on ONNX Runtime (made once, with torch, into a cache folder), else NumPy
(embeddings/numpy_bert.py); neither imports torch.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from embeddings.models import resolve_model
from embeddings.numpy_bert import Array, NumpyBert, batch_arrays
from embeddings.onnx_export import export_module, quantise_int8
from embeddings.pair_classifier import CARD, WEIGHTS, cached_session, exported_path
from embeddings.token_embedder import local_model

logger = logging.getLogger(__name__)

# The longest answer, in word pieces, a reader will point to.
MAX_ANSWER_TOKENS = 40


def base_qa_network(base: str, *, threads: int | None = None) -> tuple[Any, Any, Path]:
    """A ``BertForQuestionAnswering`` initialised from ``base`` (its span head new), its fast tokenizer
    (transformers') and the base folder. Needs torch: for training."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoTokenizer, BertConfig, BertForQuestionAnswering

    if threads is not None:
        torch.set_num_threads(threads)
    location, _ = resolve_model(base)
    folder = Path(location)
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(f"base model {base!r} is not a local folder with config.json ({folder})")
    network = BertForQuestionAnswering(BertConfig.from_pretrained(str(folder)))
    state = {f"bert.{k}": v for k, v in load_file(str(folder / "model.safetensors")).items()}
    missing, _ = network.load_state_dict(state, strict=False)
    if [k for k in missing if not k.startswith("qa_outputs.")]:
        raise ValueError(f"base model {base!r} lacks {[k for k in missing if not k.startswith('qa_outputs.')][:3]}")
    return network, AutoTokenizer.from_pretrained(str(folder)), folder


def trained_reader(folder: Path) -> Any:
    """The passage reader in ``folder`` as a torch network (base model plus the trained tensors), in eval mode."""
    card = json.loads((folder / CARD).read_text(encoding="utf-8"))
    network, _, _ = base_qa_network(card["base_model"])
    load_trained(network, folder)
    return network.eval()


def load_trained(network: Any, folder: Path) -> dict[str, Any]:
    """Load the trained tensors in ``folder`` into ``network`` (a ``base_qa_network``); its card."""
    from safetensors.torch import load_file

    network.load_state_dict({k: v.float() for k, v in load_file(str(folder / WEIGHTS)).items()}, strict=False)
    return dict(json.loads((folder / CARD).read_text(encoding="utf-8")))


def export_reader(folder: Path | str, cache: Path) -> Path:
    """Export the passage reader to ONNX in ``cache``, int8 (once; needs torch)."""
    folder = Path(folder)
    target = exported_path(folder, cache)
    if not target.is_file():
        export_module(trained_reader(folder), target, ("start_logits", "end_logits"), quantise_int8)
    return target


@dataclass(frozen=True)
class Span:
    """The reader's best answer in one passage: character offsets into the passage, its score
    (start logit + end logit), and the no-answer score ([CLS]'s start + end logits)."""

    start: int
    end: int
    score: float
    null: float

    @property
    def margin(self) -> float:
        """How much likelier the span is than "no answer here", in log-odds."""
        return self.score - self.null


class SpanReader:
    """A trained passage reader (a folder with ``model.json`` and ``weights.safetensors``), run in NumPy."""

    def __init__(self, folder: Path | str, *, cache: Path | None = None) -> None:
        from tokenizers import Tokenizer

        folder = Path(folder)
        try:
            self.card: dict[str, Any] = json.loads((folder / CARD).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise FileNotFoundError(f"{folder / CARD}: cannot read the passage reader's card ({error})") from error
        base, _, shape, _ = local_model(str(self.card["base_model"]))
        self._session = cached_session(folder, cache, "passage reader")
        self.backend = "onnxruntime" if self._session is not None else "numpy"
        if self._session is None:
            self._load_numpy(folder, base, shape)
        self._tokenizer = Tokenizer.from_file(str(base / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=int(self.card.get("max_length", 384)), strategy="longest_first")
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.name = str(self.card.get("name", folder.name))

    def _load_numpy(self, folder: Path, base: Path, shape: Any) -> None:
        from safetensors.numpy import load_file

        tensors = {k.removeprefix("bert."): v for k, v in load_file(str(folder / WEIGHTS)).items()}
        for name, value in load_file(str(base / "model.safetensors")).items():
            tensors.setdefault(name, value)
        head = (tensors.pop("qa_outputs.weight"), tensors.pop("qa_outputs.bias"))
        self._bert = NumpyBert(tensors, shape)
        self._head = (np.ascontiguousarray(head[0].astype(np.float32).T), head[1].astype(np.float32))

    def logits(self, question: str, passages: list[str]) -> tuple[Array, Array, list[Any]]:
        """Start and end logits, shape ``(len(passages), tokens)``, and each pair's encoding."""
        encodings = list(self._tokenizer.encode_batch([(question, p) for p in passages]))
        ids, types, mask = batch_arrays(encodings)
        if self._session is not None:
            starts, ends = self._session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
            return np.asarray(starts, np.float32), np.asarray(ends, np.float32), encodings
        out = self._bert.hidden_states(ids, types, mask) @ self._head[0] + self._head[1]
        return out[..., 0], out[..., 1], encodings

    def read(self, question: str, passages: list[str]) -> list[Span | None]:
        """The best span of each passage (None where the passage's text was cut off entirely)."""
        return read_spans(self, question, passages)

    def margins(self, question: str, passages: list[str], ranges: list[list[tuple[int, int]]]) -> list[list[float]]:
        """For each passage, the best span's margin over "no answer" inside each of its character ``ranges``."""
        return range_margins(self, question, passages, ranges)


class Logits(Protocol):
    def logits(self, question: str, passages: list[str]) -> tuple[Array, Array, list[Any]]: ...


def read_spans(reader: Logits, question: str, passages: list[str]) -> list[Span | None]:
    """The best span of each passage, from ``reader``'s start and end logits."""
    if not passages:
        return []
    starts, ends, encodings = reader.logits(question, passages)
    return [best_span(s, e, enc) for s, e, enc in zip(starts, ends, encodings, strict=True)]


# The margin of a range the reader cannot point into (its text cut off): far below any real one.
UNREAD = -30.0


def range_margins(
    reader: Logits, question: str, passages: list[str], ranges: list[list[tuple[int, int]]]
) -> list[list[float]]:
    """For each passage, the best span's margin over "no answer" among spans lying inside each character range
    (e.g. each of its sentences): how strongly the reader, reading the whole passage, points into it."""
    if not passages:
        return []
    starts, ends, encodings = reader.logits(question, passages)
    out = []
    for start_logits, end_logits, encoding, wanted in zip(starts, ends, encodings, ranges, strict=True):
        tokens = [i for i, s in enumerate(encoding.sequence_ids) if s == 1]
        null = float(start_logits[0] + end_logits[0])
        margins = []
        for a, b in wanted:
            inside = [t for t in tokens if encoding.offsets[t][0] >= a and encoding.offsets[t][1] <= b]
            if not inside:
                margins.append(UNREAD)
                continue
            first, last = inside[0], inside[-1] + 1
            _, _, score = _best_pair(start_logits[first:last], end_logits[first:last])
            margins.append(score - null)
        out.append(margins)
    return out


def _best_pair(start_logits: Array, end_logits: Array) -> tuple[int, int, float]:
    """The (start, end) token pair with the highest start + end logit (start <= end, at most MAX_ANSWER_TOKENS)."""
    # Every (start, end) pair at once: end - start in [0, MAX_ANSWER_TOKENS).
    scores = start_logits[:, None] + end_logits[None, :]
    size = len(start_logits)
    offsets = np.arange(size)
    allowed = (offsets[None, :] >= offsets[:, None]) & (offsets[None, :] - offsets[:, None] < MAX_ANSWER_TOKENS)
    scores = np.where(allowed, scores, -np.inf)
    i, j = divmod(int(np.argmax(scores)), size)
    return i, j, float(scores[i, j])


def best_span(starts: Array, ends: Array, encoding: Any) -> Span | None:
    """The passage span with the highest start + end logit (start <= end, at most MAX_ANSWER_TOKENS)."""
    tokens = [i for i, s in enumerate(encoding.sequence_ids) if s == 1]
    if not tokens:
        return None
    first, last = tokens[0], tokens[-1] + 1
    i, j, score = _best_pair(starts[first:last], ends[first:last])
    char_start = encoding.offsets[first + i][0]
    char_end = encoding.offsets[first + j][1]
    return Span(int(char_start), int(char_end), score, float(starts[0] + ends[0]))
