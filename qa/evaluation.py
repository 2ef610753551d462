"""`article-qa eval`: retrieval, answer and refusal quality on a question file, with latency.

Three file formats: SQuAD (articles and questions in one file); multiple-choice reading questions
in QuAIL's shape (articles with ``questions`` holding ``choices`` and an ``answer``, where "not
enough information" marks the unanswerable ones); and a question file of our own,
``{"questions": [{"question", "answers": [...]}], "unanswerable": [{"question"}]}``, asked of
articles given separately (``--articles``), so the articles need not be copied into it.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from embeddings import Embedder
from qa.answer.base import Reader
from qa.engine import Engine
from qa.errors import InvalidInput
from qa.index.ingest import ingest
from qa.settings import ChunkSettings, SearchSettings, Settings
from qa.sources.files import read_paths
from qa.sources.records import record_article, squad_record
from qa.types import Answer, Article, Skip

CUTOFFS = (1, 5, 10)


@dataclass(frozen=True)
class Question:
    text: str
    answers: tuple[str, ...]
    articles: tuple[str, ...] = ()
    """Ids of the articles that state the answer (for the period asked); "answered from the right period"
    counts the answers quoted from one of them."""
    since: date | None = None
    until: date | None = None
    as_of: date | None = None
    kind: str = ""
    """A label to break the figures down by (period, relative, latest, …)."""

    def search(self, search: SearchSettings) -> SearchSettings:
        """The search settings with this question's own date range and as-of day."""
        if self.since is None and self.until is None and self.as_of is None:
            return search
        return replace(search, since=self.since, until=self.until, as_of=self.as_of)


@dataclass(frozen=True)
class QuestionSet:
    """A question file: answerable questions, unanswerable ones, and its articles (SQuAD only)."""

    answerable: list[Question]
    unanswerable: list[Question]
    articles: list[Article]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InvalidInput(f"{path}: cannot read questions ({error})") from error


def _article(record: dict[str, Any], key: str, path: Path) -> Article:
    """A question file's article, read as the ingest reads a record; a bad one stops the evaluation."""
    article = record_article(record, key, str(path))
    if isinstance(article, Skip):
        raise InvalidInput(f"{path}: article {key!r}: {article.reason}")
    return article


def _parse_squad(data: Any, path: Path, titles: Sequence[str] = ()) -> tuple[list[Article], list[Question]]:
    """Articles and questions of a SQuAD file (1.1 or 2.0); a 2.0 question with ``is_impossible`` has no answers."""
    try:
        entries = data["data"]
        if titles:
            entries = _only_titles(entries, titles, path)
        articles: list[Article] = []
        questions: list[Question] = []
        for entry in entries:
            articles.append(_article(squad_record(entry), str(entry["title"]), path))
            for paragraph in entry["paragraphs"]:
                for qa in paragraph["qas"]:
                    given = [] if qa.get("is_impossible") else qa.get("answers", [])
                    answers = tuple(dict.fromkeys(a["text"] for a in given))
                    questions.append(Question(qa["question"].strip(), answers))
    except (KeyError, TypeError) as error:
        raise InvalidInput(
            f"{path}: not a SQuAD-format file ({error}); expected {{'data': [{{'title', 'paragraphs'}}]}}"
        ) from error
    return articles, questions


def _only_titles(entries: list[Any], titles: Sequence[str], path: Path) -> list[Any]:
    wanted = set(titles)
    kept = [e for e in entries if e.get("title") in wanted]
    missing = wanted - {e.get("title") for e in kept}
    if missing:
        known = ", ".join(str(e.get("title")) for e in entries[:30])
        raise InvalidInput(f"{path}: no article titled {', '.join(sorted(missing))}; its articles are: {known}")
    return kept


NOT_ANSWERABLE = "not enough information"


def _is_multiple_choice(data: Any) -> bool:
    entries = data.get("data") if isinstance(data, dict) else None
    return (
        isinstance(entries, list)
        and bool(entries)
        and isinstance(entries[0], dict)
        and "text" in entries[0]
        and isinstance(entries[0].get("questions"), list)
    )


