"""Self-supervised questions over Reuters newswire, as SQuAD-shaped articles for the answer model.

Issue 21's typed misses are news leads that restate the question and beat the later sentence
holding the figure, date or name asked for; the labelled data has no news at all. Here a figure,
date or name of one sentence of a Reuters story (NEWID <= 11000 only: the rest is kept for
measuring) becomes the answer of a question typed from that sentence's rarer words, the way people
type over news ("how many bags arrivals week ended february 22"). The answer's words occur in no
other sentence of the story, so the lead and the other sentences are clean negatives under the
usual rules of ``answer_data.training_pairs``. A share of the questions is asked again over the
story without that sentence, as an unanswerable near miss: the story is about the subject, the
fact asked for is not there.

The questions are crude by design (word lists, not grammar); what they teach is where the fact
is, not how questions read. Nothing here is copied into the repository: the articles are read from
``../shared/data/reuters21578`` at training time.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections import Counter
from pathlib import Path
from typing import Any

from qa.language.sentences import split_sentences

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*|\d[\d,.]*\d|\d")
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_NUMBER = r"\d[\d,]*(?:\.\d+)?(?:\s+(?:mln|billion|bln|trillion))?"
_CURRENCY = r"(?:dlrs|dollars|yen|marks|francs|stg|pounds sterling|lire|guilders|pesos|cts|cents|crowns|rand|ecus)"
_COUNTED = (
    "tonnes tons barrels bags shares ounces bushels acres workers employees jobs vehicles cars units stores "
    "banks ships bales hectares points contracts members people rigs wells plants offices branches aircraft"
)
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("how much", re.compile(rf"\b{_NUMBER}\s+(?:{_CURRENCY})\b")),
    ("how much", re.compile(rf"\b{_NUMBER}\s*(?:pct|percent|per cent)\b")),
    ("how many", re.compile(rf"\b{_NUMBER}\s+(?P<unit>{'|'.join(_COUNTED.split())})\b")),
    ("when", re.compile(rf"\b{_MONTH}(?:\s+\d{{1,2}})?(?:,?\s+19\d\d)?\b")),
]
_COMPANY = re.compile(
    r"\b(?:[A-Z][\w&'-]*\s+){0,3}(?:Inc|Co|Corp|Corporation|Ltd|Plc|PLC|Group|AG|SA|NV|Bank|Bancorp|Holdings)\b"
)
_PERSON = re.compile(
    r"\b(?:chairman|president|spokesman|spokeswoman|minister|secretary|governor|analyst|director|economist)"
    r",?\s+(?P<name>[A-Z][a-z]+(?:\s+[A-Z]\.)?(?:\s+[A-Z][a-z]+){1,2})\b"
)
# Little words a person leaves out when typing, and words that say nothing of the fact.
_STOP = frozenset(
    """
