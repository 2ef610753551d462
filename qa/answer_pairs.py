"""What the answer model reads: the question, and a candidate sentence with its headline for context.

Training (training/train_answer_model.py) and answering build the model's input here, so the two
cannot drift apart.
"""

from __future__ import annotations


def sentence_input(sentence: str, title: str) -> str:
    """The second text of a pair: the sentence, then its headline (cut first when too long)."""
    title = " ".join(title.replace("_", " ").split())
    return f"{sentence} | {title}" if title else sentence


def answer_pair(question: str, sentence: str, title: str) -> tuple[str, str]:
    return (" ".join(question.split()), sentence_input(" ".join(sentence.split()), title))