def _parse_multiple_choice(data: Any, path: Path) -> QuestionSet:
    """Articles and their multiple-choice questions, kept where the choice can be checked in the text.

    An answerable question counts only when its correct choice occurs verbatim in its article
    (most need inference and cannot be scored by string match); a question whose correct choice
    is "not enough information" is unanswerable.
    """
    articles: list[Article] = []
    answerable: list[Question] = []
    unanswerable: list[Question] = []
    try:
        for entry in data["data"]:
            article = _article(entry, str(len(articles)), path)
            articles.append(article)
            for question in entry["questions"]:
                answer = str(question["answer"]).strip().rstrip(".")
                if answer.casefold() == NOT_ANSWERABLE:
                    unanswerable.append(Question(question["question"].strip(), ()))
                elif answer and answer in article.text:
                    answerable.append(Question(question["question"].strip(), (answer,)))
    except (KeyError, TypeError) as error:
        raise InvalidInput(f"{path}: not a multiple-choice question file ({error})") from error
    return QuestionSet(answerable, unanswerable, articles)


def load_squad(path: Path) -> tuple[list[Article], list[Question]]:
    """Articles (headline + paragraphs) and questions with their gold answer strings."""
    return _parse_squad(_read_json(path), path)


def load_question_file(path: Path, titles: Sequence[str] = ()) -> QuestionSet:
    """Questions from a SQuAD or multiple-choice file (with its articles) or from a question file of our own.

    ``titles`` keeps only those articles of a SQuAD file (and their questions).
    """
    data = _read_json(path)
    if titles and not (isinstance(data, dict) and "data" in data and not _is_multiple_choice(data)):
        raise InvalidInput(f"{path}: only a SQuAD file has article titles to choose from")
    if _is_multiple_choice(data):
        return _parse_multiple_choice(data, path)
    if isinstance(data, dict) and "data" in data:
        articles, questions = _parse_squad(data, path, titles)
        return QuestionSet([q for q in questions if q.answers], [q for q in questions if not q.answers], articles)
    if not isinstance(data, dict) or not ({"questions", "unanswerable"} & set(data)):
        raise InvalidInput(f"{path}: expected SQuAD format or {{'questions': [...], 'unanswerable': [...]}}")
    answerable = [_own_question(q, path) for q in data.get("questions", [])]
    return QuestionSet(answerable, [_own_question(q, path) for q in data.get("unanswerable", [])], [])


