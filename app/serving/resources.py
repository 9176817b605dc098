"""Everything the assistant keeps resident, built once per process and shared by all sessions.

Each part (knowledge base, image encoder, index, classifier, MiniLM text model) loads
lazily on first use, under its own lock so concurrent sessions load it once. A part
that cannot load is None and `problems[part]` says why; the engine answers what it
can without it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np

from app.settings import Settings
from data.curator import curated_knowledge
from data.knowledge import KNOWLEDGE_FILE, ArtistEntry, KnowledgeBase
from data.records import Artwork, with_extra

log = logging.getLogger(__name__)

# What `warm` loads at start. Other parts load on first use: the index encoder (it runs only where the
# classifier's forward has no index of its own) and the parts the layers above keep here through `part`
# (app/serving/vision.py's micro-batcher, app/conversation/intents.py's intent examples).
PARTS = ("kb", "works", "recall", "index", "classifier", "presence", "match_index", "style_search", "explainer",
         "text_model", "catalogue")


@dataclass(frozen=True)
class Catalogue:
    """The index's records with the movements of their artists (from the KB) as genres, for search."""

    records: list[Artwork]
    artists: list[ArtistEntry | None]  # the KB entry of each record's artist, when the KB knows it

    def rows_by(self, name: str) -> list[int]:
        """Rows of the paintings by the artist of KB name `name`."""
        return [i for i, entry in enumerate(self.artists) if entry is not None and entry.name == name]


@dataclass(frozen=True)
class StyleSearch:
    """A style index and the projection its vectors were made with: the classifier's style features map
    straight into it (no forward of its own)."""

    index: object  # retrieval.store.LoadedIndex
    projection: object  # retrieval.style_encoder.StyleProjection

    def vectors(self, styles: np.ndarray) -> np.ndarray:
        from retrieval.encoders import normalize

        return normalize(self.projection(styles))


