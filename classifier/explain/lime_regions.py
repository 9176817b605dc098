"""LIME superpixel explanations, made fast enough for a kiosk.

LIME's defaults (full-resolution quickshift, 1,000 perturbed images, batch 10)
take about a minute per image here. What makes it fast without making it noise:
- segment the picture as the classifier sees it (S x S, S = its input size) with
  SLIC into a few compact regions, so each perturbed image is one forward at S;
- batch the forwards (`LimeSettings.batch_size`);
- few regions and samples: with 12 regions a ridge fit needs a few times as many
  samples, not 1,000 (both chosen by measurement, docs/explanations.md);
- a fixed random state (same image -> same explanation) and a cache keyed by
  (image sha256, label, model, settings): an LRU in memory plus optional .npz files.
Hidden regions are painted mid-grey, the colour the backbone's normalisation maps
to zero, which is also what the deletion test (app.bench.explain) removes.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from data.files import atomic_write_bytes

log = logging.getLogger(__name__)

GREY = 127
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class LimeSettings:
    n_segments: int = 12  # chosen by measurement: docs/explanations.md
    compactness: float = 20.0
    num_samples: int = 96
    batch_size: int = 32
    seed: int = 0

    def key(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


# LIME's own defaults, for the timing comparison (quickshift at full resolution).
LIME_DEFAULTS = {"num_samples": 1000, "batch_size": 10}


@dataclass
class LimeResult:
    segments: np.ndarray  # int [S, S], region ids 0..R-1
    weights: np.ndarray  # float [R]: each region's effect on the label's probability
    label: int
    score: float  # R^2 of the local linear fit
    probability: float  # the label's probability on the untouched image

    def ranked(self) -> np.ndarray:
        """Region ids, most supporting first."""
        return np.argsort(-self.weights, kind="stable")


def segment(array: np.ndarray, settings: LimeSettings) -> np.ndarray:
    # Imported on the first LIME request, like lime below: scikit-image's SLIC took 0.36 s to import, which
    # a heatmap, the default explanation, never needs.
    from skimage.segmentation import slic

    return slic(array, n_segments=settings.n_segments, compactness=settings.compactness, start_label=0,
                channel_axis=-1).astype(np.int32)


def grey_out(array: np.ndarray, segments: np.ndarray, regions) -> np.ndarray:
    out = array.copy()
    out[np.isin(segments, list(regions))] = GREY
    return out


def run_lime(probabilities: Callable[[np.ndarray], np.ndarray], array: np.ndarray, label: int,
             settings: LimeSettings = LimeSettings(), progress: Progress | None = None) -> LimeResult:
    """LIME for one uint8 [S, S, 3] picture and one label index (no caching)."""
    segments = segment(array, settings)
    done, original = [0], []

    def classifier_fn(images: np.ndarray) -> np.ndarray:
        result = probabilities(images)
        if not original:  # LIME's first sample is the untouched picture
            original.append(float(result[0, label]))
        done[0] += len(images)
        if progress:
            progress(min(1.0, done[0] / settings.num_samples), "LIME: testing which regions matter")
        return result

    # lime loads scikit-learn and scipy.stats (0.6 s in python -X importtime).
    from lime import lime_image

    explainer = lime_image.LimeImageExplainer(random_state=settings.seed)
    explanation = explainer.explain_instance(
        array, classifier_fn, labels=(label,), top_labels=None, hide_color=GREY,
        num_features=int(segments.max()) + 1, num_samples=settings.num_samples, batch_size=settings.batch_size,
        segmentation_fn=lambda _image: segments, random_seed=settings.seed)
    weights = np.zeros(int(segments.max()) + 1, dtype=np.float32)
    for region, weight in explanation.local_exp[label]:
        weights[region] = weight
    score = explanation.score[label] if isinstance(explanation.score, dict) else explanation.score
    return LimeResult(segments, weights, label, float(score), original[0])


class LimeCache:
    """LRU of LimeResults (thread-safe), optionally persisted as .npz under `directory`."""

    def __init__(self, size: int = 64, directory: Path | None = None):
        self.size, self.directory = size, directory
        self._items: OrderedDict[str, LimeResult] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(array: np.ndarray, label: int, model: str, settings: LimeSettings) -> str:
        digest = hashlib.sha256(np.ascontiguousarray(array).tobytes())
        digest.update(f"{array.shape}|{label}|{model}|{settings.key()}".encode())
        return digest.hexdigest()

    def get(self, key: str) -> LimeResult | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        path = self.directory / f"lime-{key}.npz" if self.directory else None
        if path and path.is_file():
            with np.load(path, allow_pickle=False) as data:
                result = LimeResult(data["segments"], data["weights"], int(data["label"]), float(data["score"]),
                                    float(data["probability"]))
            self._remember(key, result)
            return result
        return None

    def put(self, key: str, result: LimeResult) -> None:
        self._remember(key, result)
        if self.directory:
            buffer = io.BytesIO()
            np.savez_compressed(buffer, segments=result.segments, weights=result.weights, label=result.label,
                                score=result.score, probability=result.probability)
            self.directory.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(self.directory / f"lime-{key}.npz", buffer.getvalue())

    def _remember(self, key: str, result: LimeResult) -> None:
        with self._lock:
            self._items[key] = result
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def cached_lime(probabilities, array: np.ndarray, label: int, model: str, cache: LimeCache,
                settings: LimeSettings = LimeSettings(), progress: Progress | None = None) -> LimeResult:
    key = cache.key(array, label, model, settings)
    if (hit := cache.get(key)) is not None:
        log.debug("LIME cache hit %s", key[:12])
        return hit
    result = run_lime(probabilities, array, label, settings, progress)
    cache.put(key, result)
    return result
