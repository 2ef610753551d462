"""Train the answer model: MiniLM-L6 (the bundled weights) as a cross-encoder on SQuAD pairs.

    python training/train_answer_model.py --span-weight 1 --deletions --shifts 8000 --curve 6   # or: make train

Reads ../shared/data/squad_v2/squad2-dev24-articles.json and ../shared/data/squad_v1.1/dev-24.json
and, with ``--shifts N``, N questions drawn from ../shared/data/squadshifts (Wikipedia, Reddit, Amazon
reviews; answer_data.shift_articles), keeps three SQuAD 2.0 articles out of training (for
calibration and honest figures), trains one
epoch on CPU and writes qa/models/answer/ (fp16 weights of what training changed, and model.json
with the data, settings, time and held-out figures). With ``--span-weight``, a span head learns
beside the classifier where the answer's words are (start and end over the sentence's word pieces,
[CLS] for "none here"), SQuAD 2.0 style; the reader uses its margin to choose, and the app sets the
words apart.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))

from answer_data import (  # noqa: E402
    Example,
    Pair,
    SentencePool,
    before,
    examples,
    load_articles,
    shift_articles,
    training_pairs,
)
from news_questions import KINDS, news_articles  # noqa: E402
from written_questions import QUESTIONS, written_articles  # noqa: E402

from embeddings import DEFAULT_MODEL  # noqa: E402
from embeddings.pair_classifier import (  # noqa: E402
    CARD,
    FROZEN,
    WEIGHTS,
    add_span_head,
    answer_outputs,
    as_batch,
    base_network,
    encode_pairs,
    file_sha256,
    pair_encodings,
    save_trained,
    trained_network,
)
from qa.answer.pairs import answer_pair  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
SQUAD2 = SHARED / "squad_v2" / "squad2-dev24-articles.json"
SQUAD1 = SHARED / "squad_v1.1" / "dev-24.json"
SHIFTS = [SHARED / "squadshifts" / f for f in ("new_wiki_v1.0.json", "reddit_v1.0.json", "amazon_reviews_v1.0.json")]
REUTERS = SHARED / "reuters21578" / "reuters21578.jsonl"
BBC = SHARED / "bbc_news" / "bbc"
# SQuAD 2.0 articles kept out of training: the reader's threshold is chosen on these.
HELD_OUT = ("1973_oil_crisis", "Harvard_University", "Force")
NAME = "article-qa-answer-minilm-l6"
VERSION = "4"


def batches(pairs: list[Pair], size: int, rng: random.Random) -> list[list[Pair]]:
    """Batches of pairs of similar length (less padding), in random order."""
    ordered = sorted(pairs, key=lambda p: (len(p.question) + len(p.second), rng.random()))
    groups = [ordered[i : i + size] for i in range(0, len(ordered), size)]
    rng.shuffle(groups)
    return groups


def question_batches(pairs: list[Pair], size: int, rng: random.Random) -> list[list[Pair]]:
    """Batches of whole questions (all pairs of a question together, for the listwise loss), questions of
    similar length together, about ``size`` pairs each, in random order."""
    asked: dict[str, list[Pair]] = {}
    for pair in pairs:
        asked.setdefault(pair.question, []).append(pair)
    ordered = sorted(asked.values(), key=lambda g: (max(len(p.question) + len(p.second) for p in g), rng.random()))
    out: list[list[Pair]] = [[]]
    for group in ordered:
        if len(out[-1]) >= size:
            out.append([])
        out[-1].extend(group)
    rng.shuffle(out)
    return [b for b in out if b]


def listwise_loss(logits: object, group: list[Pair]) -> object:
    """Each question's sentences compete in one softmax, beside "none of them" (a fixed logit 0): the
    sentences holding the answer should win it; for an unanswerable question, "none" should. What a
    sentence-at-a-time loss cannot teach: a lead restating the question loses to the sentence that answers.
    """
    import torch

    losses = []
    questions: dict[str, list[int]] = {}
    for index, pair in enumerate(group):
        questions.setdefault(pair.question, []).append(index)
    for members in questions.values():
        scores = torch.cat([logits[members], logits.new_zeros(1)])  # type: ignore[index]
        wanted = [n for n, i in enumerate(members) if group[i].label > 0.5] or [len(members)]
        losses.append(torch.logsumexp(scores, 0) - torch.logsumexp(scores[wanted], 0))
    return torch.stack(losses).mean()


def span_targets(group: list[Pair], encodings: list[object]) -> tuple[list[int], list[int]]:
    """Token positions of each pair's answer (start, end) in its encoding; [CLS] (0) for a negative;
    -100 (not learnt) where the answer is cut off or not in the text as read."""
    starts, ends = [], []
    for pair, encoding in zip(group, encodings, strict=True):
        first = last = None
        if pair.answer and (where := pair.second.find(pair.answer)) >= 0:
            first = encoding.char_to_token(where, 1)  # type: ignore[attr-defined]
            last = encoding.char_to_token(where + len(pair.answer) - 1, 1)  # type: ignore[attr-defined]
        if not pair.label:
            first = last = 0
        starts.append(-100 if first is None or last is None else first)
        ends.append(-100 if first is None or last is None else last)
    return starts, ends


def held_out_figures(
    network: object, tokenizer: object, items: list[Example], max_length: int, context: bool = False
) -> dict[str, float]:
    """On held-out questions over their own paragraph: is the best sentence the answer, and refusal."""
    import torch

    best: list[float] = []
    correct = 0
    answerable = 0
    with torch.inference_mode():
        for item in items:
            pairs = [
                answer_pair(item.question, s, item.title, before(item.sentences, i) if context else None)
                for i, s in enumerate(item.sentences)
            ]
            logits = network(**encode_pairs(tokenizer, pairs, max_length)).logits[:, 0]  # type: ignore[operator]
            probabilities = torch.sigmoid(logits).numpy()
            best.append(float(probabilities.max()))
            if item.gold:
                answerable += 1
                correct += int(int(probabilities.argmax()) in item.gold)
    top = np.array(best)
    is_answerable = np.array([bool(i.gold) for i in items])
    figures = {"answer_sentence": correct / max(answerable, 1), "questions": float(len(items))}
    for budget in (0.05, 0.10):
        threshold = float(np.quantile(top[is_answerable], budget))
        figures[f"refused_unanswerable_at_{int(budget * 100)}pct"] = float((top[~is_answerable] < threshold).mean())
        figures[f"threshold_at_{int(budget * 100)}pct"] = threshold
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--squad2", type=Path, default=SQUAD2)
    parser.add_argument("--squad1", type=Path, default=SQUAD1)
    parser.add_argument("--out", type=Path, default=ROOT / "qa" / "models" / "answer")
    parser.add_argument("--base", default=DEFAULT_MODEL)
    parser.add_argument("--max-length", type=int, default=80)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--negatives", type=int, default=3, help="hard negatives per question from its paragraph")
    parser.add_argument(
        "--deletions",
        action="store_true",
        help="add the answer sentence with the answer cut (negative) and with other words cut (positive)",
    )
    parser.add_argument(
        "--other-articles",
        action="store_true",
        help="add a negative from another article per question (the sentence sharing its rarest words)",
    )
    parser.add_argument("--typed-share", type=float, default=0.0, help="share of questions asked as a person types")
    parser.add_argument(
        "--swaps",
        action="store_true",
        help="add each answerable question asked about another name or year, with its answer sentence, as a negative",
    )
    parser.add_argument(
        "--span-weight",
        type=float,
        default=0.0,
        help="also learn where the answer's words are (a span head), with this weight on its loss; 0: no span head",
    )
    parser.add_argument(
        "--leads",
        action="store_true",
        help="add the article's opening sentence as a negative where it lacks the answer",
    )
    parser.add_argument(
        "--listwise",
        type=float,
        default=0.0,
        help="weight of a loss where each question's sentences compete in one softmax (0: off)",
    )
    parser.add_argument(
        "--context",
        action="store_true",
        help="read each sentence with the one before it (raise --max-length to about 112 to fit it)",
    )
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--freeze-layers", type=int, default=0, help="also freeze the first N encoder layers")
    parser.add_argument("--limit", type=int, help="train on only N pairs (a quick trial)")
    parser.add_argument(
        "--shifts", type=int, default=0, help="SQuADShifts questions to add, drawn at random (0: none; -1: all)"
    )
    parser.add_argument(
        "--curve",
        type=int,
        default=0,
        help="score the held-out questions at N points during training (a learning curve)",
    )
    parser.add_argument(
        "--news",
        type=int,
        default=0,
        help="self-supervised questions over Reuters stories with NEWID <= 11000 to add (training/news_questions.py)",
    )
    parser.add_argument(
        "--news-near-misses",
        type=float,
        default=0.3,
        help="share of the --news questions asked over the story without their answer's sentence (unanswerable)",
    )
    parser.add_argument(
        "--news-leads",
        type=float,
        default=0.0,
        help="share of the --news questions asked about the story's first sentence, where a wire story states "
        "its main figure (balances --leads; 0: a sentence at random)",
    )
    parser.add_argument(
        "--news-kinds",
        nargs="+",
        choices=KINDS,
        default=list(KINDS),
        metavar="KIND",
        help=f"the kinds of --news question to ask (default: all of {', '.join(KINDS)})",
    )
    parser.add_argument(
        "--written",
        action="store_true",
        help=f"add the questions written over BBC stories no test or development set uses ({QUESTIONS.name})",
    )
    parser.add_argument(
        "--resume",
        type=Path,
        help="start from the trained answer model in this folder instead of the base model (continued training)",
    )
    parser.add_argument(
        "--replay",
        type=int,
        default=0,
        help="with --resume: keep only this many of the labelled questions (whole), drawn at random, beside --news",
    )
    parser.add_argument("--check", type=int, default=300, help="held-out questions to score after training (0: all)")
    args = parser.parse_args(argv)
    for path in (args.squad2, args.squad1):
        if not path.is_file():
            print(f"error: {path} not found; the training data lives in ../shared/data", file=sys.stderr)
            return 2

    if args.resume and not ((args.resume / WEIGHTS).is_file() and (args.resume / CARD).is_file()):
        print(f"error: --resume {args.resume}: no trained answer model there ({WEIGHTS} and {CARD})", file=sys.stderr)
        return 2
    import torch

    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    squad2, squad1 = load_articles(args.squad2), load_articles(args.squad1)
    held = set(HELD_OUT)
    seen: set[tuple[str, str]] = set()
    pool = SentencePool(squad2 + squad1) if args.other_articles or args.swaps else None

    def pairs_of(articles: list[dict[str, Any]], titles: set[str] | None = None, **extra: Any) -> list[Pair]:
        """Training pairs for the questions of ``articles`` (those of ``titles``; all by default), SQuAD's,
        SQuADShifts' or Reuters' alike; ``extra``: what not all of them take (typed share, swaps ...)."""
        return training_pairs(
            articles,
            {a["title"] for a in articles} if titles is None else titles,
            args.seed,
            seen=seen,
            paragraph_negatives=args.negatives,
            deletions=args.deletions,
            leads=args.leads,
            context=args.context,
            **extra,
        )

    squad_only = {
        "pool": pool,
        "other_articles": args.other_articles,
        "swaps": args.swaps,
        "typed_share": args.typed_share,
    }
    pairs = [
        pair
        for articles in (squad2, squad1)
        for pair in pairs_of(articles, {a["title"] for a in articles} - held, **squad_only)
    ]

    shifted = 0
    if args.shifts:
        extra = [pair for path in SHIFTS for pair in pairs_of(shift_articles(path), typed_share=args.typed_share)]
        asked = sorted({p.question for p in extra})
        keep = set(asked if args.shifts < 0 else rng.sample(asked, min(args.shifts, len(asked))))
        shifted = len(keep)
        pairs += [p for p in extra if p.question in keep]
    if args.replay:  # continued training: a sample of what the model learnt from, so it does not forget it
        asked = sorted({p.question for p in pairs})
        keep = set(rng.sample(asked, min(args.replay, len(asked))))
        pairs = [p for p in pairs if p.question in keep]
    news = 0
    if args.news:
        if not REUTERS.is_file():
            print(f"error: {REUTERS} not found; --news reads the Reuters stories there", file=sys.stderr)
            return 2
        stories = news_articles(
            REUTERS,
            args.news,
            args.seed,
            near_misses=args.news_near_misses,
            leads=args.news_leads,
            kinds=tuple(args.news_kinds),
        )
        news = len(stories)
        pairs += pairs_of(stories)
    written = 0
    if args.written:
        if not BBC.is_dir():
            print(f"error: {BBC} not found; --written reads the BBC stories there", file=sys.stderr)
            return 2
        stories = written_articles(BBC)
        written = sum(len(p["qas"]) for a in stories for p in a["paragraphs"])
        pairs += pairs_of(stories)
    if args.limit:
        if args.listwise:  # whole questions, so each keeps its competing sentences
            asked = sorted({p.question for p in pairs})
            keep = set(rng.sample(asked, min(len(asked), args.limit * len(asked) // len(pairs))))
            pairs = [p for p in pairs if p.question in keep]
        else:
            pairs = rng.sample(pairs, min(args.limit, len(pairs)))
    positives = sum(p.label for p in pairs)
    questions = len({p.question for p in pairs})
    print(f"{len(pairs)} training pairs, {positives:.0f} positive, from {questions} questions", flush=True)

    network, tokenizer, base_folder = base_network(args.base, threads=args.threads)
    if args.span_weight:
        add_span_head(network)
    if args.resume:
        from safetensors.torch import load_file

        resumed = {k: v.float() for k, v in load_file(str(args.resume / WEIGHTS)).items()}
        if ("span.weight" in resumed) != bool(args.span_weight):
            has = "a" if "span.weight" in resumed else "no"
            print(f"error: {args.resume} has {has} span head; set --span-weight to match", file=sys.stderr)
            return 2
        network.load_state_dict(resumed, strict=False)
    frozen_layers = tuple(f"bert.encoder.layer.{n}." for n in range(args.freeze_layers))
    for name, parameter in network.named_parameters():
        parameter.requires_grad = name not in FROZEN and not name.startswith(frozen_layers)
    trainable = [p for p in network.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=0.01)
    make_batches = question_batches if args.listwise else batches
    groups = [g for _ in range(args.epochs) for g in make_batches(pairs, args.batch_size, rng)]
    warmup = max(1, len(groups) // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (len(groups) - step) / (len(groups) - warmup)))
    )
    loss_function = torch.nn.BCEWithLogitsLoss()
    span_loss = torch.nn.CrossEntropyLoss(ignore_index=-100)
    check = examples(squad2, held)
    if args.check:
        check = rng.sample(check, min(args.check, len(check)))
    curve_at = {round(len(groups) * (n + 1) / args.curve) for n in range(args.curve - 1)} if args.curve else set()
    curve: list[dict[str, float]] = []
    asked_so_far: set[str] = set()
    network.train()
    started = time.perf_counter()
    done = 0
    running = 0.0
    for step, group in enumerate(groups, start=1):
        encodings = pair_encodings(tokenizer, [(p.question, p.second) for p in group], args.max_length)
        batch = as_batch(encodings)
        labels = torch.tensor([p.label for p in group], dtype=torch.float32)
        logits, spans = answer_outputs(network, batch)
        loss = loss_function(logits, labels)
        if args.listwise:
            loss = loss + args.listwise * listwise_loss(logits, group)
        if spans is not None:
            # Only [CLS] (no answer) and the sentence's own tokens can be where the answer is.
            allowed = batch["token_type_ids"].bool() & batch["attention_mask"].bool()
            allowed[:, 0] = True
            spans = spans.masked_fill(~allowed[:, :, None], -1e4)
            starts, ends = (torch.tensor(t, dtype=torch.long) for t in span_targets(group, encodings))
            loss = loss + args.span_weight * (span_loss(spans[:, :, 0], starts) + span_loss(spans[:, :, 1], ends)) / 2
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        done += len(group)
        asked_so_far.update(p.question for p in group)
        if step in curve_at:
            network.eval()
            point = {"pairs": float(done), "questions_seen": float(len(asked_so_far))}
            point |= held_out_figures(network, tokenizer, check, args.max_length, args.context)
            curve.append({k: round(v, 4) for k, v in point.items()})
            print("curve:", json.dumps(curve[-1]), flush=True)
            network.train()
        value = float(loss.detach())
        running = 0.98 * running + 0.02 * value if step > 1 else value
        if step % 50 == 0 or step == len(groups):
            elapsed = time.perf_counter() - started
            print(
                f"step {step}/{len(groups)}  loss {running:.4f}  {done / elapsed:.1f} pairs/s  {elapsed / 60:.1f} min",
                flush=True,
            )
    train_seconds = time.perf_counter() - started
    network.eval()

    figures = held_out_figures(network, tokenizer, check, args.max_length, args.context)
    if args.curve:
        seen = {"pairs": float(done), "questions_seen": float(len(asked_so_far))}
        curve.append(seen | {k: round(v, 4) for k, v in figures.items()})
    print(json.dumps(figures, indent=2), flush=True)
    card = {
        "name": NAME,
        "version": VERSION,
        "base_model": args.base,
        "base_sha256": file_sha256(base_folder / "model.safetensors"),
        "max_length": args.max_length,
        **({"context": "previous"} if args.context else {}),
        "input": (
            "question [SEP] sentence | headline"
            + (" || the sentence before" if args.context else "")
            + " (qa/answer/pairs.py)"
            + ("; a span head points to the answer's words" if args.span_weight else "")
        ),
        "training_data": {
            "squad_v2": f"{args.squad2.name}: {len(squad2) - len(held)} of {len(squad2)} articles",
            "squad_v1.1": f"{args.squad1.name}: {len(squad1) - len(held)} of {len(squad1)} articles",
            "held_out_articles": list(HELD_OUT),
            "squadshifts_questions": shifted,
            **(
                {
                    "reuters_questions": news,
                    "reuters_near_miss_share": args.news_near_misses,
                    "reuters_lead_share": args.news_leads,
                    "reuters_question_kinds": args.news_kinds,
                    "reuters_newid_at_most": 11000,
                }
                if news
                else {}
            ),
            **({"bbc_written_questions": f"{QUESTIONS.name}: {written}"} if written else {}),
            **({"replayed_questions": args.replay} if args.resume else {}),
            "pairs": len(pairs),
            "positive_pairs": int(positives),
            "questions": questions,
        },
        "training": {
            "epochs": args.epochs,
            "paragraph_negatives": args.negatives,
            "deletion_pairs": args.deletions,
            "other_article_negatives": args.other_articles,
            "typed_share": args.typed_share,
            "name_swaps": args.swaps,
            "lead_negatives": args.leads,
            "listwise_weight": args.listwise,
            "span_weight": args.span_weight,
            "batch_size": args.batch_size,
            "lr": args.lr,
            "seed": args.seed,
            "frozen": list(FROZEN) + [f"{p}*" for p in frozen_layers],
            "seconds": round(train_seconds, 1),
            "torch": torch.__version__,
        },
        "held_out": {k: round(v, 4) for k, v in figures.items()},
    }
    if args.resume:  # what the model had learnt before this run
        earlier = json.loads((args.resume / CARD).read_text(encoding="utf-8"))
        card["continued_from"] = {
            k: earlier[k] for k in ("name", "version", "training_data", "training", "held_out") if k in earlier
        }
    if curve:
        # Scored during one run whose learning rate decays to 0 at the end: a point is the model after
        # that many questions, not a model trained to the end on that many.
        card["learning_curve"] = curve
    path = save_trained(network, args.out, card)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) in {train_seconds / 60:.1f} min of training")
    # The shipped fp16 weights, loaded as the app loads them, must score as the fp32 network did.
    shipped = trained_network(args.out)
    card["held_out_fp16"] = {
        k: round(v, 4) for k, v in held_out_figures(shipped, tokenizer, check, args.max_length, args.context).items()
    }
    save_trained(network, args.out, card)
    print("fp16 as shipped:", json.dumps(card["held_out_fp16"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
