"""Train the passage reader: MiniLM-L6 (the bundled weights) in the standard extractive-QA layout.

    python training/train_passage_reader.py --shifts 4000 --limit 16000 --out build/passage-v1
    python training/train_passage_reader.py --shifts 4000 --skip 16000 --resume build/passage-v1
                                                 # v2, in qa/models/passage (make train-passage)

The network is ``BertForQuestionAnswering``: the question and a whole passage in, start and end
logits over the passage's word pieces out, [CLS] for "the passage does not say" (SQuAD 2.0's rule).
Examples come from training/passage_data.py: SQuAD v1.1 dev-24 and the SQuAD 2.0 file (less the
three articles the threshold is chosen on) and ``--shifts`` questions of SQuADShifts (Wikipedia,
Reddit, Amazon reviews, less the held-out articles), each with its cut and other-paragraph negatives.
One epoch on CPU (``--resume`` continues a trained reader, ``--skip`` leaves out the examples it saw);
writes the trained tensors in fp16 (the word embeddings stay the base model's)
and model.json with the data, settings and time.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))

from answer_data import load_articles  # noqa: E402
from passage_data import PassageExample, passage_examples  # noqa: E402

from embeddings import DEFAULT_MODEL  # noqa: E402
from embeddings.pair_classifier import FROZEN, file_sha256, save_trained  # noqa: E402
from embeddings.span_reader import base_qa_network, load_trained  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
SQUAD2 = SHARED / "squad_v2" / "squad2-dev24-articles.json"
SQUAD1 = SHARED / "squad_v1.1" / "dev-24.json"
SHIFTS = [SHARED / "squadshifts" / f for f in ("new_wiki_v1.0.json", "reddit_v1.0.json", "amazon_reviews_v1.0.json")]
HELD_OUT = frozenset({"1973_oil_crisis", "Harvard_University", "Force"})
NAME = "article-qa-passage-minilm-l6"
VERSION = "1"


def features(tokenizer: Any, group: list[PassageExample], max_length: int, stride: int) -> dict[str, Any]:
    """Token windows of (question, passage) with the answer's start and end token, or [CLS] (0) where the
    window does not hold it (or there is none)."""
    import torch

    encoded = tokenizer(
        [e.question for e in group],
        [e.passage for e in group],
        truncation="only_second",
        max_length=max_length,
        stride=stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
        padding="longest",
        return_tensors="pt",
    )
    starts, ends = [], []
    for window, offsets in enumerate(encoded["offset_mapping"].tolist()):
        example = group[int(encoded["overflow_to_sample_mapping"][window])]
        first = last = 0
        if example.answer_start is not None:
            begin, finish = example.answer_start, example.answer_start + len(example.answer)
            sequence = encoded.sequence_ids(window)
            tokens = [i for i, s in enumerate(sequence) if s == 1]
            if tokens and offsets[tokens[0]][0] <= begin and offsets[tokens[-1]][1] >= finish:
                first = next(i for i in tokens if offsets[i][1] > begin)
                last = next(i for i in reversed(tokens) if offsets[i][0] < finish)
        starts.append(first)
        ends.append(last)
    return {
        "input_ids": encoded["input_ids"],
        "token_type_ids": encoded["token_type_ids"],
        "attention_mask": encoded["attention_mask"],
        "start_positions": torch.tensor(starts),
        "end_positions": torch.tensor(ends),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "qa" / "models" / "passage")
    parser.add_argument("--base", default=DEFAULT_MODEL)
    parser.add_argument("--shifts", type=int, default=6000, help="SQuADShifts questions to add (0: none; -1: all)")
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--stride", type=int, default=96)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=6e-5)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="train on this many examples only (for a quick try)")
    parser.add_argument("--skip", type=int, default=0, help="leave out the first N examples (seen by --resume's run)")
    parser.add_argument(
        "--more-shifts",
        type=int,
        default=0,
        help="train only on this many SQuADShifts questions that --shifts' sample left out (with --resume)",
    )
    parser.add_argument("--resume", type=Path, help="start from this trained passage reader instead of the base model")
    args = parser.parse_args(argv)

    import torch

    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    squad = passage_examples(load_articles(SQUAD1), skip_titles=HELD_OUT, rng=rng)
    squad += passage_examples(load_articles(SQUAD2), skip_titles=HELD_OUT, rng=rng)
    shifted: list[PassageExample] = []
    if args.shifts:
        for path in SHIFTS:
            shifted += passage_examples(load_articles(path), rng=rng)
        own = [e for e in shifted if e.kind == "own"]
        keep = own if args.shifts < 0 else rng.sample(own, min(args.shifts, len(own)))
        if args.more_shifts:
            # Only questions the --shifts sample left out, and no SQuAD: data a resumed reader has not seen.
            taken = {id(e) for e in keep}
            rest = [e for e in own if id(e) not in taken]
            keep = random.Random(args.seed + 1).sample(rest, min(args.more_shifts, len(rest)))
            squad = []
        kept = {(e.question, e.passage[:200]) for e in keep}
        questions = {e.question for e in keep}
        # The kept questions with their negatives (a negative shares its question, not its passage).
        shifted = [
            e for e in shifted if e.question in questions and (e.kind != "own" or (e.question, e.passage[:200]) in kept)
        ]
    data = squad + shifted
    rng.shuffle(data)
    data = data[args.skip : args.limit or None]
    kinds = {k: sum(e.kind == k for e in data) for k in ("own", "cut", "other", "unanswerable")}
    print(f"{len(data)} examples: {kinds}", flush=True)

    network, tokenizer, folder = base_qa_network(args.base, threads=args.threads)
    earlier: dict[str, Any] = load_trained(network, args.resume) if args.resume else {}
    for name, parameter in network.named_parameters():
        parameter.requires_grad = name not in FROZEN
    trainable = [p for p in network.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=0.01)
    ordered = sorted(data, key=lambda e: (len(e.question) + len(e.passage), rng.random()))
    groups = [ordered[i : i + args.batch_size] for i in range(0, len(ordered), args.batch_size)]
    rng.shuffle(groups)
    warmup = max(1, len(groups) // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (len(groups) - step) / (len(groups) - warmup)))
    )
    network.train()
    started, done, running = time.perf_counter(), 0, 0.0
    for step, group in enumerate(groups, start=1):
        loss = network(**features(tokenizer, group, args.max_length, args.stride)).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        done += len(group)
        running = 0.98 * running + 0.02 * float(loss.detach()) if step > 1 else float(loss.detach())
        if step % 50 == 0 or step == len(groups):
            elapsed = time.perf_counter() - started
            rate, minutes = done / elapsed, elapsed / 60
            print(f"step {step}/{len(groups)}  loss {running:.4f}  {rate:.1f} ex/s  {minutes:.1f} min", flush=True)
    seconds = time.perf_counter() - started
    card = {
        "name": NAME,
        "version": str(int(earlier["version"]) + 1) if earlier else VERSION,
        "base_model": args.base,
        "base_sha256": file_sha256(folder / "model.safetensors"),
        "max_length": 384,
        "input": "question [SEP] passage; start and end logits over the passage, [CLS] for none (SQuAD 2.0)",
        "training_data": {
            "squad_v1.1": "dev-24.json: 21 of 24 articles",
            "squad_v2": "squad2-dev24-articles.json: 7 of 10 articles",
            "squadshifts": f"{args.shifts if args.shifts >= 0 else 'all'} questions: new_wiki, reddit, amazon_reviews"
            + (f"; this run only {args.more_shifts} others of them, no SQuAD" if args.more_shifts else ""),
            "held_out_articles": sorted(HELD_OUT),
            "examples": kinds,
            "examples_before": earlier.get("training_data", {}).get("examples"),
        },
        "training": {
            "epochs": 1,
            "limit": args.limit or None,
            "skip": args.skip or None,
            "resumed_from": earlier.get("training"),
            "max_length": args.max_length,
            "stride": args.stride,
            "batch_size": args.batch_size,
            "lr": args.lr,
            "seed": args.seed,
            "frozen": list(FROZEN),
            "seconds": round(seconds, 1),
            "torch": torch.__version__,
        },
    }
    network.eval()
    save_trained(network, args.out, card)
    print(json.dumps(card["training"]), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
