"""One Settings object: defaults < environment (MUSEUM_*) < command-line flags.

Library code takes plain arguments; only entry points build Settings and pass
its values down. The resolved settings are written beside every artifact.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from platformdirs import user_cache_dir
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.runtime import default_threads

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INDEX_ROOT = PROJECT_ROOT / "index"
WEIGHTS_ROOT = PROJECT_ROOT / "classifier" / "weights"
COLLECTION_STATE = ".museum"  # inside a museum's collection folder: its index, heads and curator's entries
CURATOR_STORE = "artists.json"  # in COLLECTION_STATE: the painters `museum knowledge add` stored


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MUSEUM_", extra="ignore")

    encoder: str = "efficientnet-lite0"
    similar_encoder: str = (
        "style-lite0"  # what `museum similar` ranks by unless --encoder or --index-dir says otherwise
    )
    corpus: str = "met"
    index_dir: Path | None = None  # default: index/<corpus>-<encoder>
    heads_dir: Path | None = None  # default: classifier/weights/<encoder>
    best_artworks: Path | None = None  # a Kaggle "Best Artworks" folder, when the user has one
    other_painters: Path | None = None  # paintings by painters outside the 50, labelled by painter (training)
    cache_dir: Path = Path(user_cache_dir("museum-assistant"))  # features and search vectors computed once
    batch_size: int = 32
    workers: int = 2  # image decode threads; never more than `threads`
    threads: int = Field(default_factory=default_threads, ge=1)  # the process's thread budget (app/runtime.py)
    batch_window: float = 0.02  # seconds a painting waits for others shown at the same moment (one forward)
    explain_slots: int = Field(default=1, ge=1)  # "why?" heatmaps computed at once (each uses every thread)
    approx_threshold: int = 100_000
    # Large corpora (`museum bench scale` measured these; README "When you outgrow one machine").
    ivfpq_threshold: int = 1_000_000  # vectors above which the index is IVF-PQ (compressed)
    ivf_nprobe: int = 32  # inverted lists an IVF-PQ search scans
    ivf_k_factor: int = 8  # an IVF-PQ search re-ranks the best k * k_factor codes with the refine copy
    ivf_refine: str = "SQfp16"  # FAISS code of that re-ranking copy (SQ8, SQfp16, Flat; "" for none)
    ivf_nlist: int = 0  # inverted lists of IVF-PQ (0: about 4 * sqrt(vectors))
    ivf_m: int = 0  # PQ codes per vector (0: the largest divisor of the dimension up to 64)
    ivf_nbits: int = 4  # bits of each PQ code
    ivf_pca: int = 0  # dimensions after a PCA rotation in front of IVF-PQ (0: none; its training is slow at 1280-d)
    ivf_train_size: int = 100_000  # vectors sampled to train IVF-PQ
    shard_size: int = 512  # images per shard a build writes (an interrupted build loses one shard at most)
    engine: str = "local"  # build engine: local or ray (`.[scale]` extra)
    ray_address: str | None = None  # a Ray cluster to join; unset starts a private local instance
    ray_num_cpus: int = 2  # CPUs of that local instance
    ray_actors: int = 2  # encoder actors, each holding one model
    ray_cpus_per_actor: float = 1.0  # CPUs (and torch threads) per actor
    ray_batch_size: int = 64  # files per actor call (about 2 s of work for one Lite0 actor)
    top_k: int = 10
    # Recognising the collection's own painting in a visitor's photo (retrieval/local): a shortlist by the global
    # vector, then local features matched and verified by a homography. `museum bench match` chose these on its
    # validation photos (docs/benchmarks.md).
    local_extractor: str = "sift"  # the collection's keypoints, stored with every index build; "none": not stored
    local_max_side: int = 640  # a collection painting is read at most this large (longest side) for its keypoints
    local_max_keypoints: int = 400  # the strongest keypoints kept per painting (132 bytes each for SIFT)
    local_words: int = 8192  # visual words the shortlist clusters the collection's descriptors into (0: none)
    photo_side: int = 1024  # a visitor's photo is searched for keypoints at most this large
    photo_keypoints: int = 2000  # the strongest keypoints kept of a photo
    # Candidates verified per photo: the paintings sharing most of its visual words, and those nearest its global
    # vector (all from it for a collection without words). On three hard views of each validation painting (261
    # photos, docs/experiments/hard_photos.py) 15 + 10 found 0.962, 30 + 10 and 40 + 10 0.969 with no wrong
    # record, 50 + 10 0.973 with one: 30 + 10, about 1.5 ms a candidate more than 15 + 10.
    match_shortlist: int = 30
    match_global: int = 10
    match_matcher: str = "ratio"  # tentative pairs: "ratio" (Lowe's test) or "mutual" (and each other's nearest)
    match_ratio: float = 0.8  # Lowe's ratio
    match_min_inliers: int = 15  # pairs the homography must explain for a painting to be recognised
    # Below this P(a painting is in view) an unrecognised photo is "no painting" (None: the head's own threshold,
    # chosen on validation to keep 99% of painting photos; 0 never says it).
    presence_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    # Style transfer (classifier/stylize; `museum bench stylize` measured these, docs/benchmarks.md).
    stylize_side: int = Field(default=512, ge=64, le=2048)  # a painted photo's longer side
    stylize_steps: int = Field(default=160, ge=2)  # optimisation steps when any painting is the style
    stylize_statistic: str = "gram"  # the style statistic of those steps (classifier/stylize/losses.STATISTICS)
    stylizers_dir: Path | None = None  # the instant styles (default: classifier/weights/stylizers)
    seed: int = 0
    kiosk_idle_seconds: float = 180.0  # a kiosk session resets after this long without a visitor
    log_level: str = "WARNING"
    # A museum's own collection folder (images + metadata.csv). When set, the index, the trained heads and the
    # curator's entries live in <collection>/.museum/; unset, nothing of the shipped defaults changes.
    collection: Path | None = None
    # Curators' files (JSON or CSV) merged over the shipped knowledge base, in order; the environment variable
    # separates several with os.pathsep (":" on Linux).
    knowledge_files: Annotated[list[Path], NoDecode] = []
    min_works: int = 10  # a painter with fewer works in a collection is not learnt by `museum train --folder`

    @field_validator("knowledge_files", mode="before")
    @classmethod
    def _split_paths(cls, value):
        return [part for part in value.split(os.pathsep) if part.strip()] if isinstance(value, str) else value

    def local_spec(self):
        """The local features an index build stores (None when `local_extractor` is "none")."""
        from retrieval.local.store import LocalSpec

        if self.local_extractor in ("", "none"):
            return None
        return LocalSpec(self.local_extractor, self.local_max_side, self.local_max_keypoints, self.local_words)

    def match_rule(self):
        from retrieval.local.recognise import MatchRule

        return MatchRule(self.match_matcher, self.match_ratio, self.match_min_inliers)

    @model_validator(mode="after")
    def _decode_within_budget(self) -> "Settings":
        self.workers = max(1, min(self.workers, self.threads))
        return self

    def resolved_index_dir(self) -> Path:
        if self.index_dir:
            return self.index_dir
        if self.collection:
            return self.collection / COLLECTION_STATE / f"index-{slug(self.encoder)}"
        return INDEX_ROOT / f"{self.corpus}-{slug(self.encoder)}"

    def resolved_stylizers_dir(self) -> Path:
        return self.stylizers_dir or WEIGHTS_ROOT / "stylizers"

    def resolved_heads_dir(self) -> Path:
        """--heads-dir, else the collection's heads once trained, else the shipped ones."""
        if self.heads_dir:
            return self.heads_dir
        if self.collection and (self.collection_heads_dir() / "manifest.json").is_file():
            return self.collection_heads_dir()
        return WEIGHTS_ROOT / slug(self.encoder)

    def collection_heads_dir(self) -> Path:
        """Where `museum train --folder` writes the collection's heads (unless --heads-dir says otherwise)."""
        if self.collection is None:
            raise ValueError("no collection configured (--collection PATH or MUSEUM_COLLECTION)")
        return self.heads_dir or self.collection / COLLECTION_STATE / f"heads-{slug(self.encoder)}"

    def curator_store(self) -> Path | None:
        """The collection's file of curator's entries (written by `museum knowledge add`), if a collection is set."""
        return self.collection / COLLECTION_STATE / CURATOR_STORE if self.collection else None

    def curator_files(self) -> list[Path]:
        """Every curator's file to merge over the shipped knowledge base: the collection's store, then --knowledge."""
        store = self.curator_store()
        return ([store] if store is not None and store.is_file() else []) + list(self.knowledge_files)

    def with_overrides(self, **flags) -> "Settings":
        """A validated copy with the command-line flags that were actually given (None = not given)."""
        given = {k: v for k, v in flags.items() if v is not None}
        return type(self)(**{**self.model_dump(), **given}) if given else self

    def to_json(self) -> dict:
        """The settings as written beside an artifact. Paths inside the project are relative to it, so a
        committed settings.json reads the same on every machine; the thread budget and the cache folder
        belong to the machine that ran the build, not to what it built, and are left out."""
        values = {**self.model_dump(exclude={"threads", "cache_dir"}), "index_dir": self.resolved_index_dir(),
                  "heads_dir": self.resolved_heads_dir()}
        return {key: portable_path(value) if isinstance(value, Path) else value for key, value in values.items()}


def slug(name: str) -> str:
    """A folder-safe form of an encoder name: "open_clip:ViT-B-32:laion2b" -> "open_clip-ViT-B-32-laion2b"."""
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name.replace(":", "-")).strip("-")


def portable_path(path: Path) -> str:
    """`path` relative to the project root (POSIX separators) when it lies inside it, else as given."""
    absolute = Path(path).resolve()
    return absolute.relative_to(PROJECT_ROOT).as_posix() if absolute.is_relative_to(PROJECT_ROOT) else str(path)
