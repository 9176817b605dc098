"""Stage 1 of recognition: keypoints and descriptors of an image (hloc's `extract_features`).

An extractor is chosen by name from a small registry (`register_extractor`); each returns `LocalFeatures`:
keypoint positions in the pixels of the image as given and compact descriptors (uint8 for SIFT, whose
OpenCV descriptors are integers in 0..255 already; packed bits for ORB), so a painting's features cost a
few tens of kilobytes on disk and nothing has to be recomputed per query but the photo's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from PIL import Image

FLOAT, BINARY = "float", "binary"
# Changes what a stored feature is: a collection's features of another version are extracted again. 2: grey levels
# contrast stretched before detection.
EXTRACTION_VERSION = 2  # how descriptors compare: L2 (on RootSIFT) or Hamming


@dataclass(frozen=True)
class LocalFeatures:
    """Keypoints of one image: `xy` float32 [n, 2] (x, y in the pixels of the image as given, at `size`),
    `descriptors` uint8 [n, D]; aligned row by row."""

    xy: np.ndarray
    descriptors: np.ndarray
    size: tuple[int, int]  # (width, height) of the image the keypoints were found in

    def __len__(self) -> int:
        return len(self.xy)


@dataclass(frozen=True)
class Extractor:
    name: str
    kind: str  # FLOAT or BINARY
    dim: int  # bytes per descriptor
    detect: Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]]  # (grey uint8, max keypoints) -> (xy, desc)


EXTRACTORS: dict[str, Extractor] = {}


def register_extractor(name: str, kind: str, dim: int):
    def register(detect):
        EXTRACTORS[name] = Extractor(name, kind, dim, detect)
        return detect
    return register


def extractor_named(name: str) -> Extractor:
    try:
        return EXTRACTORS[name]
    except KeyError:
        raise ValueError(f"no local feature extractor {name!r}; choose one of {', '.join(sorted(EXTRACTORS))}") \
            from None


def _strongest(keypoints, descriptors, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """The `limit` keypoints of highest response: OpenCV's own cap keeps them in detection order at some sizes."""
    if descriptors is None or not keypoints:
        return np.zeros((0, 2), np.float32), None
    order = np.argsort([-k.response for k in keypoints], kind="stable")[:limit]
    xy = np.array([keypoints[i].pt for i in order], np.float32).reshape(-1, 2)
    return xy, descriptors[order]


@register_extractor("sift", FLOAT, 128)
def _sift(grey: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    import cv2

    # A low contrast threshold keeps keypoints in dim rooms and dark paintings; the cap keeps the strongest.
    keypoints, descriptors = cv2.SIFT_create(contrastThreshold=0.02).detectAndCompute(grey, None)
    xy, descriptors = _strongest(keypoints, descriptors, limit)
    if descriptors is None:
        return xy, np.zeros((0, 128), np.uint8)
    return xy, np.clip(np.rint(descriptors), 0, 255).astype(np.uint8)  # OpenCV's SIFT values are integers already


@register_extractor("orb", BINARY, 32)
def _orb(grey: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    import cv2

    keypoints, descriptors = cv2.ORB_create(nfeatures=limit, scaleFactor=1.2, nlevels=8).detectAndCompute(grey, None)
    xy, descriptors = _strongest(keypoints, descriptors, limit)
    return xy, descriptors if descriptors is not None else np.zeros((0, 32), np.uint8)


def grey_at(image: Image.Image, max_side: int) -> tuple[np.ndarray, float]:
    """The image in grey levels, contrast stretched, shrunk to at most `max_side` pixels on its longest side;
    (pixels, scale) with scale = shrunk / original."""
    scale = min(1.0, max_side / max(image.size))
    grey = image.convert("L")
    if scale < 1.0:
        grey = grey.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                           Image.Resampling.LANCZOS)
    return _stretched(np.asarray(grey)), scale


def _stretched(grey: np.ndarray) -> np.ndarray:
    """Grey levels stretched so the darkest and brightest half percent reach 0 and 255: SIFT's contrast threshold
    is absolute, so a photo taken in a dim room (or a dark, misty painting) kept 27 keypoints where the stretched
    one keeps 2,000, and the descriptors, normalised, are the same either way."""
    low, high = np.percentile(grey, (0.5, 99.5))
    if high - low < 1:
        return grey
    return np.clip((grey.astype(np.float32) - low) * (255.0 / (high - low)), 0, 255).astype(np.uint8)


def extract(image: Image.Image, extractor: str = "sift", max_side: int = 1024, max_keypoints: int = 2000) \
        -> LocalFeatures:
    """Local features of `image` (PIL), found at most `max_side` px large; keypoints in the image's own pixels."""
    grey, scale = grey_at(image, max_side)
    xy, descriptors = extractor_named(extractor).detect(grey, max_keypoints)
    return LocalFeatures(xy / np.float32(scale), descriptors, image.size)
