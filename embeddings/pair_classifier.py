"""A cross-encoder that reads two texts together and gives the probability that they match.

The answer model is stored as the tensors training changed, in fp16, on top of a base model
that is already installed (by default the bundled all-MiniLM-L6-v2): the word-piece embeddings
were frozen in training, so they come from the base and the shipped file stays small.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from embeddings.models import resolve_model
from embeddings.onnx_export import EXPORT_VERSION, export_module, quantise_int8, session

logger = logging.getLogger(__name__)

WEIGHTS = "weights.safetensors"
CARD = "model.json"
# Frozen in training (the largest tensor by far), so taken from the base model at load time.
FROZEN = ("bert.embeddings.word_embeddings.weight",)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def base_network(base: str, *, threads: int | None = None) -> tuple[Any, Any, Path]:
    """A BERT sequence classifier (one logit) initialised from ``base``, its tokenizer and the base folder."""
    import torch
    from tokenizers import Tokenizer
    from transformers import BertConfig, BertForSequenceClassification

    if threads is not None:
        torch.set_num_threads(threads)
    location, _ = resolve_model(base)
    folder = Path(location)
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(f"base model {base!r} is not a local folder with config.json ({folder})")
    config = BertConfig.from_pretrained(str(folder), num_labels=1)
    network = BertForSequenceClassification(config)
    from safetensors.torch import load_file

    state = {f"bert.{k}": v for k, v in load_file(str(folder / "model.safetensors")).items()}
    missing, _ = network.load_state_dict(state, strict=False)
    unexpected_missing = [k for k in missing if not k.startswith("classifier.")]
    if unexpected_missing:
        raise ValueError(f"base model {base!r} lacks {unexpected_missing[:3]}")
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    return network, tokenizer, folder


def pair_encodings(tokenizer: Any, pairs: list[tuple[str, str]], max_length: int) -> list[Any]:
    """``tokenizers`` encodings of (first, second) pairs, padded to the longest; the longer text is cut first
    (the sentence, unless the question is longer: a question too long to fit is cut rather than refused)."""
    tokenizer.enable_truncation(max_length=max_length, strategy="longest_first")
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return list(tokenizer.encode_batch(pairs))


def as_batch(encodings: list[Any]) -> dict[str, Any]:
    """Padded encodings as the torch network's inputs."""
    import torch

    from embeddings.numpy_bert import batch_arrays

    ids, types, mask = batch_arrays(encodings)
    return {
        "input_ids": torch.from_numpy(ids),
        "token_type_ids": torch.from_numpy(types),
        "attention_mask": torch.from_numpy(mask),
    }


def encode_pairs(tokenizer: Any, pairs: list[tuple[str, str]], max_length: int) -> dict[str, Any]:
    """Token ids of (first, second) pairs, padded to the longest; the second text is cut first."""
    return as_batch(pair_encodings(tokenizer, pairs, max_length))


def add_span_head(network: Any) -> Any:
    """Give ``network`` a span head: start and end logits for each token (where the answer's words are)."""
    import torch

    network.span = torch.nn.Linear(network.config.hidden_size, 2)
    return network


def answer_outputs(network: Any, batch: dict[str, Any]) -> tuple[Any, Any]:
    """The answer log-odds of each pair, shape (batch,), and its span logits, shape (batch, tokens, 2), or None."""
    if not hasattr(network, "span"):
        return network(**batch).logits[:, 0], None
    out = network(**batch, output_hidden_states=True)
    return out.logits[:, 0], network.span(out.hidden_states[-1])


