"""Shared fixtures: the deterministic fake embedder and paths to ../shared data."""

from __future__ import annotations

from pathlib import Path

import pytest

from embeddings import HashingEmbedder

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
