"""A cross-encoder re-ranker from sentence-transformers: reads query and passage together."""

from __future__ import annotations

from typing import Any

from embeddings.models import model_folder


class CrossEncoderScorer:
    """Relevance of passages to a query from a sentence-transformers ``CrossEncoder`` model.

    Models load from a local folder or a hub name (for example
    ``cross-encoder/ms-marco-MiniLM-L6-v2``), so a hub name needs network access the first time;
    offline, a name not in the Hugging Face cache raises ``ModelUnavailable`` with one line of advice.
    """

    def __init__(self, name: str, *, device: str = "cpu", batch_size: int = 32) -> None:
        from sentence_transformers import CrossEncoder

        self.name = name
        folder = model_folder(name, what="re-ranker", flag="--reranker")
        self._model: Any = CrossEncoder(str(folder), device=device)
        self._batch_size = batch_size

    def score(self, query: str, passages: list[str]) -> list[float]:
        if not passages:
            return []
        scores = self._model.predict(
            [(query, p) for p in passages], batch_size=self._batch_size, show_progress_bar=False
        )
        return [float(s) for s in scores]
