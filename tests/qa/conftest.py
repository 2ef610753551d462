"""The real bundled model, loaded once for the whole run and handed to every Engine the CLI makes.

Both forms of it: sentence-transformers for ingest and the NumPy port for questions.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import embeddings
import qa.engine
from embeddings.numpy_embedder import NumpyEmbedder


@pytest.fixture(scope="session")
def embedder() -> Iterator[embeddings.SentenceTransformerEmbedder]:
    """Loading the model takes seconds; tests that drive the CLI ask for this fixture to share one."""
    model = embeddings.SentenceTransformerEmbedder()

    def load(name: str = embeddings.DEFAULT_MODEL, **kwargs: object) -> embeddings.SentenceTransformerEmbedder:
        assert name == model.name, f"this test run only has {model.name!r} loaded, not {name!r}"
        return model

    questions = NumpyEmbedder()

    def load_numpy(name: str = embeddings.DEFAULT_MODEL, **kwargs: object) -> NumpyEmbedder:
        assert name == questions.name, f"this test run only has {questions.name!r} loaded, not {name!r}"
        return questions

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(qa.engine, "SentenceTransformerEmbedder", load)
        patch.setattr(qa.engine, "NumpyEmbedder", load_numpy)
        yield model
