"""What the answer model reads: the question, and a candidate sentence with its headline for context.

Training (training/train_answer_model.py) and answering build the model's input here, so the two
cannot drift apart.
"""

from __future__ import annotations

import re

# A wire dateline opening a story's first sentence: "BRUSSELS —", "ALDBORG, March 12, 2026 (Wire) —".
# It says where the story was filed, not what happened, and the model was trained without them.
_DATELINE = re.compile(r"^[A-Z][A-Z .'-]{1,40}(?:,[^—–\n]{0,60})?\s[—–]\s*")


def sentence_input(sentence: str, title: str) -> str:
    """The second text of a pair: the sentence, then its headline (cut first when too long)."""
    title = " ".join(title.replace("_", " ").split())
    sentence = _DATELINE.sub("", sentence, count=1)
    return f"{sentence} | {title}" if title else sentence


def answer_pair(question: str, sentence: str, title: str) -> tuple[str, str]:
    return (" ".join(question.split()), sentence_input(" ".join(sentence.split()), title))