the a an of in on at to for from by with and or is are was were be been it its as than into has have had not
that this these those which who said says will would could should may might also but he she they their there
about after before over under up down per last this year years week month new other some such more most
    """.split()  # noqa: SIM905
)


def _sentences(text: str) -> list[tuple[int, str]]:
    """(paragraph number, sentence) for every sentence of a Reuters text, paragraphs split at blank lines."""
    out = []
    for number, paragraph in enumerate(p for p in re.split(r"\n\s*\n", text) if p.strip()):
        paragraph = " ".join(paragraph.split())
        out += [(number, paragraph[a:b]) for a, b in split_sentences(paragraph)]
    return out


KINDS = ("how much", "how many", "when", "who", "which company")


def _answer_in(sentence: str, rng: random.Random, kinds: tuple[str, ...] = KINDS) -> tuple[str, int, int] | None:
    """(wh-words, start, end) of one figure, date or name the sentence states, of one of ``kinds``, or None."""
    found: list[tuple[str, int, int]] = []
    for wh, pattern in _PATTERNS:
        for match in pattern.finditer(sentence):
            asked = f"how many {match.group('unit')}" if "unit" in pattern.groupindex else wh
            if asked == "how many" or match.start() == 0:
                continue
            start = match.start()
            end = match.end() if "unit" not in pattern.groupindex else match.start("unit") - 1
            found.append((asked, start, end))
    for match in _PERSON.finditer(sentence):
        found.append(("who", match.start("name"), match.end("name")))
    for match in _COMPANY.finditer(sentence):
        if match.start() > 0 and match.group().split()[0] not in {"Co", "Inc", "Corp", "Ltd", "Plc", "Group"}:
            found.append(("which company", match.start(), match.end()))
    found = [f for f in found if f[0].startswith(kinds)]
    return rng.choice(found) if found else None


def _typed_question(
    wh: str, sentence: str, start: int, end: int, headline: str, rarity: dict[str, float], rng: random.Random
) -> str:
    """``wh``, one or two words of the headline (the story's subject) and one to three of the sentence's
    rarer words outside the answer (what is asked of it), the way a person types over news."""

    def content(text: str) -> list[str]:
        return [
            w
            for m in _WORD.finditer(text)
            if (w := m.group().casefold()) not in _STOP and w.isalpha() and len(w) > 2 and w in rarity
        ]

    subject = sorted(dict.fromkeys(content(re.sub(r"<[^>]*>", " ", headline))), key=lambda w: -rarity[w])
    words = content(sentence[:start] + " " + sentence[end:])
    others = sorted(dict.fromkeys(w for w in words if w not in subject), key=lambda w: -rarity[w])
    fact = set(others[: rng.randint(1, 3)])
    chosen = subject[: rng.randint(1, 2)] + [w for w in dict.fromkeys(words) if w in fact]
    return " ".join([wh, *chosen])


def _article(key: str, headline: str, sentences: list[tuple[int, str]], qas: dict[int, list[Any]]) -> dict[str, Any]:
    """A SQuAD-shaped article; ``qas`` maps a sentence's index to the questions answered in it (start, question)."""
    paragraphs: list[dict[str, Any]] = []
    last = None
    for index, (number, sentence) in enumerate(sentences):
        if number != last:
            paragraphs.append({"context": "", "qas": []})
            last = number
        paragraph = paragraphs[-1]
        offset = len(paragraph["context"]) + (1 if paragraph["context"] else 0)
        paragraph["context"] = f"{paragraph['context']} {sentence}" if paragraph["context"] else sentence
        for start, question, answer in qas.get(index, []):
            if answer is None:
                paragraph["qas"].append({"question": question, "answers": [], "is_impossible": True})
            else:
                paragraph["qas"].append(
                    {"question": question, "answers": [{"text": answer, "answer_start": offset + start}]}
                )
    return {"title": key, "headline": headline, "paragraphs": [p for p in paragraphs if p["context"]]}


def news_articles(
    path: Path,
    count: int,
    seed: int,
    *,
    near_misses: float = 0.3,
    leads: float = 0.0,
    kinds: tuple[str, ...] = KINDS,
    last_newid: int = 11000,
) -> list[dict[str, Any]]:
    """``count`` questions over Reuters stories with NEWID <= ``last_newid``, as SQuAD-shaped articles.

    One question a story at most. ``near_misses`` of them are asked over the story with the answer's
    sentence taken out (unanswerable; the title gains "/without" so both can be trained on). ``leads``
    of the stories are asked about their first sentence, where a wire story states its main figure
    (drawn at random, 30 % of the Reuters answers already lie there); 0 draws exactly as before.
    ``kinds`` are the questions' wh-words that may be asked (``KINDS``, all of them, by default).
    """
    rng = random.Random(seed)
    stories = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if int(str(row["id"]).rsplit("-", 1)[1]) <= last_newid and row.get("text"):
                stories.append(row)
    documents = Counter(w for row in stories for w in {m.casefold() for m in _WORD.findall(row["text"])})
    rarity = {w: math.log(len(stories) / n) for w, n in documents.items() if n >= 3}  # rarer: typos, codes
    rng.shuffle(stories)
    out: list[dict[str, Any]] = []
    for row in stories:
        if len(out) >= count:
            break
        sentences = _sentences(row["text"])
        if len(sentences) < 3:
            continue
        index = 0 if leads and rng.random() < leads else rng.randrange(len(sentences))
        sentence = sentences[index][1]
        if len(sentence.split()) < 8:
            continue
        found = _answer_in(sentence, rng, kinds)
        if found is None:
            continue
        wh, start, end = found
        answer = sentence[start:end]
        if any(answer in s for n, (_, s) in enumerate(sentences) if n != index) or answer in row["title"]:
            continue  # stated elsewhere: the other sentences would not be clean negatives
        question = _typed_question(wh, sentence, start, end, str(row["title"]), rarity, rng)
        key, headline = str(row["id"]), str(row["title"])
        if rng.random() < near_misses:
            rest = sentences[:index] + sentences[index + 1 :]
            out.append(_article(f"{key}/without", headline, rest, {0: [(0, question, None)]}))
        else:
            out.append(_article(key, headline, sentences, {index: [(start, question, answer)]}))
    return out


if __name__ == "__main__":  # a look at what it makes
    import sys

    shared = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "reuters21578" / "reuters21578.jsonl"
    for article in news_articles(shared, int(sys.argv[1]) if len(sys.argv) > 1 else 20, 13):
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                shown = qa["answers"][0]["text"] if qa["answers"] else "(not stated)"
                print(f"{article['title']:>16}  {qa['question']!r} -> {shown!r}")
