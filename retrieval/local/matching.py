"""Stage 2: tentative correspondences between a photo's keypoints and a collection painting's (hloc's
`match_features`). A matcher is chosen by name from a small registry; each takes the two descriptor arrays
and returns int32 [m, 2] pairs (photo row, painting row).

`ratio` is Lowe's test: a photo keypoint's nearest painting descriptor must be clearly nearer than the
second nearest, which drops the repeated textures (foliage, sky, brushwork) that match anywhere. `mutual`
keeps pairs that are each other's nearest, ratio-tested too: fewer, cleaner pairs. SIFT descriptors are
compared as RootSIFT (Hellinger kernel: L2 on the square root of L1-normalised descriptors), which matches
better than raw L2 at no cost; ORB's packed bits by Hamming distance.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from retrieval.local.features import BINARY

Matcher = Callable[[np.ndarray, np.ndarray, str, float], np.ndarray]
MATCHERS: dict[str, Matcher] = {}


def register_matcher(name: str):
    def register(function: Matcher) -> Matcher:
        MATCHERS[name] = function
        return function
    return register


def matcher_named(name: str) -> Matcher:
    try:
        return MATCHERS[name]
    except KeyError:
        raise ValueError(f"no local feature matcher {name!r}; choose one of {', '.join(sorted(MATCHERS))}") from None


def root_sift(descriptors: np.ndarray) -> np.ndarray:
    """uint8 SIFT [n, 128] -> float32 RootSIFT, unit L2 norm."""
    values = descriptors.astype(np.float32)
    values /= np.maximum(values.sum(axis=1, keepdims=True), 1e-6)
    return np.sqrt(values)


def _two_nearest(query: np.ndarray, reference: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(distances [n, 2], rows [n, 2]) of each query descriptor's two nearest reference descriptors."""
    import cv2

    if kind == BINARY:
        matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
        pairs = matcher.knnMatch(query, reference, k=2)
        distances = np.array([[m.distance for m in p] + [np.inf] * (2 - len(p)) for p in pairs], np.float32)
        rows = np.array([[m.trainIdx for m in p] + [-1] * (2 - len(p)) for p in pairs], np.int64)
        return distances.reshape(-1, 2), rows.reshape(-1, 2)
    # Unit vectors: squared distance = 2 - 2 cos, so one matrix product gives every distance; two passes of
    # argmax find the two nearest five times faster than a partial sort.
    similarity = query @ reference.T
    everyone = np.arange(len(query))
    first = similarity.argmax(axis=1)
    best = similarity[everyone, first]
    if reference.shape[0] < 2:
        second, runner_up = np.full_like(first, -1), np.full_like(best, -1.0)
    else:
        similarity[everyone, first] = -np.inf
        second = similarity.argmax(axis=1)
        runner_up = similarity[everyone, second]
    distances = np.sqrt(np.maximum(2 - 2 * np.stack([best, runner_up], axis=1), 0))
    return distances, np.stack([first, second], axis=1)


def prepared(descriptors: np.ndarray, kind: str) -> np.ndarray:
    """Descriptors as the matchers compare them: RootSIFT for float descriptors, the bits as they are for binary."""
    return descriptors if kind == BINARY else root_sift(descriptors)


@register_matcher("ratio")
def ratio_matches(query: np.ndarray, reference: np.ndarray, kind: str, ratio: float) -> np.ndarray:
    """Lowe's ratio test over `prepared` descriptors."""
    if len(query) == 0 or len(reference) == 0:
        return np.zeros((0, 2), np.int32)
    distances, rows = _two_nearest(query, reference, kind)
    keep = distances[:, 0] < ratio * distances[:, 1]
    return np.stack([np.flatnonzero(keep), rows[keep, 0]], axis=1).astype(np.int32)


@register_matcher("mutual")
def mutual_matches(query: np.ndarray, reference: np.ndarray, kind: str, ratio: float) -> np.ndarray:
    """Ratio-tested pairs that are also each other's nearest neighbour."""
    pairs = ratio_matches(query, reference, kind, ratio)
    if len(pairs) == 0:
        return pairs
    _, back = _two_nearest(reference, query, kind)
    return pairs[back[pairs[:, 1], 0] == pairs[:, 0]]
