"""Many people at once: questions answered on a pool of threads, with the real models, while an ingest
adds articles to the same collection; every answer the same as when asked alone."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from embeddings.onnx_embedder import OnnxEmbedder
from qa.chat.service import ChatService
from qa.engine import SAMPLE_ARTICLES, Engine
from qa.settings import Settings

pytestmark = [pytest.mark.model]

QUESTIONS = [
    "What did NATO propose to Russia?",
    "How many runs did Priya Nandakumar score in the final?",
    "Where did the Tern-2 lander touch down?",
    "What rate did the Aldmark central bank cut to?",
]
NEW = (
    "Wrenfield approves a floating library\n\n"
    "WRENFIELD, March 9, 2026 (Valley Post) — Wrenfield's town council on Monday approved a floating library, a "
    "converted barge that will moor at a different village on the River Ost each week.\n"
)


@pytest.fixture
def service(tmp_path: Path, embedder: OnnxEmbedder) -> ChatService:
    articles = tmp_path / "articles"
    shutil.copytree(SAMPLE_ARTICLES, articles)
    chat = ChatService(Engine(Settings(data_dir=tmp_path / "data"), embedder), workers=4)
    chat.ingest([articles], "news")
    chat.engine.prepare_answer_model()
    return chat


def test_questions_at_once_get_the_answers_they_get_alone(service: ChatService, tmp_path: Path) -> None:
    alone = {q: service.ask(q, "news").sentence for q in QUESTIONS}
    assert all(alone.values())
    (tmp_path / "new.txt").write_text(NEW, encoding="utf-8")
    asked = QUESTIONS * 6
    with ThreadPoolExecutor(8) as clients:
        ingest = clients.submit(service.ingest, [tmp_path / "new.txt"], "news")
        answers = list(clients.map(lambda q: (q, service.ask(q, "news")), asked))
        assert ingest.result().added == 1
    assert [a.sentence for _, a in answers] == [alone[q] for q, _ in answers]
    # the next question sees the new article
    assert "floating library" in (service.ask("What did Wrenfield's council approve?", "news").sentence or "")
    service.close()


def test_the_pool_is_sized_to_the_machine(tmp_path: Path, embedder: OnnxEmbedder) -> None:
    import os

    chat = ChatService(Engine(Settings(data_dir=tmp_path), embedder))
    assert chat.workers == max(1, os.cpu_count() or 1)
    chat.close()
