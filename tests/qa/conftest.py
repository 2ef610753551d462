"""The real bundled model, loaded once for the whole run: every Engine in this process shares it."""

from __future__ import annotations

import pytest

import embeddings
import qa.engine


@pytest.fixture(scope="session")
def embedder() -> embeddings.Embedder:
    """Loading the model takes seconds; ``qa.engine.load_embedder`` keeps the one copy for every
    Engine the CLI makes, so tests that drive the CLI ask for this fixture to load it first."""
    return qa.engine.load_embedder(embeddings.DEFAULT_MODEL)
