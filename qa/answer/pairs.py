"""What the answer model reads: the question, and a candidate sentence with its headline for context.

Training (training/train_answer_model.py) and answering build the model's input here, so the two
cannot drift apart. A model whose card says ``"context": "previous"`` (the v5 trial) also reads the
sentence before the candidate, after the headline: "Dr Maleeha Lodhi said ..." answers *who is
Pakistan's high commissioner* only beside "... Pakistan's High Commissioner to Britain said ...".
"""

from __future__ import annotations

import re

# A wire dateline opening a story's first sentence: "BRUSSELS —", "ALDBORG, March 12, 2026 (Wire) —".
# It says where the story was filed, not what happened, and the model was trained without them.
_DATELINE = re.compile(r"^[A-Z][A-Z .'-]{1,40}(?:,[^—–\n]{0,60})?\s[—–]\s*")
# Between the headline and the sentence before: the input is cut from its end, so the sentence
# before goes first when a pair is too long.
BEFORE = " || "


def sentence_input(sentence: str, title: str, before: str | None = None) -> str:
    """The second text of a pair: the sentence, its headline, and (``before`` not None) the sentence
    before it, "" where the candidate opens its passage."""
    title = " ".join(title.replace("_", " ").split())
    sentence = _DATELINE.sub("", sentence, count=1)
    text = f"{sentence} | {title}" if title else sentence
    if before is None:
        return text
    return f"{text}{BEFORE}{_DATELINE.sub('', ' '.join(before.split()), count=1)}".rstrip()


def answer_pair(question: str, sentence: str, title: str, before: str | None = None) -> tuple[str, str]:
    return (" ".join(question.split()), sentence_input(" ".join(sentence.split()), title, before))
