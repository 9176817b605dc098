"""The trained heads as one bundle: pure numpy from style features to answers,
saved as a small float16 .npz with a manifest naming the encoder and data."""

from __future__ import annotations

import functools
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import logsumexp
from threadpoolctl import ThreadpoolController

from classifier.calibration import calibrated
from classifier.heads import LinearHead, Standardizer, sigmoid
from classifier.photo_calibration import PhotoCalibration
from classifier.unknown import DistanceModel, UnknownRule
from data.files import atomic_write_bytes, atomic_write_json
from retrieval.style_features import FEATURE_VERSION, FeatureConfig

HEADS_FILE, MANIFEST_FILE, SETTINGS_FILE = "heads.npz", "manifest.json", "settings.json"
# The layout of heads.npz and the rule; 2: a known head (known artists vs other painters), five rule signals.
HEADS_VERSION = 2


class HeadsError(RuntimeError):
    """Missing or mismatched trained heads; the message names the command that fixes it."""


@dataclass
class Outputs:
    probabilities: np.ndarray  # [N, A] calibrated artist probabilities
    genre_probabilities: np.ndarray  # [N, G]
    known: np.ndarray  # [N] bool
    known_score: np.ndarray  # [N]


@functools.cache
def _blas_controller() -> ThreadpoolController:
    return ThreadpoolController()


def unknown_signals(known_logit: np.ndarray, logits: np.ndarray, probabilities: np.ndarray,
                    distance: DistanceModel | None, standard: np.ndarray) -> np.ndarray:
    """[N, len(SIGNALS)]: the unknown rule's signals for standardised features (see classifier/unknown.py);
    without a distance model (a rule that does not use it) its two columns are NaN."""
    distances = distance.scores(standard) if distance is not None else np.full((2, len(standard)), np.nan)
    return np.column_stack([known_logit[:, 0], probabilities.max(axis=1), logsumexp(logits, axis=1), *distances])


@dataclass
class HeadBundle:
    artists: list[str]
    genres: list[str]
    feature_config: FeatureConfig
    standardizer: Standardizer
    artist_head: LinearHead
    genre_head: LinearHead
    known_head: LinearHead  # known artists (1) vs other painters (0)
    temperature: float
    distance: DistanceModel | None  # kept only when the rule uses its signals
    rule: UnknownRule

    def logits(self, styles: np.ndarray) -> np.ndarray:
        return self.artist_head(self.standardizer(styles))

    def __call__(self, styles: np.ndarray, photographed: np.ndarray | None = None,
                 photo: PhotoCalibration | None = None) -> Outputs:
        """Answers for style features [N, F]; the rows `photographed` (bool [N]) by a camera are answered with
        `photo`'s temperature and threshold when it is given (classifier/photo_calibration.py)."""
        temperature, threshold = self.temperature, self.rule.threshold
        if photo is not None and photographed is not None:
            rows = np.asarray(photographed, bool)
            temperature = np.where(rows, photo.temperature, self.temperature)[:, None]
            threshold = np.where(rows, photo.threshold, self.rule.threshold)
        # One BLAS thread: these products are small, and idle OpenBLAS threads spinning beside
        # torch's own pool made the next backbone forward 2-3x slower (predict 55 ms -> 25 ms).
        with _blas_controller().limit(limits=1, user_api="blas"):
            standard = self.standardizer(styles)
            logits = self.artist_head(standard)
            probabilities = calibrated(logits, temperature)
            signals = unknown_signals(self.known_head(standard), logits, probabilities, self.distance, standard)
            score = self.rule.score(signals)
            return Outputs(probabilities, sigmoid(self.genre_head(standard)), score >= threshold, score)

    # --- persistence -------------------------------------------------------------

    def arrays(self) -> dict[str, np.ndarray]:
        half = lambda a: np.asarray(a, dtype=np.float16)
        distance = {} if self.distance is None else {
            "basis": half(self.distance.basis),
            "whiten": np.asarray(self.distance.whiten, np.float32),
            "centroids": np.asarray(self.distance.means, np.float32),
        }
        return {
            "mean": np.asarray(self.standardizer.mean, np.float32),
            "scale": np.asarray(self.standardizer.scale, np.float32),
            "artist_weight": half(self.artist_head.weight),
            "artist_bias": np.asarray(self.artist_head.bias, np.float32),
            "genre_weight": half(self.genre_head.weight),
            "genre_bias": np.asarray(self.genre_head.bias, np.float32),
            "known_weight": half(self.known_head.weight),
            "known_bias": np.asarray(self.known_head.bias, np.float32),
            "rule_centre": self.rule.centre,
            "rule_spread": self.rule.spread,
            **distance,
        }

    def description(self) -> dict:
        return {"heads_version": HEADS_VERSION, "artists": self.artists, "genres": self.genres,
                "features": self.feature_config.to_json(),
                "temperature": self.temperature,
                "unknown_rule": {"method": self.rule.method, "threshold": self.rule.threshold}}


def save_bundle(bundle: HeadBundle, directory: Path, manifest: dict, settings: dict) -> None:
    directory = Path(directory)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **bundle.arrays())
    directory.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(directory / HEADS_FILE, buffer.getvalue())
    atomic_write_json(directory / SETTINGS_FILE, settings)
    atomic_write_json(directory / MANIFEST_FILE, {**manifest, **bundle.description()})


def read_manifest(directory: Path) -> dict:
    directory = Path(directory)
    path = directory / MANIFEST_FILE
    if not path.is_file() or not (directory / HEADS_FILE).is_file():
        raise HeadsError(f"no trained classifier heads in {directory}: "
                         "run `museum train --best-artworks PATH --other-painters PATH` (or pass --heads-dir)")
    return json.loads(path.read_text(encoding="utf-8"))


def load_bundle(directory: Path, encoder: str) -> tuple[HeadBundle, dict]:
    """The bundle in `directory`, refusing heads trained on another encoder's features."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    if manifest["encoder"] != encoder:
        raise HeadsError(f"the heads in {directory} were trained on {manifest['encoder']} features, "
                         f"not {encoder}: run `museum train --best-artworks PATH --other-painters PATH "
                         f"--encoder {encoder}` or use --encoder {manifest['encoder']}")
    layouts = (manifest.get("features", {}).get("version"), manifest.get("heads_version"))
    if layouts != (FEATURE_VERSION, HEADS_VERSION):
        raise HeadsError(f"the heads in {directory} were trained by another version of this project (feature "
                         f"layout {layouts[0]}, heads {layouts[1]}; this version reads {FEATURE_VERSION}, "
                         f"{HEADS_VERSION}): run `museum train --best-artworks PATH --other-painters PATH`")
    with np.load(directory / HEADS_FILE, allow_pickle=False) as data:
        a = {key: data[key].astype(np.float32) for key in data.files}
    rule = manifest["unknown_rule"]
    bundle = HeadBundle(
        artists=manifest["artists"], genres=manifest["genres"],
        feature_config=FeatureConfig.from_json(manifest["features"]),
        standardizer=Standardizer(a["mean"], a["scale"]),
        artist_head=LinearHead(a["artist_weight"], a["artist_bias"]),
        genre_head=LinearHead(a["genre_weight"], a["genre_bias"]),
        known_head=LinearHead(a["known_weight"], a["known_bias"]),
        temperature=float(manifest["temperature"]),
        distance=DistanceModel(a["basis"], a["whiten"], a["centroids"]) if "basis" in a else None,
        rule=UnknownRule(rule["method"], float(rule["threshold"]), a["rule_centre"], a["rule_spread"]),
    )
    return bundle, manifest
