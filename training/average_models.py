"""Average two answer models' weights: a model and its continuation, or two runs from the same base model.

    python training/average_models.py FIRST SECOND --share 0.5 --out DIR

Continued training on one kind of question (``train_answer_model.py --resume --news``) gains on it
and loses some of what the first model did well. Averaging the weights of the model before and
after (weight-space ensembling, as WiSE-FT does for fine-tuned models) keeps one model of the same
size and cost that often keeps both; two models trained apart from the same base average too (a
"model soup"; docs/answer-model.md measures both). Both must share a base model and shape.
``--share`` is the second model's weight. The card is the second's,
with the average recorded; calibrate the result afterwards (``calibrate_answer_model.py --model DIR``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from embeddings.pair_classifier import CARD, WEIGHTS  # noqa: E402


def average(first: Path, second: Path, share: float, out: Path, version: str | None = None) -> dict[str, object]:
    """Write ``(1 - share) * first + share * second`` to ``out`` (fp16, as trained models are kept); its card."""
    from safetensors.numpy import load_file, save_file

    cards = [json.loads((folder / CARD).read_text(encoding="utf-8")) for folder in (first, second)]
    if cards[0].get("base_model") != cards[1].get("base_model"):
        raise ValueError(f"{first} and {second} have different base models; only models from one base model average")
    a, b = load_file(str(first / WEIGHTS)), load_file(str(second / WEIGHTS))
    if a.keys() != b.keys() or any(a[k].shape != b[k].shape for k in a):
        raise ValueError(f"{first} and {second} hold different tensors; only models from one base model average")
    mixed = {k: ((1 - share) * a[k].astype("float32") + share * b[k].astype("float32")).astype("float16") for k in a}
    out.mkdir(parents=True, exist_ok=True)
    save_file(mixed, str(out / WEIGHTS))
    card = {k: v for k, v in cards[1].items() if k not in ("selection", "calibration")}
    card["version"] = version or cards[1].get("version")
    card["averaged"] = {
        "share_of_second": share,
        "first": {k: cards[0].get(k) for k in ("name", "version", "training_data")},
        "second": {k: cards[1].get(k) for k in ("name", "version", "training_data")},
    }
    (out / CARD).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return card


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("first", type=Path, help="a trained answer model (e.g. the one continued from)")
    parser.add_argument("second", type=Path, help="another from the same base (e.g. the continued one)")
    parser.add_argument("--share", type=float, default=0.5, help="the second model's weight, 0 to 1")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--version", help="the averaged model's version in its card (default: the second's)")
    args = parser.parse_args(argv)
    if not 0.0 <= args.share <= 1.0:
        print(f"error: --share {args.share}: give a weight from 0 to 1", file=sys.stderr)
        return 2
    for folder in (args.first, args.second):
        if not (folder / WEIGHTS).is_file() or not (folder / CARD).is_file():
            print(f"error: {folder} holds no trained answer model ({WEIGHTS} and {CARD})", file=sys.stderr)
            return 2
    try:
        average(args.first, args.second, args.share, args.out, args.version)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {args.out / WEIGHTS}: {1 - args.share:g} x {args.first} + {args.share:g} x {args.second}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
