"""A cross-encoder that reads two texts together and gives the probability that they match.

The answer model is stored as the tensors training changed, in fp16, on top of a base model
that is already installed (by default the bundled all-MiniLM-L6-v2): the word-piece embeddings
were frozen in training, so they come from the base and the shipped file stays small.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from embeddings.sentence_transformer import resolve_model

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


def encode_pairs(tokenizer: Any, pairs: list[tuple[str, str]], max_length: int) -> dict[str, Any]:
    """Token ids of (first, second) pairs, padded to the longest; the second text is cut first."""
    import torch

    tokenizer.enable_truncation(max_length=max_length, strategy="only_second")
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    encoded = tokenizer.encode_batch(pairs)
    return {
        "input_ids": torch.tensor([e.ids for e in encoded], dtype=torch.long),
        "token_type_ids": torch.tensor([e.type_ids for e in encoded], dtype=torch.long),
        "attention_mask": torch.tensor([e.attention_mask for e in encoded], dtype=torch.long),
    }


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


class PairClassifier:
    """Probability that the second text of each pair answers the first, from a trained folder."""

    def __init__(self, folder: Path | str, *, threads: int | None = None, batch_size: int = 16) -> None:
        import torch
        from safetensors.torch import load_file

        folder = Path(folder)
        try:
            self.card: dict[str, Any] = json.loads((folder / CARD).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise FileNotFoundError(f"{folder / CARD}: cannot read the answer model's card ({error})") from error
        self.name = str(self.card.get("name", folder.name))
        self.max_length = int(self.card["max_length"])
        network, self._tokenizer, base_folder = base_network(self.card["base_model"])
        expected = self.card.get("base_sha256")
        if expected and file_sha256(base_folder / "model.safetensors") != expected:
            logger.warning("base model %s differs from the one %s was trained on", base_folder, self.name)
        trained = load_file(str(folder / WEIGHTS))
        network.load_state_dict({k: v.float() for k, v in trained.items()}, strict=False)
        self.network = network.eval()
        # A batch of eight pairs is worth two threads (measured: 59 ms against 111 ms with one on
        # this project's 2-core machine); more gain little for so small a batch.
        self._threads = threads or min(4, os.cpu_count() or 1)
        self._batch_size = batch_size
        self._torch = torch

    def score_pairs(self, pairs: list[tuple[str, str]]) -> list[float]:
        """Probability for each (first, second) pair, in [0, 1]."""
        if not pairs:
            return []
        torch = self._torch
        before = torch.get_num_threads()
        torch.set_num_threads(self._threads)
        try:
            out: list[float] = []
            with torch.inference_mode():
                for start in range(0, len(pairs), self._batch_size):
                    batch = encode_pairs(self._tokenizer, pairs[start : start + self._batch_size], self.max_length)
                    logits = self.network(**batch).logits[:, 0]
                    out.extend(torch.sigmoid(logits).tolist())
            return out
        finally:
            torch.set_num_threads(before)
