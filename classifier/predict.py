"""The classifier the app keeps resident: one backbone forward per image, then the heads.

`load_classifier(encoder, heads_dir)` returns a `Classifier` (trained heads) or, for a
CLIP encoder without trained heads, the zero-shot fallback; both answer
`predict_images(list[PIL]) -> list[Prediction]` and `predict_paths(paths)`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PIL import Image

from classifier.evidence import PrototypesError, StylePrototypes, load_prototypes
from classifier.features import extract
from classifier.model import HEADS_FILE, HeadBundle, HeadsError, Outputs, load_bundle, read_manifest
from classifier.photo import find_painting, found_view
from classifier.photo_calibration import PhotoCalibration, PhotoCalibrationError, load_photo_calibration
from classifier.results import PathResult, Prediction, predictions_from
from data.images import taken_by_camera
from retrieval.encoders import OPEN_CLIP_PREFIX, normalize
from retrieval.style_features import StyleExtractor

log = logging.getLogger(__name__)

class Classifier:
    """Trained heads over the style features of one EfficientNet-Lite forward.

    Every image first goes through `find_painting`, which crops a photographed
    painting out of its wall and frame and leaves a clean reproduction as it is. A picture a camera took
    (`taken_by_camera`) is answered with the photo calibration when the heads have one.
    """

    def __init__(self, extractor: StyleExtractor, bundle: HeadBundle, manifest: dict,
                 batch_size: int = 32, workers: int = 2, prototypes: StylePrototypes | None = None,
                 photo: PhotoCalibration | None = None):
        self.extractor, self.bundle, self.manifest = extractor, bundle, manifest
        self.prototypes, self.photo = prototypes, photo
        self.batch_size, self.workers = batch_size, workers

    @property
    def artists(self) -> list[str]:
        return self.bundle.artists

    def _answer(self, styles: np.ndarray, pooled: np.ndarray, photographed: list[bool]) -> list[Prediction]:
        photographed = np.asarray(photographed, bool) if self.photo is not None else None
        out: Outputs = self.bundle(styles, photographed, self.photo)
        agrees = None if self.prototypes is None else \
            self.prototypes.nearest_painter(styles) == out.probabilities.argmax(axis=1)
        return predictions_from(out.probabilities, out.genre_probabilities, out.known, out.known_score,
                                self.bundle.artists, self.bundle.genres, normalize(pooled), agrees=agrees,
                                photographed=photographed)

    def predict_images(self, images: list[Image.Image]) -> list[Prediction]:
        if not images:
            return []
        return self.predict_paintings([find_painting(image) for image in images],
                                      [taken_by_camera(image) for image in images])[0]

    def predict_paintings(self, paintings: list[Image.Image],
                          photographed: list[bool]) -> tuple[list[Prediction], np.ndarray]:
        """Predictions and style features [N, F] of paintings already found in their pictures (`find_painting`),
        `photographed[i]` when picture i was taken by a camera (`taken_by_camera` of the picture, not the found
        painting): the one forward the app reads for everything it says about a painting."""
        styles, pooled = self.extractor.features_of(paintings)
        return self._answer(styles, pooled, photographed), styles

    def predict_paths(self, paths: list[Path], on_batch=None) -> list[PathResult]:
        result = extract(self.extractor, list(paths), found_view, batch_size=self.batch_size, workers=self.workers,
                         on_batch=on_batch)
        good = [i for i in range(len(paths)) if i not in result.failed]
        photographed = [_file_taken_by_camera(paths[i]) for i in good]
        answers = dict(zip(good, self._answer(result.styles[good], result.pooled[good], photographed))) \
            if good else {}
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
    try:
        prototypes = load_prototypes(heads_dir, bundle.artists)
    except PrototypesError as error:  # the heads still answer; only "fairly sure" loses its second opinion
        log.warning("%s; answering without style prototypes", error)
        prototypes = None
    try:
        photo = load_photo_calibration(heads_dir, Path(heads_dir) / HEADS_FILE)
    except PhotoCalibrationError as error:  # photos are then answered as reproductions are
        log.warning("%s; answering photos with the reproductions' calibration", error)
        photo = None
    return Classifier(StyleExtractor(bundle.feature_config), bundle, manifest, batch_size, workers, prototypes,
                      photo)


def _file_taken_by_camera(path: Path) -> bool:
    """`taken_by_camera` from the file's header alone (the pixels were decoded by the batch already)."""
    try:
        with Image.open(path) as image:
            return taken_by_camera(image)
    except (OSError, ValueError, SyntaxError):
        return False
