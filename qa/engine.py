"""The one code path behind the CLI, the app and the Python API: ingest paths, ask questions."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from embeddings import CrossEncoderScorer, Embedder, PairClassifier, Scorer, SentenceTransformerEmbedder
from embeddings.numpy_embedder import NumpyEmbedder
from embeddings.onnx_embedder import OnnxEmbedder
from embeddings.pair_classifier import export_answer_model, exported_path
from embeddings.token_embedder import UnsupportedModel
from qa.answer.base import Reader
from qa.answer.dated import TimeAsk, answer_in_time, date_limits
from qa.answer.model import ANSWER_MODEL, ModelReader
from qa.answer.rules import RulesReader
from qa.errors import CollectionNotFound, InvalidInput, NothingToIngest
from qa.index.changes import IngestReport, Present, gone_articles, unchanged_report
from qa.index.collection import Collection, open_store
from qa.index.ingest import Progress, ingest
from qa.index.manifest import MANIFEST, read_manifest
from qa.index.swap import remove_leftovers
from qa.language.dates import TimeQuestion, mentions_time, read_time
from qa.search.retrieval import Searcher
from qa.settings import ChunkSettings, SearchSettings, Settings
from qa.sources.base import is_url
from qa.sources.gather import gather, sources_for
from qa.types import Answer

if TYPE_CHECKING:
    from embeddings.qa_checkpoint import CheckpointReader
    from embeddings.span_reader import SpanReader

logger = logging.getLogger(__name__)

SAMPLE_ARTICLES = Path(__file__).parent / "samples" / "articles"
# Where exported model forms are cached, inside the data directory (dot folders are not collections).
MODEL_CACHE = ".models"
SAMPLE_COLLECTION = "samples"


def ingest_device(device: str) -> str:
    """``cpu`` or ``cuda`` for a ``--device`` of cpu, cuda or auto (cuda when a GPU driver and CUDA torch are there)."""
    if device != "auto":
        return device
    if not Path("/proc/driver/nvidia").exists():
        return "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _stamp(data_dir: Path, name: str) -> tuple[int, int, int] | None:
    """Identity of a collection's manifest file: an ingest swaps in a new folder, so this changes with it."""
    try:
        status = (data_dir / name / MANIFEST).stat()
    except OSError:
        return None
    return (status.st_ino, status.st_mtime_ns, status.st_size)


