"""Shared fixtures: the deterministic fake embedder, the real bundled model (loaded once for the run and
handed to every Engine the CLI makes), the shipped answer model and paths to ../shared data.

The real model comes in the forms the engine uses: ONNX Runtime int8 for ingest (exported once for
the run), NumPy for questions, and sentence-transformers where something asks for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import embeddings
import qa.engine
from embeddings import HashingEmbedder, PairClassifier
from embeddings.numpy_embedder import NumpyEmbedder
from embeddings.onnx_embedder import OnnxEmbedder
from embeddings.token_embedder import UnsupportedModel
from qa.answer.model import ANSWER_MODEL

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


@pytest.fixture(scope="session")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OnnxEmbedder]:
    """The ingest embedder; loading and exporting take seconds, so tests that drive the CLI share one."""
    model = OnnxEmbedder(cache=tmp_path_factory.mktemp("models"))
    questions = NumpyEmbedder()
    torch_model: list[embeddings.SentenceTransformerEmbedder] = []

    def only(name: str, loaded: Any) -> Any:
        if name != loaded.name:
            raise UnsupportedModel(f"this test run only has {loaded.name!r} loaded, not {name!r}")
        return loaded

    def load_onnx(name: str = embeddings.DEFAULT_MODEL, *, cache: Path, **kwargs: object) -> OnnxEmbedder:
        return only(name, model)

    def load_numpy(name: str = embeddings.DEFAULT_MODEL, **kwargs: object) -> NumpyEmbedder:
        return only(name, questions)

    def load_torch(name: str = embeddings.DEFAULT_MODEL, **kwargs: object) -> embeddings.SentenceTransformerEmbedder:
        if not torch_model:
            torch_model.append(embeddings.SentenceTransformerEmbedder())
        return only(name, torch_model[0])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(qa.engine, "OnnxEmbedder", load_onnx)
        patch.setattr(qa.engine, "NumpyEmbedder", load_numpy)
        patch.setattr(qa.engine, "SentenceTransformerEmbedder", load_torch)
        yield model