class Resources:
    def __init__(self, settings: Settings, knowledge_path=KNOWLEDGE_FILE):
        self.settings = settings
        self.knowledge_path = knowledge_path
        self.problems: dict[str, str] = {}
        self._parts: dict[str, object] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        self._text_lock = threading.Lock()
        # Explanations take the backbone's time (a forward and a backward each); text turns need next to none.
        # They share the chat lane, so the costly part waits here for a slot instead of holding the lane.
        self.explain_slots = threading.BoundedSemaphore(settings.explain_slots)

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **kwargs) -> "Resources":
        return cls(settings or Settings(), **kwargs)

    def part(self, name: str, load: Callable[[], object]):
        """The part `name`, loaded by `load()` on first use, once for all threads; None if it cannot load
        (`problems[name]` says why)."""
        if name in self._parts:
            return self._parts[name]
        with self._locks_lock:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            if name not in self._parts:
                try:
                    value = load()
                except Exception as error:  # a part that cannot load must not take the assistant down
                    log.warning("%s unavailable: %s", name, error)
                    self.problems[name] = str(error) or type(error).__name__
                    value = None
                self._parts[name] = value
        return self._parts[name]

    def replace_part(self, name: str, value) -> None:
        """Put `value` in the place of the part `name`, loaded or not (a bench's larger collection)."""
        with self._locks_lock:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            self._parts[name] = value
            self.problems.pop(name, None)

    def warm(self) -> dict[str, str]:
        """Load every part of PARTS now (server start); returns {part: reason} for the parts that failed.
        The index encoder loads only if paintings will need it (`app/serving/vision.py`)."""
        for name in PARTS:
            getattr(self, name)
        if self.match_index is None:  # paintings will need the second forward: load its encoder now
            getattr(self, "encoder")
        return dict(self.problems)

    # --- the parts ---------------------------------------------------------------------

    @property
    def kb(self) -> KnowledgeBase | None:
        return self.part("kb", self._load_kb)

    def _load_kb(self) -> KnowledgeBase:
        kb = curated_knowledge(self.settings.curator_files(), self.knowledge_path)  # the museum's entries win
        root = self.settings.best_artworks
        if root is not None:
            from data.corpora import CorpusError, read_artists_csv

            try:
                kb = kb.with_kaggle(read_artists_csv(root / "artists.csv"))
            except CorpusError as error:
                self.problems["kaggle_artists"] = str(error)
        return kb

    @property
    def works(self):
        """The works index (data/knowledge/works.json): famous works by title."""
        from data.works import load_works

        return self.part("works", load_works)

    @property
    def recall(self):
        """Sentence retrieval over each painter's own text (retrieval/recall.py); BM25 alone without the text model."""
        from retrieval.recall import Recall

        def build():
            works = self.works
            return Recall(lambda name: works.by_artist(name) if works is not None else [], self.embed_sentences)

        return self.part("recall", build)

    @property
    def encoder(self):
        from retrieval.encoders import load_encoder

        return self.part("encoder", lambda: load_encoder(self.settings.encoder))

    @property
    def index(self):
        from retrieval.store import load_store

        return self.part("index", lambda: load_store(self.settings.resolved_index_dir(), self.settings.encoder))

    @property
    def classifier(self):
        """The trained artist classifier for the active encoder, or None (see problems["classifier"])."""
        from classifier.predict import load_classifier

        return self.part("classifier", lambda: load_classifier(
            self.settings.encoder, self.settings.resolved_heads_dir(), self.settings.batch_size, self.settings.workers))

    @property
    def presence(self):
        """The head that tells a painting from a cat (classifier/presence.py) for the classifier's pooled
        embedding, or None (see problems["presence"]): the app then never says "I can't see a painting"."""
        def build():
            from classifier.presence import load_presence

            classifier = self.classifier
            if classifier is None or not hasattr(classifier, "predict_paintings"):
                raise RuntimeError("it reads the trained classifier's embedding, and there is none")
            head = load_presence(backbone=self.settings.encoder)
            if head is None:
                raise RuntimeError(f"no presence head is shipped for {self.settings.encoder}")
            return head

        return self.part("presence", build)

    @property
    def match_index(self):
        """The collection's index of the very vectors the classifier's forward gives (its pooled embedding), so
        that the collection match needs no second forward: index/<corpus>-<encoder>-whole for trained heads
        (`museum index build --encoder efficientnet-lite0-whole`), the encoder's own index for the CLIP
        zero-shot fallback (its answer carries the encoder's vector). None without one (see problems)."""
        def build():
            from retrieval.encoders import whole_image_encoder
            from retrieval.store import load_store

            classifier = self.classifier
            if classifier is None:
                raise RuntimeError(f"no classifier: {self.problems.get('classifier')}")
            if not hasattr(classifier, "predict_paintings"):  # zero-shot: the encoder's vectors
                if self.index is None:
                    raise RuntimeError(f"no index: {self.problems.get('index')}")
                return self.index
            name = whole_image_encoder(self.settings.encoder)
            loaded = load_store(self.settings.with_overrides(encoder=name).resolved_index_dir(), name)
            seen_at = f"whole image at {classifier.bundle.feature_config.image_size} px"
            if seen_at not in loaded.manifest["encoder"]["version"]:
                raise RuntimeError(f"the index at {loaded.directory} was not built from the classifier's view "
                                   f"({seen_at}): rebuild it with `museum index build --encoder {name}`")
            return loaded

        return self.part("match_index", build)

    @property
    def style_search(self) -> StyleSearch | None:
        """The corpus's style index (settings.similar_encoder) and its projection, when the classifier's style
        features are the ones the projection was fitted on: "similar paintings" then reads the classifier's
        forward. None otherwise (see problems)."""
        def build() -> StyleSearch:
            from retrieval.store import load_store
            from retrieval.style_encoder import load_projection

            classifier = self.classifier
            config = getattr(getattr(classifier, "bundle", None), "feature_config", None)
            if config is None:
                raise RuntimeError("the classifier gives no style features")
            name = self.settings.similar_encoder
            projection, fitted_on, _ = load_projection(name)
            if fitted_on != config:
                raise RuntimeError(f"the {name} projection was fitted on other style features than the classifier's")
            index = load_store(self.settings.with_overrides(encoder=name).resolved_index_dir(), name)
            if projection.digest not in index.manifest["encoder"]["version"]:
                raise RuntimeError(f"the {name} index at {index.directory} was built with another projection: "
                                   f"rebuild it with `museum index build --encoder {name}`")
            return StyleSearch(index, projection)

        return self.part("style_search", build)

    @property
    def explainer(self):
        """classifier.explain's resident state (heatmaps, example paintings), built on the classifier. With the
        index of the classifier's own vectors, the example paintings come from the heatmap's forward (no
        encoder forward on "why?")."""
        def build():
            from classifier.explain import ExplainModel, ExplainResources

            if self.classifier is None:
                raise RuntimeError(f"no classifier to explain: {self.problems.get('classifier')}")
            model = ExplainModel.from_classifier(self.classifier)
            if self.match_index is not None:
                return ExplainResources(model=model, encoder=None, index=self.match_index)
            return ExplainResources(model=model, encoder=self.encoder, index=self.index)

        return self.part("explainer", build)

    @property
    def text_model(self):
        from retrieval.text_model import load_sentence_model

        return self.part("text_model", load_sentence_model)

    @property
    def catalogue(self) -> Catalogue | None:
        def build() -> Catalogue:
            if self.index is None:
                raise RuntimeError(f"no index: {self.problems.get('index')}")
            kb = self.kb
            records, artists = [], []
            for record in self.index.records:
                entry = kb.find(record.artist) if kb is not None and record.artist else None
                if entry is not None and entry.movements and not record.extra.get("genres"):
                    record = with_extra(record, genres=list(entry.movements))
                records.append(record)
                artists.append(entry)
            return Catalogue(records, artists)

        return self.part("catalogue", build)

    # --- text embedding ------------------------------------------------------------------

    def embed_sentences(self, texts: list[str]) -> np.ndarray | None:
        """L2-normalised MiniLM vectors, or None without the text model."""
        model = self.text_model
        if model is None:
            return None
        from retrieval.text_model import sentence_embedder

        with self._text_lock:
            return sentence_embedder(model)(texts)