class Engine:
    """Loads each model and collection once and keeps them for every later question."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        scorer: Scorer | None = None,
        reader: Reader | None = None,
    ) -> None:
        self.settings = settings
        self._reader = reader
        self._readers: dict[str, Reader] = {}
        self._embedders: dict[str, Embedder] = {}
        self._query_embedders: dict[str, Embedder] = {}
        if embedder is not None:
            self._embedders[embedder.name] = embedder
        self._searchers: dict[str, Searcher] = {}
        self._stamps: dict[str, tuple[int, int, int] | None] = {}
        self._scorer = scorer
        # Questions are answered on several threads at once: loading a model or a collection happens
        # once, under this lock; answering needs no lock (ONNX Runtime, FAISS and NumPy are thread-safe
        # for reading, and a collection's SQLite connection serialises its own statements).
        self._lock = threading.RLock()

    def scorer(self) -> Scorer | None:
        """The re-ranker the settings name, loaded on first use (None when re-ranking is off)."""
        name = self.settings.search.reranker
        if self._scorer is None and name:
            from embeddings.models import ModelUnavailable

            try:
                self._scorer = CrossEncoderScorer(name)
            except ModelUnavailable as error:
                raise InvalidInput(str(error)) from error
        return self._scorer

    def reader(self, search: SearchSettings | None = None) -> Reader:
        """The reader the settings name (the answer model unless ``reader="rules"``), loaded on first use."""
        search = search or self.settings.search
        reader = self._reader
        if reader is None:
            key = f"passage:{search.reader_model}" if search.reader_model else search.reader
            with self._lock:
                if key not in self._readers:
                    self._readers[key] = self._new_reader(search.reader, search.reader_model)
                reader = self._readers[key]
        return reader if search.min_score is None else reader.with_threshold(search.min_score)

    def _new_reader(self, name: str, checkpoint: str | None = None) -> Reader:
        if checkpoint or name == "passage":
            from qa.answer.passage import PassageReader

            return PassageReader(self.checkpoint_spans(checkpoint) if checkpoint else self._passage_spans())
        if name == "rules":
            return RulesReader()
        scorer = PairClassifier(
            ANSWER_MODEL, cache=self.settings.data_dir / MODEL_CACHE, threads=self.settings.question_threads
        )
        # A model calibrated with the passage reader beside it (training/calibrate_answer_model.py
        # --passage-model) names it in its card.
        with_passages = "passage_model" in scorer.card.get("selection", {})
        return ModelReader(scorer, spans=self._passage_spans() if with_passages else None)

    def _passage_spans(self) -> SpanReader:
        """The project's passage reader (qa/models/passage), exported for ONNX Runtime on first use."""
        from embeddings.span_reader import SpanReader, export_reader
        from qa.answer.passage import PASSAGE_MODEL

        if not (PASSAGE_MODEL / "model.json").is_file():
            raise InvalidInput(
                f"--reader passage needs a trained passage reader in {PASSAGE_MODEL}; "
                "train it with `python training/train_passage_reader.py`"
            )
        cache = self.settings.data_dir / MODEL_CACHE
        try:
            export_reader(PASSAGE_MODEL, cache)  # once: int8 on ONNX Runtime, several times NumPy's speed
        except Exception as error:  # questions still work, in NumPy
            logger.warning("could not export the passage reader for ONNX Runtime (%s); it runs in NumPy", error)
        return SpanReader(PASSAGE_MODEL, cache=cache)

    def checkpoint_spans(self, name: str) -> CheckpointReader:
        """Extractive QA checkpoint ``name`` (a folder or a Hugging Face name), exported into the data
        directory's model cache on first use."""
        from embeddings.models import ModelUnavailable
        from embeddings.qa_checkpoint import load_checkpoint

        try:
            return load_checkpoint(name, self.settings.data_dir / MODEL_CACHE)
        except ModelUnavailable as error:
            raise InvalidInput(str(error)) from error
        except (OSError, ValueError) as error:
            raise InvalidInput(f"--reader-model {name}: {error}") from error

    def prepare_answer_model(self) -> None:
        """Export the answer model for ONNX Runtime (twice NumPy's speed) into the data directory, once.

        Needs torch, which ingest has loaded anyway; without the export questions run it in NumPy.
        """
        cache = self.settings.data_dir / MODEL_CACHE
        try:
            if not exported_path(ANSWER_MODEL, cache).is_file():
                export_answer_model(ANSWER_MODEL, cache)
                self._readers.pop("model", None)
        except Exception as error:  # questions still work, in NumPy
            logger.warning("could not export the answer model for ONNX Runtime (%s); it runs in NumPy", error)

    def embedder(self, model: str | None = None) -> Embedder:
        """The embedder for ingesting, loaded on first use.

        On a CPU, the model's int8 ONNX Runtime form (about twice torch's speed; exported once into
        ``DATA_DIR/.models``); on a GPU, or for a model that form cannot run, sentence-transformers.
        """
        name = model or self.settings.model
        if name not in self._embedders:
            device = ingest_device(self.settings.device)
            embedder: Embedder | None = None
            if device == "cpu":
                embedder = self._onnx_embedder(name)
            self._embedders[name] = embedder or SentenceTransformerEmbedder(name, device=device)
        return self._embedders[name]

    def _ray_embedder(self, model: str, address: str) -> Embedder:
        """The ingest embedder with its passes sent to Ray (``pip install -e .[ray]``)."""
        from embeddings.ray_embedder import EmbedderSpec, RayEmbedder

        local = self.embedder(model)
        device = ingest_device(self.settings.device)
        cached = getattr(local, "path", None)  # an ONNX export: the workers load the same file
        spec = EmbedderSpec(model, str(cached.parent) if isinstance(cached, Path) else None, device)
        try:
            return RayEmbedder(local, spec, address)
        except ImportError as missing:
            raise InvalidInput(
                f"--ray needs Ray Data ({missing}); install it with: pip install -e '.[ray]'"
            ) from missing

    def _onnx_embedder(self, name: str) -> Embedder | None:
        try:
            return OnnxEmbedder(name, cache=self.settings.data_dir / MODEL_CACHE)
        except UnsupportedModel as why:
            logger.info("ingesting with sentence-transformers: %s", why)
        except ImportError as missing:
            logger.warning("ingesting with sentence-transformers, slower: %s (pip install onnxruntime onnx)", missing)
        except Exception as error:  # an export that fails must not stop an ingest that torch can do
            logger.warning("ingesting with sentence-transformers: the ONNX export of %r failed (%s)", name, error)
        return None

    def query_embedder(self, model: str | None = None) -> Embedder:
        """The embedder for questions: the NumPy one where the model allows it (fp32, no torch to import).

        It gives sentence-transformers' vectors (tests/embeddings/test_numpy_bert.py), whatever embedder
        ingests; a question is one short input, so what matters is how fast the embedder loads.
        """
        name = model or self.settings.model
        with self._lock:
            return self._query_embedder(name)

    def _query_embedder(self, name: str) -> Embedder:
        if name not in self._query_embedders:
            try:
                self._query_embedders[name] = NumpyEmbedder(name)
            except UnsupportedModel as why:
                logger.debug("questions go through the ingest embedder: %s", why)
                self._query_embedders[name] = self.embedder(name)
        return self._query_embedders[name]

    def searcher(self, name: str) -> Searcher:
        """The searcher of collection ``name``, reopened when another process has changed the collection since."""
        with self._lock:
            return self._searcher(name)

    def _searcher(self, name: str) -> Searcher:
        stamp = _stamp(self.settings.data_dir, name)
        if name in self._searchers and self._stamps.get(name) != stamp:
            logger.info("collection %r changed on disk; reloading it", name)
            self.forget(name)
        if name not in self._searchers:
            self._stamps[name] = stamp
            collection = Collection.open(self.settings.data_dir, name)
            self._searchers[name] = Searcher(collection, self.query_embedder(collection.model), self.scorer())
        return self._searchers[name]

    def ingest_paths(
        self,
        paths: Sequence[Path | str],
        name: str,
        *,
        model: str | None = None,
        chunking: ChunkSettings | None = None,
        replace: bool = False,
        progress: Progress | None = None,
        ray: str | None = None,
        fetch_timeout: float = 20.0,
        feeds: Sequence[str] = (),
        sync: bool = False,
    ) -> IngestReport:
        """Read files, folders and web pages (``http(s)://`` addresses) and add their articles to collection ``name``.

        The sources (qa/sources/) gather the articles; this keeps the collection's part: nothing to
        do, or ingest. The live store is read once, before anything is fetched. With ``ray`` (a
        cluster address, or "local" for a Ray started here), the model's passes run on Ray Data
        actors; everything else, and the collection, stays in this process.
        """
        manifest = None if replace else self._manifest(name)
        present = self._present(name) if manifest is not None else None
        known = frozenset(present.hashes) if present is not None else frozenset()
        result = gather(sources_for(paths, feeds, known, fetch_timeout))
        files = [p for p in paths if not is_url(str(p))]
        if feeds and not files and not result.articles and present is not None:
            # A feed with nothing new (or whose new pages failed) is a normal run, not an error.
            nothing_new = unchanged_report([], present, name, result.skipped)
            if nothing_new is not None:
                return nothing_new
        if not result.articles and not result.skipped:
            raise NothingToIngest(f"no files found in {', '.join(map(str, paths))}")
        if not result.articles:
            reasons = "; ".join(str(s) for s in result.skipped[:5])
            raise NothingToIngest(f"none of the given files or pages held a readable article ({reasons})")
        if manifest is not None:
            remove_leftovers(self.settings.data_dir, name)
        chunking = chunking or (ChunkSettings(**manifest["chunking"]) if manifest else ChunkSettings())
        model = model or (manifest["model"] if manifest else self.settings.model)
        folders = [Path(p).expanduser() for p in files if Path(p).expanduser().is_dir()] if sync else []
        same = manifest is not None and manifest["model"] == model and ChunkSettings(**manifest["chunking"]) == chunking
        if present is not None and same and not (folders and gone_articles(present.origins, result.articles, folders)):
            nothing_new = unchanged_report(result.articles, present, name, result.skipped)
            if nothing_new is not None:
                return nothing_new
        embedder = self.embedder(model) if ray is None else self._ray_embedder(model, ray)
        report = ingest(
            result.articles,
            self.settings.data_dir,
            name,
            embedder,
            chunking,
            replace=replace,
            skipped=result.skipped,
            progress=progress,
            sync=folders,
        )
        self.forget(name)
        self.prepare_answer_model()
        return report

    def ask(
        self, question: str, collection: str, search: SearchSettings | None = None, query: str | None = None
    ) -> Answer:
        """Answer one question from one collection; ``query`` overrides what is searched for."""
        search = search or self.settings.search
        searcher = self.searcher(collection)
        timed = self.time_ask(query or question, searcher, search)
        if timed is not None:
            return answer_in_time(question, timed, self.reader(search), searcher, search)
        query = query or question
        vector = searcher.embedder.embed_query(query)
        hits = searcher.search(query, search, query_vector=vector)
        return self.reader(search).read(question, query, vector, hits, searcher.collection)

    def time_ask(self, question: str, searcher: Searcher, search: SearchSettings) -> TimeAsk | None:
        """What the question and the settings ask of time; None when nothing (the usual path)."""
        wants_time = search.time_words and mentions_time(question)
        if not (wants_time or search.since or search.until or search.timeline):
            return None
        dates = searcher.collection.dates
        limits = date_limits(search, searcher.collection.name, dates.first, dates.last)
        if dates.last is None and not search.timeline:
            return None  # no article has a date: time words are only words here
        as_of = search.as_of or dates.last or date.today()
        time = read_time(question, as_of) if wants_time else TimeQuestion(search_text=question)
        timeline = search.timeline or time.timeline
        if time.period is None and not time.latest and not timeline and limits is None:
            return None
        return TimeAsk(time, as_of, limits, timeline)

    def loaded_collections(self) -> list[str]:
        """The collections loaded in memory now (for a health check)."""
        with self._lock:
            return sorted(self._searchers)

    def forget(self, name: str) -> None:
        """Drop a cached collection so the next question reloads it (after ingest or removal).

        It is not closed here: a question on another thread may still be reading it, from the files it
        opened (an ingest swaps in a new folder; the old files live on while open). Its SQLite
        connection closes when the last question using it lets go.
        """
        with self._lock:
            self._searchers.pop(name, None)

    def _present(self, name: str) -> Present:
        """What live collection ``name`` holds, from one read of its store."""
        store = open_store(self.settings.data_dir, name)
        try:
            return Present.read(store)
        finally:
            store.close()

    def _manifest(self, name: str) -> dict[str, Any] | None:
        try:
            return read_manifest(self.settings.data_dir, name)
        except CollectionNotFound:
            return None
