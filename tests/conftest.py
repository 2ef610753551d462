"""Shared fixtures: the deterministic fake embedder, the shipped answer model and paths to ../shared data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import qa.engine
from embeddings import HashingEmbedder, PairClassifier
from qa.reading import ANSWER_MODEL

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture
def fake_embedder() -> HashingEmbedder:
    return HashingEmbedder(dim=256, max_tokens=64)


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test when it is absent (a user's fresh clone)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared data not present ({path})")
    return path


@pytest.fixture(scope="session", autouse=True)
def answer_model() -> Iterator[PairClassifier]:
    """The shipped answer model, loaded once for the run and handed to every Engine that asks for it."""
    model = PairClassifier(ANSWER_MODEL)

    def load(folder: object, **kwargs: object) -> PairClassifier:
        assert folder == ANSWER_MODEL, f"this test run only has {ANSWER_MODEL} loaded, not {folder}"
        return model

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(qa.engine, "PairClassifier", load)
        yield model
