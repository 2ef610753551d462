"""Questions written over BBC stories for training, as SQuAD-shaped articles for the answer model.

Every labelled question the answer model learnt from before was about Wikipedia, Reddit posts or
product reviews; the Reuters questions of ``news_questions`` are about news but written by rule.
``training/data/bbc_training_questions.json`` holds questions written by helper sessions over BBC
stories that no test or development set asks of (nor near-duplicates of those): per story one
answered in its first sentence and two later (typed, as a person types into a search box, and
well-formed), and one near miss, a question about the story whose fact it does not state. The
stories themselves are read from ``../shared/data/bbc_news/bbc`` at training time; only the
questions and their short answer strings are in the repository.

Each story is one paragraph (its body, headline apart), so every sentence of the story can be a
negative for each of its questions, as retrieval offers them; a "later" answer is marked where it
occurs after the first sentence, so a name repeated from the lead is not credited to the lead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qa.language.sentences import split_sentences
from qa.sources.text import decode_bytes

QUESTIONS = Path(__file__).resolve().parent / "data" / "bbc_training_questions.json"


def headline_and_body(text: str) -> tuple[str, str]:
    headline, _, body = text.strip().partition("\n")
    return headline.strip(), " ".join(body.split())


def _answer_start(body: str, answer: str, later: bool) -> int:
    """Where ``answer`` is marked: past the first sentence for a "later" question where it occurs there."""
    if later:
        spans = split_sentences(body)
        past = spans[0][1] if spans else 0
        if (found := body.find(answer, past)) >= 0:
            return found
    return body.find(answer)


def written_articles(bbc: Path, path: Path = QUESTIONS) -> list[dict[str, Any]]:
    """The questions of ``path`` over the stories under ``bbc``, one SQuAD-shaped article a story.

    Raises ``ValueError`` naming the question where an answer is not in its story (the file and the
    corpus disagree) and ``FileNotFoundError`` naming the story where it is missing.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    by_story: dict[str, list[dict[str, Any]]] = {}
    for item in data["questions"] + data["unanswerable"]:
        by_story.setdefault(str(item["article"]), []).append(item)
    articles = []
    for name, items in sorted(by_story.items()):
        story = bbc / name
        if not story.is_file():
            raise FileNotFoundError(f"{path.name}: story {story} not found; is ../shared/data/bbc_news there?")
        headline, body = headline_and_body(decode_bytes(story.read_bytes()) or "")
        qas = []
        for item in items:
            answers = [" ".join(str(a).split()) for a in item.get("answers", [])]
            if not answers:
                qas.append({"question": item["question"], "answers": [], "is_impossible": True})
                continue
            marked = []
            for answer in answers:
                start = _answer_start(body, answer, item.get("kind") == "later")
                if start < 0:
                    raise ValueError(f"{path.name}: answer {answer!r} of {item['question']!r} is not in {name}")
                marked.append({"text": answer, "answer_start": start})
            qas.append({"question": item["question"], "answers": marked})
        articles.append({"title": f"bbc/{name}", "headline": headline, "paragraphs": [{"context": body, "qas": qas}]})
    return articles
