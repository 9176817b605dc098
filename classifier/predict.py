"""The classifier the app keeps resident: one backbone forward per image, then the heads.

`load_classifier(encoder, heads_dir)` returns a `Classifier` (trained heads) or, for a
CLIP encoder without trained heads, the zero-shot fallback; both answer
`predict_images(list[PIL]) -> list[Prediction]` and `predict_paths(paths)`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from classifier.features import StyleExtractor, extract
from classifier.model import HeadBundle, HeadsError, Outputs, load_bundle, read_manifest
from classifier.photo import find_painting, found_view
from retrieval.encoders import OPEN_CLIP_PREFIX, normalize

log = logging.getLogger(__name__)

TOP_ARTISTS, TOP_GENRES = 5, 3


@dataclass
class Prediction:
    artist: str | None  # None exactly when not known
    known: bool
    confidence: float  # calibrated probability of the top artist
    top: list[tuple[str, float]]
    genres: list[tuple[str, float]]
    embedding: np.ndarray = field(repr=False)  # L2-normalised pooled backbone vector, for similarity search
    method: str = "trained"

    def to_json(self, image: str) -> dict:
        answer = {"image": image, "artist": self.artist, "known": self.known, "confidence": round(self.confidence, 4),
                  "top": [{"artist": a, "probability": round(p, 4)} for a, p in self.top],
                  "genres": [{"genre": g, "probability": round(p, 4)} for g, p in self.genres]}
        if self.method != "trained":
            answer["method"] = self.method
        return answer


@dataclass
class PathResult:
    path: Path
    prediction: Prediction | None
    error: str | None = None

    def to_json(self) -> dict:
        if self.prediction is None:
            return {"image": str(self.path), "error": self.error}
        return self.prediction.to_json(str(self.path))


def predictions_from(probabilities: np.ndarray, genre_probabilities: np.ndarray, known: np.ndarray,
                     artists: list[str], genres: list[str], embeddings: np.ndarray,
                     method: str = "trained") -> list[Prediction]:
    answers = []
    for row in range(len(probabilities)):
        order = np.argsort(-probabilities[row])[:TOP_ARTISTS]
        genre_order = np.argsort(-genre_probabilities[row])[:TOP_GENRES]
        is_known = bool(known[row])
        answers.append(Prediction(
            artist=artists[order[0]] if is_known else None, known=is_known,
            confidence=float(probabilities[row, order[0]]),
            top=[(artists[i], float(probabilities[row, i])) for i in order],
            genres=[(genres[i], float(genre_probabilities[row, i])) for i in genre_order],
            embedding=embeddings[row], method=method))
    return answers


class Classifier:
    """Trained heads over the style features of one EfficientNet-Lite forward.

    Every image first goes through `find_painting`, which crops a photographed
    painting out of its wall and frame and leaves a clean reproduction as it is.
    """

    def __init__(self, extractor: StyleExtractor, bundle: HeadBundle, manifest: dict,
                 batch_size: int = 32, workers: int = 2):
        self.extractor, self.bundle, self.manifest = extractor, bundle, manifest
        self.batch_size, self.workers = batch_size, workers

    @property
    def artists(self) -> list[str]:
        return self.bundle.artists

    def _answer(self, styles: np.ndarray, pooled: np.ndarray) -> list[Prediction]:
        out: Outputs = self.bundle(styles)
        return predictions_from(out.probabilities, out.genre_probabilities, out.known, self.bundle.artists,
                                self.bundle.genres, normalize(pooled))

    def predict_images(self, images: list[Image.Image]) -> list[Prediction]:
        if not images:
            return []
        return self._answer(*self.extractor.features_of([find_painting(image) for image in images]))

    def predict_paths(self, paths: list[Path], on_batch=None) -> list[PathResult]:
        result = extract(self.extractor, list(paths), found_view, batch_size=self.batch_size, workers=self.workers,
                         on_batch=on_batch)
        good = [i for i in range(len(paths)) if i not in result.failed]
        answers = dict(zip(good, self._answer(result.styles[good], result.pooled[good]))) if good else {}
        return [PathResult(Path(p), answers.get(i), result.failed.get(i)) for i, p in enumerate(paths)]


def load_classifier(encoder: str, heads_dir: Path, batch_size: int = 32, workers: int = 2):
    """The trained classifier for `encoder`, or the CLIP zero-shot fallback when it has no heads."""
    try:
        read_manifest(heads_dir)
    except HeadsError:
        if encoder.startswith(OPEN_CLIP_PREFIX):
            from classifier.zeroshot import ZeroShotClassifier

            log.warning("no trained heads for %s in %s: using CLIP zero-shot prompts", encoder, heads_dir)
            return ZeroShotClassifier.load(encoder, batch_size=batch_size, workers=workers)
        raise
    bundle, manifest = load_bundle(heads_dir, encoder)
    return Classifier(StyleExtractor(bundle.feature_config), bundle, manifest, batch_size, workers)
