"""The NumPy query path against the torch models it stands in for: same vectors, same probabilities."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from embeddings import PairClassifier, SentenceTransformerEmbedder
from embeddings.models import resolve_model
from embeddings.numpy_embedder import NumpyEmbedder
from embeddings.pair_classifier import answer_outputs, base_network, best_span, encode_pairs, trained_network
from embeddings.token_embedder import UnsupportedModel
from qa.answer.model import ANSWER_MODEL

pytestmark = pytest.mark.model

ROOT = Path(__file__).resolve().parents[2]

TEXTS = [
    "What did NATO propose to Russia?",
    "who won",
    "",
    "Ünïcode café, naïve résumé: 東京 and emoji 🤖 in one line.",
    "A paragraph that runs past the model's limit, so truncation must match. " * 40,
    'Russia should help NATO create a "security roof" that would jointly defend both of them from missiles.',
]


@pytest.fixture(scope="module")
def torch_embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


@pytest.fixture(scope="module")
def numpy_embedder() -> NumpyEmbedder:
    return NumpyEmbedder()


def test_numpy_vectors_match_sentence_transformers(
    torch_embedder: SentenceTransformerEmbedder, numpy_embedder: NumpyEmbedder
) -> None:
    ours = numpy_embedder.embed_documents(TEXTS)
    theirs = torch_embedder.embed_documents(TEXTS)
    assert ours.shape == theirs.shape == (len(TEXTS), 384)
    cosines = (ours * theirs).sum(axis=1)
    assert cosines.min() >= 0.9999, cosines
    query = numpy_embedder.embed_query(TEXTS[0])
    assert float(query @ torch_embedder.embed_query(TEXTS[0])) >= 0.9999
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_numpy_embedder_measures_text_as_the_model_does(
    torch_embedder: SentenceTransformerEmbedder, numpy_embedder: NumpyEmbedder
) -> None:
    assert numpy_embedder.count_tokens(TEXTS) == torch_embedder.count_tokens(TEXTS)
    assert numpy_embedder.token_spans(TEXTS[3]) == torch_embedder.token_spans(TEXTS[3])
    assert (numpy_embedder.max_tokens, numpy_embedder.dim, numpy_embedder.special_tokens) == (
        torch_embedder.max_tokens,
        torch_embedder.dim,
        torch_embedder.special_tokens,
    )


def test_numpy_answer_model_matches_the_torch_network(answer_model: PairClassifier) -> None:
    import torch

    network = trained_network(ANSWER_MODEL)
    _, tokenizer, _ = base_network(answer_model.card["base_model"])
    pairs = [(TEXTS[0], TEXTS[5] + " | NATO"), ("Who won the match?", TEXTS[4]), ("When?", "")]
    with torch.inference_mode():
        batch = encode_pairs(tokenizer, pairs, answer_model.max_length)
        logits, spans = answer_outputs(network, batch)
    readings = answer_model.read_pairs(pairs)
    assert [r.probability for r in readings] == pytest.approx(torch.sigmoid(logits).tolist(), abs=1e-5)
    assert answer_model.score_pairs(pairs) == [r.probability for r in readings]
    if spans is None:
        assert all(r.span is None for r in readings)
        return
    # The span head too: the same words, by the same margin.
    encodings = tokenizer.encode_batch(pairs)
    for reading, scores, encoding in zip(readings, spans.numpy(), encodings, strict=True):
        span, margin = best_span(scores, encoding)
        assert reading.span == span and reading.margin == pytest.approx(margin, abs=1e-3)
    assert readings[0].span is not None and readings[2].span is None, "no words to point to in an empty text"


def write_folder(folder: Path, pooling: dict[str, bool]) -> Path:
    folder.mkdir()
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"word_embedding_dimension": 8, **pooling}))
    return folder


def test_models_it_cannot_run_are_refused_by_name(tmp_path: Path) -> None:
    cls_pooling = write_folder(tmp_path / "cls", {"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False})
    with pytest.raises(UnsupportedModel, match="pooling"):
        NumpyEmbedder(str(cls_pooling))
    with pytest.raises(UnsupportedModel, match="not a model folder"):
        NumpyEmbedder("someone/a-model-on-the-hub")


def test_asking_from_the_cli_does_not_import_torch(tmp_path: Path, numpy_embedder: NumpyEmbedder) -> None:
    """The point of the NumPy path: a question from a cold shell loads neither torch nor transformers."""
    from qa.cli import main

    data = tmp_path / "data"
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "nato.txt").write_text(
        "NATO offers Russia a shared missile shield\n\n" + TEXTS[5] + " The alliance will decide by November.\n",
        encoding="utf-8",
    )
    assert main(["--data-dir", str(data), "ingest", str(articles), "-c", "nato"]) == 0
    probe = (
        "import sys, json; from qa.cli import main; "
        f"code = main(['--data-dir', {str(data)!r}, 'ask', 'What did NATO propose?', '-c', 'nato', '--json']); "
        "heavy = sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules); "
        "print(json.dumps({'code': code, 'heavy': heavy}), file=sys.stderr)"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report == {"code": 0, "heavy": []}, done.stderr
    assert "security roof" in json.loads(done.stdout)["passages"][0]["text"]


def test_bundled_model_resolves_to_a_local_folder() -> None:
    location, local = resolve_model("all-MiniLM-L6-v2")
    assert local and (Path(location) / "model.safetensors").is_file()


def test_sentence_vectors_pooled_from_the_passage_pass(numpy_embedder: NumpyEmbedder) -> None:
    """Each sentence's tokens, pooled from the passage's forward pass, stand for that sentence and not its neighbour."""
    first = "The tidal barrier opened on Monday after ten years of work."
    second = "Tickets for the cup final sold out within an hour."
    text = f"Harbour news\n{first} {second}"
    at = text.index(first)
    spans = [(at, at + len(first)), (text.index(second), len(text)), (0, 0)]
    vectors, pooled = numpy_embedder.embed_with_spans([text], [spans])
    assert np.allclose(vectors[0], numpy_embedder.embed_documents([text])[0], atol=1e-5)
    assert pooled[0][2] is None
    alone = numpy_embedder.embed_documents([first, second])
    found = [v / np.linalg.norm(v) for v in pooled[0][:2] if v is not None]
    assert len(found) == 2
    similarity = np.array(found) @ alone.T
    assert similarity[0, 0] > similarity[0, 1] and similarity[1, 1] > similarity[1, 0], similarity
    assert similarity[0, 0] > 0.6 and similarity[1, 1] > 0.6, similarity


def test_one_pass_ingest_gives_every_sentence_a_vector(tmp_path: Path, numpy_embedder: NumpyEmbedder) -> None:
    from qa.index.collection import Collection
    from qa.index.ingest import IN_PASSAGE, ingest
    from qa.settings import ChunkSettings
    from qa.types import Article

    body = " ".join(f"Sentence {i} says the council met on day {i} about the pier." for i in range(40))
    articles = [Article("pier", "Pier plans", body), Article("ferry", "Ferry route", "A ferry starts in June.")]
    chunking = ChunkSettings(chunk_tokens=60, chunk_overlap=16)
    report = ingest(articles, tmp_path, "one", numpy_embedder, chunking)
    collection = Collection.open(tmp_path, "one")
    assert collection.manifest["sentence_vectors"] == IN_PASSAGE
    assert report.chunks_total > 3
    sentences = collection.store.count_sentences()
    assert len(collection.sentence_vectors) == sentences == 41
    query = numpy_embedder.embed_query("When does the ferry start?")
    best = collection.sentence_vectors.search(query, 1)[0]
    assert collection.store.sentences_in("ferry", 0, 100)[0][0] == best.id


def test_answer_model_on_onnx_runtime_stays_close_to_numpy(tmp_path: Path, answer_model: PairClassifier) -> None:
    from embeddings.pair_classifier import export_answer_model, exported_path

    assert PairClassifier(ANSWER_MODEL, cache=tmp_path).backend == "numpy", "nothing exported yet"
    path = export_answer_model(ANSWER_MODEL, tmp_path)
    assert path == exported_path(ANSWER_MODEL, tmp_path) and path.is_file()
    onnx = PairClassifier(ANSWER_MODEL, cache=tmp_path)
    assert onnx.backend == "onnxruntime" and answer_model.backend == "numpy"
    barrier = "The tidal barrier opened on Monday after ten years of work. | Harbour news"
    cost = "It cost 40 million pounds. | Harbour news"
    pairs = [
        (TEXTS[0], TEXTS[5] + " | NATO offers Russia a shared missile shield"),
        (TEXTS[0], "Tickets for the cup final sold out within an hour, the club said. | Cup final"),
        ("When did the tidal barrier open?", barrier),
        ("When did the tidal barrier open?", cost),
        ("How much did the barrier cost?", cost),
        ("Who won the match?", TEXTS[4]),
        ("When?", ""),
    ]
    # 7-bit weights move log-odds a little (0.17 on average, 0.57 at the 95th percentile, on 400
    # held-out SQuAD pairs: benchmarks/int8_agreement.py); a truncated paragraph moves most here.
    ours, exact = onnx.read_pairs(pairs), answer_model.read_pairs(pairs)
    p_ours, p_exact = np.array([r.probability for r in ours]), np.array([r.probability for r in exact])
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    moved = np.abs(logit(p_ours) - logit(p_exact))
    assert moved.mean() < 0.2 and moved.max() < 0.6, (p_ours, p_exact)
    # The sentence that answers scores above the one that does not, either way, and by far.
    for p in (p_ours, p_exact):
        assert p[0] > 3 * p[1] and p[2] > 10 * p[3] and p[4] > 10 * p[3], p
    # The span head's output comes through ONNX Runtime too, pointing at the same words where there is an answer.
    assert [ours[i].span for i in (0, 2, 4)] == [exact[i].span for i in (0, 2, 4)]
    assert (ours[6].span, exact[6].span) == (None, None)
    path.write_bytes(b"not a model")
    assert PairClassifier(ANSWER_MODEL, cache=tmp_path).backend == "numpy", "a damaged export must not be used"
