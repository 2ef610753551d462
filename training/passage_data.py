"""Training examples for the passage reader: a question and a whole passage, with the answer's span or none.

The reader learns SQuAD 2.0's layout: start and end logits over the passage's word pieces, and
[CLS] for "the passage does not say". Three kinds of example come from each answerable question:

* its own paragraph, answer marked (SQuAD v1.1, SQuAD 2.0 and SQuADShifts);
* the same paragraph with the answer's sentence cut out, marked "none": the rest still restates the
  question (the lead of a news story does), so the reader learns to look for the fact itself;
* the article's other paragraph that shares most words with the question, marked "none": what
  retrieval brings when the collection holds the story but not the fact.

SQuAD 2.0's unanswerable questions over their own paragraph are marked "none" too.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from answer_data import _words  # the same content words the answer model's pairs are chosen by

from qa.language.sentences import split_sentences


@dataclass(frozen=True)
class PassageExample:
    """``answer_start`` is a character offset into ``passage``; None for "the passage does not say"."""

    question: str
    passage: str
    answer_start: int | None = None
    answer: str = ""
    kind: str = "own"


def _cut_sentence(context: str, start: int, end: int) -> str | None:
    """``context`` without the sentence(s) holding ``context[start:end]``; None when nothing would remain."""
    spans = [(a, b) for a, b in split_sentences(context) if not (b <= start or a >= end)]
    if not spans:
        return None
    rest = (context[: spans[0][0]] + " " + context[spans[-1][1] :]).strip()
    return " ".join(rest.split()) if len(rest.split()) >= 8 else None


def passage_examples(
    articles: list[dict[str, Any]],
    *,
    skip_titles: frozenset[str] = frozenset(),
    only_titles: frozenset[str] | None = None,
    cut_negatives: bool = True,
    other_negatives: bool = True,
    rng: random.Random | None = None,
) -> list[PassageExample]:
    """Every question of ``articles`` (less ``skip_titles``; only ``only_titles`` when given) as examples."""
    rng = rng or random.Random(0)
    out: list[PassageExample] = []
    for article in articles:
        title = str(article.get("title", ""))
        if title in skip_titles or (only_titles is not None and title not in only_titles):
            continue
        contexts = [str(p["context"]) for p in article["paragraphs"]]
        for number, paragraph in enumerate(article["paragraphs"]):
            context = contexts[number]
            for qa in paragraph["qas"]:
                question = " ".join(str(qa["question"]).split())
                if not question:
                    continue
                answers = [] if qa.get("is_impossible") else list(qa.get("answers", []))
                if not answers:
                    out.append(PassageExample(question, context, kind="unanswerable"))
                    continue
                first = answers[0]
                start, text = int(first["answer_start"]), str(first["text"])
                if context[start : start + len(text)] != text:
                    continue
                out.append(PassageExample(question, context, start, text))
                rest = _cut_sentence(context, start, start + len(text)) if cut_negatives else None
                if rest is not None and text not in rest:
                    out.append(PassageExample(question, rest, kind="cut"))
                if other_negatives and len(contexts) > 1:
                    words = _words(question)
                    # At most 64 others (a file may hold one "article" of thousands of posts).
                    pool = range(len(contexts)) if len(contexts) <= 65 else rng.sample(range(len(contexts)), 65)
                    others = [i for i in pool if i != number and text not in contexts[i]][:64]
                    if others:
                        best = max(others, key=lambda i: (len(words & _words(contexts[i])), rng.random()))
                        out.append(PassageExample(question, contexts[best], kind="other"))
    return out


def titles_of(articles: list[dict[str, Any]]) -> list[str]:
    return [str(a.get("title", "")) for a in articles]
