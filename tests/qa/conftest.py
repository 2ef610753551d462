"""The real bundled model, loaded once for the whole run and handed to every Engine the CLI makes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import embeddings
import qa.engine


@pytest.fixture(scope="session")
def embedder() -> Iterator[embeddings.SentenceTransformerEmbedder]:
    """Loading the model takes seconds; tests that drive the CLI ask for this fixture to share one."""
    model = embeddings.SentenceTransformerEmbedder()

    def load(name: str = embeddings.DEFAULT_MODEL, **kwargs: object) -> embeddings.SentenceTransformerEmbedder:
        assert name == model.name, f"this test run only has {model.name!r} loaded, not {name!r}"
        return model

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(qa.engine, "SentenceTransformerEmbedder", load)
        yield model