def save_trained(network: Any, folder: Path, card: dict[str, Any]) -> Path:
    """Write the trained tensors (all but the frozen ones) in fp16 and the model card beside them."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    tensors = {
        k: v.detach().to("cpu").half().contiguous()
        for k, v in network.state_dict().items()
        if k not in FROZEN and v.is_floating_point()
    }
    save_file(tensors, str(folder / WEIGHTS))
    (folder / CARD).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return folder / WEIGHTS


def trained_network(folder: Path) -> Any:
    """The answer model in ``folder`` as a torch network (base model plus the trained tensors), in eval mode."""
    from safetensors.torch import load_file

    card = json.loads((folder / CARD).read_text(encoding="utf-8"))
    network, _, _ = base_network(card["base_model"])
    weights = {k: v.float() for k, v in load_file(str(folder / WEIGHTS)).items()}
    if "span.weight" in weights:
        add_span_head(network)
    network.load_state_dict(weights, strict=False)
    return network.eval()


def cached_session(folder: Path, cache: Path | None, what: str, threads: int | None = None) -> Any:
    """An ONNX Runtime session on ``folder``'s export in ``cache``, or None (no cache, not exported yet, or
    unusable: the caller then runs the same sums in NumPy). ``threads``: per run (None: every core)."""
    exported = exported_path(folder, cache) if cache is not None else None
    if exported is None or not exported.is_file():
        return None
    try:
        return session(exported, threads, spin=False)
    except Exception as error:  # a damaged cache file or no onnxruntime: NumPy does the same sums
        logger.warning("%s: cannot use %s (%s); running it in NumPy", what, exported, error)
        return None


def exported_path(folder: Path, cache: Path) -> Path:
    """Where the ONNX form of the trained model in ``folder`` (the answer model, the passage reader) is
    cached: named by its card's name, its weights and its base."""
    card = json.loads((folder / CARD).read_text(encoding="utf-8"))
    weights = file_sha256(folder / WEIGHTS)[:12]
    base = str(card.get("base_sha256", "base"))[:12]
    return cache / f"{card.get('name', 'answer')}-{weights}-{base}.v{EXPORT_VERSION}.int8.onnx"


def export_answer_model(folder: Path | str, cache: Path) -> Path:
    """Export the answer model to ONNX in ``cache``, int8 (once; needs torch), so questions run it on ONNX Runtime.

    int8 halves the time of a question's eight pairs (70 to 36 ms here) and moves the model's
    log-odds by 0.17 on average (0.57 at the 95th percentile) on 400 held-out SQuAD pairs
    (benchmarks/int8_agreement.py); the calibration is fitted on this int8 form.
    """

    folder = Path(folder)
    target = exported_path(folder, cache)
    if target.is_file():
        return target
    network = trained_network(folder)
    if not hasattr(network, "span"):
        export_module(network, target, "logits", quantise_int8)
        return target
    import torch

    network.set_attn_implementation("eager")

    class WithSpans(torch.nn.Module):
        """The network's answer logit and its span logits, as two named outputs."""

        def __init__(self) -> None:
            super().__init__()
            self.network = network

        def forward(self, **batch: Any) -> Any:
            logits, spans = answer_outputs(self.network, batch)
            return SimpleNamespace(logits=logits[:, None], spans=spans)

    export_module(WithSpans(), target, ("logits", "spans"), quantise_int8)
    return target


# The longest answer span the model may point to, in word pieces.
MAX_SPAN = 30


@dataclass(frozen=True)
class PairReading:
    """What the model read in one pair: the probability that the second text answers the first, and,
    for a model with a span head, where in the second text it puts the answer's words.

    ``span`` is (start, end) in characters of the second text; ``margin`` is how far the best
    span's start and end logits exceed those of "no span here" ([CLS]).
    """

    probability: float
    span: tuple[int, int] | None = None
    margin: float = 0.0


def best_span(spans: Any, encoding: Any) -> tuple[tuple[int, int] | None, float]:
    """The likeliest answer span among the second text's tokens: character offsets and margin over [CLS]."""
    import numpy as np

    allowed = np.array([sid == 1 for sid in encoding.sequence_ids])
    starts = np.where(allowed, spans[:, 0], -np.inf)
    ends = np.where(allowed, spans[:, 1], -np.inf)
    best, where = -np.inf, None
    for length in range(min(MAX_SPAN, len(starts))):
        sums = starts[: len(starts) - length] + ends[length:]
        i = int(np.argmax(sums))
        if sums[i] > best:
            best, where = float(sums[i]), (i, i + length)
    if where is None or not np.isfinite(best):
        return None, 0.0
    null = float(spans[0, 0] + spans[0, 1])
    return (encoding.offsets[where[0]][0], encoding.offsets[where[1]][1]), best - null