def _own_question(record: Any, path: Path) -> Question:
    """A question of our own file: ``question``, ``answers`` (strings), and optionally ``articles`` (ids that
    state it), ``from``/``until``/``as_of`` (dates, as ``ask --since/--until/--as-of``) and ``kind``."""
    from qa.language.dates import parse_day

    try:
        text = str(record["question"])
        days: dict[str, date | None] = {}
        for key, end in (("from", False), ("until", True), ("as_of", True)):
            days[key] = parse_day(str(record[key]), end=end) if record.get(key) else None
        return Question(
            text,
            tuple(record.get("answers", ())),
            tuple(record.get("articles", ())),
            days["from"],
            days["until"],
            days["as_of"],
            str(record.get("kind", "")),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidInput(f"{path}: question {record!r}: {error}") from error


def first_rank(passages: list[str], answers: tuple[str, ...]) -> int | None:
    """1-based rank of the first passage containing a gold answer, if any."""
    for rank, text in enumerate(passages, start=1):
        if any(answer in text for answer in answers):
            return rank
    return None


_TOKEN = re.compile(r"\w+")
_A_AN_THE = frozenset({"a", "an", "the"})


def words_f1(shown: str, answers: tuple[str, ...]) -> float:
    """SQuAD's token F1 of the answering words shown against the best-matching gold answer (case,
    punctuation and articles aside)."""

    def tokens(text: str) -> list[str]:
        return [t for t in _TOKEN.findall(text.casefold()) if t not in _A_AN_THE]

    best = 0.0
    mine = tokens(shown)
    for answer in answers:
        gold = tokens(answer)
        common = sum((Counter(mine) & Counter(gold)).values())
        if common:
            precision, recall = common / len(mine), common / len(gold)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def evaluate(
    path: Path,
    settings: Settings,
    *,
    articles: Sequence[Path] = (),
    unanswerable: Path | None = None,
    collection: str | None = None,
    chunking: ChunkSettings | None = None,
    limit: int | None = None,
    progress: bool = True,
    embedder: Embedder | None = None,
    reader: Reader | None = None,
    details: list[dict[str, Any]] | None = None,
    titles: Sequence[str] = (),
) -> dict[str, Any]:
    """Ingest the articles, ask every question and measure; returns the report as data.

    Args:
        path: a SQuAD file (its articles are ingested) or a question file (``articles`` needed).
        articles: files or folders of articles for a question file.
        unanswerable: another question file whose ``unanswerable`` questions are asked too.
        details: if given, one record per question is appended to it (for calibration).
        titles: ask only the questions of these articles of a SQuAD file (and ingest only them).
    """
    questions = load_question_file(path, titles)
    answerable, refusable = questions.answerable, list(questions.unanswerable)
    corpus = read_paths(list(articles)).articles if articles else questions.articles
    if not corpus:
        raise InvalidInput(f"{path} holds questions only; give the articles to ask them of with --articles")
    if unanswerable is not None:
        refusable += load_question_file(unanswerable).unanswerable
    dated = any(q.articles for q in answerable)
    if limit is not None and 0 < limit < len(answerable):
        # Spread evenly over the file: questions come grouped by article.
        answerable = [answerable[i * len(answerable) // limit] for i in range(limit)]
    with tempfile.TemporaryDirectory(prefix="article-qa-eval-") as scratch:
        if collection is None:
            settings = replace(settings, data_dir=Path(scratch))
            name = "eval"
        else:
            name = collection
        engine = Engine(settings, embedder, reader=reader)
        chosen = engine.reader()
        started = time.perf_counter()
        report = ingest(corpus, settings.data_dir, name, engine.embedder(), chunking or ChunkSettings())
        ingest_seconds = time.perf_counter() - started
        if reader is None:
            engine.prepare_answer_model()
        search = replace(settings.search, k=max(max(CUTOFFS), settings.search.k))
        ranks: list[int | None] = []
        sentence_hits = 0
        words_total, words_shown = 0.0, 0
        refused = 0
        latencies: list[float] = []
        engine.ask("warm-up question", name, search)
        right_period: dict[str, list[bool]] = {}
        for number, question in enumerate(answerable, start=1):
            started = time.perf_counter()
            answer = engine.ask(question.text, name, question.search(search))
            latencies.append(time.perf_counter() - started)
            if question.answers:
                rank = first_rank([h.chunk.text for h in answer.passages], question.answers)
                correct = answer.sentence is not None and any(a in answer.sentence for a in question.answers)
            else:
                rank = first_rank([h.chunk.article_id for h in answer.passages], question.articles)
                correct = answer.found and answer.chunk is not None and answer.chunk.article_id in question.articles
            ranks.append(rank)
            sentence_hits += correct
            if question.articles:
                quoted = answer.chunk.article_id if answer.chunk is not None else None
                right_period.setdefault(question.kind or "all", []).append(answer.found and quoted in question.articles)
            if answer.found and answer.words is not None:
                words_total += words_f1(answer.words, question.answers)
                words_shown += 1
            refused += not answer.found
            if details is not None:
                f1 = words_f1(answer.words, question.answers) if answer.words is not None else 0.0
                details.append(_detail(question.text, True, answer, rank, correct, f1))
            if progress and number % 250 == 0:
                print(f"  {number}/{len(answerable)} questions", file=sys.stderr)
        refused_unanswerable = 0
        refused_by_kind: dict[str, list[bool]] = {}
        for unasked in refusable:
            answer = engine.ask(unasked.text, name, unasked.search(search))
            refused_unanswerable += not answer.found
            refused_by_kind.setdefault(unasked.kind or "all", []).append(not answer.found)
            if details is not None:
                details.append(_detail(unasked.text, False, answer, None, False))
    n = len(answerable) or 1
    latencies.sort()
    return {
        "file": str(path),
        "questions": len(answerable),
        "articles": report.articles_total,
        "chunks": report.chunks_total,
        "retriever": settings.search.retriever,
        "chunking": (chunking or ChunkSettings()).__dict__,
        "dense_weight": settings.search.dense_weight,
        "sentence_weight": settings.search.sentence_weight,
        "reader": chosen.describe(),
        "min_score": chosen.min_score,
        **{f"top{k}": sum(1 for r in ranks if r is not None and r <= k) / n for k in CUTOFFS},
        "mrr": sum(1.0 / r for r in ranks if r is not None) / n,
        "answer_sentence": sentence_hits / n,
        # SQuAD's token F1 of the answering words shown (0 when refused or none shown), and how often some were.
        "answer_words_f1": words_total / n,
        "answer_words_shown": words_shown / n,
        "refused": refused / n,
        "unanswerable": len(refusable),
        "refused_unanswerable": refused_unanswerable / len(refusable) if refusable else None,
        "latency_ms_median": 1000 * statistics.median(latencies) if latencies else 0.0,
        "latency_ms_p95": 1000 * latencies[int(0.95 * (len(latencies) - 1))] if latencies else 0.0,
        "ingest_seconds": ingest_seconds,
        **(_period_figures(right_period, refused_by_kind) if dated else {}),
    }


def _period_figures(right: dict[str, list[bool]], refused: dict[str, list[bool]]) -> dict[str, Any]:
    """Share of the questions with expected articles answered from one of them, over all and by kind;
    share of the unanswerable refused, by kind."""
    every = [r for rs in right.values() for r in rs]
    return {
        "right_period": sum(every) / len(every) if every else None,
        "right_period_by_kind": {k: {"share": sum(v) / len(v), "questions": len(v)} for k, v in sorted(right.items())},
        "refused_unanswerable_by_kind": {
            k: {"share": sum(v) / len(v), "questions": len(v)} for k, v in sorted(refused.items())
        },
    }


def _detail(
    question: str, answerable: bool, answer: Answer, rank: int | None, correct: bool, f1: float = 0.0
) -> dict[str, Any]:
    top = answer.passages[0] if answer.passages else None
    return {
        "question": question,
        "answerable": answerable,
        "found": answer.found,
        "confidence": round(answer.confidence, 6),
        "rank": rank,
        "sentence_correct": correct,
        "top_dense": top.dense_score if top else None,
        "top_score": top.score if top else None,
        "sentence": answer.sentence,
        "words": answer.words,
        "words_f1": round(f1, 4),
    }


def _period_rows(report: dict[str, Any]) -> list[tuple[str, str]]:
    if report.get("right_period") is None:
        return []
    rows = [("answered from the right period", f"{report['right_period']:.3f}")]
    by_kind = report.get("right_period_by_kind", {})
    rows += [(f"  {kind}", f"{v['share']:.3f} of {v['questions']}") for kind, v in by_kind.items() if len(by_kind) > 1]
    refused = report.get("refused_unanswerable_by_kind", {})
    rows += [(f"  not found: {kind}", f"{v['share']:.3f} of {v['questions']}") for kind, v in refused.items()]
    return rows


def report_table(report: dict[str, Any]) -> str:
    rows = [
        ("questions", f"{report['questions']}"),
        ("articles / chunks", f"{report['articles']} / {report['chunks']}"),
        ("retriever", report["retriever"]),
        ("reader", f"{report['reader']['name']} (not found below {report['min_score']:.3f})"),
        ("top-1 accuracy", f"{report['top1']:.3f}"),
        ("top-5 accuracy", f"{report['top5']:.3f}"),
        ("top-10 accuracy", f"{report['top10']:.3f}"),
        ("MRR@10", f"{report['mrr']:.3f}"),
        ("answer-sentence accuracy", f"{report['answer_sentence']:.3f}"),
        *(
            [("answer words: F1 / shown", f"{report['answer_words_f1']:.3f} / {report['answer_words_shown']:.3f}")]
            if report.get("answer_words_shown")
            else []
        ),
        ("refused (answerable)", f"{report['refused']:.3f}"),
        *(
            [("refused (unanswerable)", f"{report['refused_unanswerable']:.3f} of {report['unanswerable']}")]
            if report["unanswerable"]
            else []
        ),
        *_period_rows(report),
        ("latency median / p95", f"{report['latency_ms_median']:.1f} / {report['latency_ms_p95']:.1f} ms"),
        ("ingest time", f"{report['ingest_seconds']:.1f} s"),
    ]
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)