class PairClassifier:
    """Probability that the second text of each pair answers the first, from a trained folder.

    Runs on ONNX Runtime when ``cache`` holds the model's export (``export_answer_model``, done
    by the first ingest), else in NumPy (embeddings.numpy_bert): either way without importing
    torch, so that loading it costs a fraction of a second. Training (``base_network``,
    ``encode_pairs``) uses torch; tests check all three agree.
    """

    def __init__(
        self, folder: Path | str, *, cache: Path | None = None, batch_size: int = 16, threads: int | None = None
    ) -> None:
        from tokenizers import Tokenizer

        folder = Path(folder)
        try:
            self.card: dict[str, Any] = json.loads((folder / CARD).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise FileNotFoundError(f"{folder / CARD}: cannot read the answer model's card ({error})") from error
        self.name = str(self.card.get("name", folder.name))
        self.max_length = int(self.card["max_length"])
        location, _ = resolve_model(self.card["base_model"])
        base_folder = Path(location)
        self._tokenizer = Tokenizer.from_file(str(base_folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=self.max_length, strategy="longest_first")
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self._batch_size = batch_size
        self._span: tuple[Any, Any] | None = None
        self._session = cached_session(folder, cache, "answer model", threads)
        self.backend = "onnxruntime" if self._session is not None else "numpy"
        if self._session is None:
            self._load_numpy(folder, base_folder)

    def _load_numpy(self, folder: Path, base_folder: Path) -> None:
        import numpy as np
        from safetensors.numpy import load_file

        from embeddings.numpy_bert import BertShape, NumpyBert, read_config

        base_weights = base_folder / "model.safetensors"
        if not base_weights.is_file():
            raise FileNotFoundError(f"base model {self.card['base_model']!r} is not installed ({base_weights})")
        expected = self.card.get("base_sha256")
        if expected and file_sha256(base_weights) != expected:
            logger.warning("base model %s differs from the one %s was trained on", base_folder, self.name)
        tensors = load_file(str(base_weights))
        head = {}
        for key, value in load_file(str(folder / WEIGHTS)).items():
            if key.startswith("bert."):
                tensors[key.removeprefix("bert.")] = value
            else:
                head[key] = value.astype(np.float32)
        self._bert = NumpyBert(tensors, BertShape.from_config(read_config(base_folder)))
        self._weight = np.ascontiguousarray(head["classifier.weight"][0])
        self._bias = float(head["classifier.bias"][0])
        self._span = (head["span.weight"], head["span.bias"]) if "span.weight" in head else None

    def score_pairs(self, pairs: list[tuple[str, str]]) -> list[float]:
        """Probability for each (first, second) pair, in [0, 1]."""
        return [reading.probability for reading in self.read_pairs(pairs)]

    def read_pairs(self, pairs: list[tuple[str, str]]) -> list[PairReading]:
        """Probability for each (first, second) pair, and where the answer's words are when the model says."""
        import numpy as np

        from embeddings.numpy_bert import batch_arrays

        out: list[PairReading] = []
        for start in range(0, len(pairs), self._batch_size):
            encodings = self._tokenizer.encode_batch(pairs[start : start + self._batch_size])
            ids, types, mask = batch_arrays(encodings)
            spans = None
            if self._session is not None:
                feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
                found = self._session.run(None, feed)
                logits, spans = found[0][:, 0], (found[1] if len(found) > 1 else None)
            else:
                states = self._bert.hidden_states(ids, types, mask)
                logits = self._bert.pooled(states) @ self._weight + self._bias
                if self._span is not None:
                    spans = states @ self._span[0].T + self._span[1]
            probabilities = 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))
            for n, (probability, encoding) in enumerate(zip(probabilities, encodings, strict=True)):
                span, margin = best_span(spans[n], encoding) if spans is not None else (None, 0.0)
                out.append(PairReading(float(probability), span, margin))
        return out
