"""Stage 3: geometric verification (hloc's localisation step, for a planar object). The tentative pairs of a
photo and a painting must agree on one homography, the mapping of a flat picture seen in perspective; RANSAC
(OpenCV's MAGSAC++) finds it and the pairs it explains are the inliers. Their count and their share of the
pairs are the evidence that the photo shows that painting; the homography carries the painting's corners into
the photo, which is its outline there.

A homography that folds, flips or shrinks the painting to a sliver explains nothing a camera could see, so
its inliers count as none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrieval.local.features import LocalFeatures

MIN_PAIRS = 8  # fewer tentative pairs cannot outvote chance agreement
MAX_ANISOTROPY = 12.0  # a painting seen at 85 degrees: beyond this the "homography" is degenerate
MIN_AREA_SHARE = 0.002  # of the photo: a painting this small has no keypoints to verify


@dataclass(frozen=True)
class Verification:
    inliers: int
    pairs: int  # tentative pairs verified
    homography: np.ndarray | None  # [3, 3]: painting pixels -> photo pixels
    outline: np.ndarray | None  # [4, 2] float32: the painting's corners (tl, tr, br, bl) in the photo
    inlier_pairs: np.ndarray  # int32 [inliers, 2]: (photo row, painting row)

    @property
    def share(self) -> float:
        return self.inliers / self.pairs if self.pairs else 0.0

    def to_json(self) -> dict:
        return {"inliers": self.inliers, "pairs": self.pairs, "inlier_share": round(self.share, 3),
                "outline": None if self.outline is None else np.round(self.outline, 1).tolist()}


NOTHING = Verification(0, 0, None, None, np.zeros((0, 2), np.int32))


def corners(size: tuple[int, int]) -> np.ndarray:
    width, height = size
    return np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)


def project(homography: np.ndarray, points: np.ndarray) -> np.ndarray:
    """`points` [n, 2] through `homography` [3, 3]."""
    lifted = np.hstack([points, np.ones((len(points), 1), points.dtype)]) @ homography.T
    return (lifted[:, :2] / lifted[:, 2:3]).astype(np.float32)


def plausible(outline: np.ndarray, photo_size: tuple[int, int]) -> bool:
    """A convex quadrilateral, corners in order (no flip), not a sliver, not vanishingly small."""
    edges = np.roll(outline, -1, axis=0) - outline
    turns = edges[:, 0] * np.roll(edges, -1, axis=0)[:, 1] - edges[:, 1] * np.roll(edges, -1, axis=0)[:, 0]
    if not np.all(turns > 0):  # tl, tr, br, bl turn clockwise on screen (y points down); else folded or flipped
        return False
    sides = np.linalg.norm(edges, axis=1)
    if sides.min() <= 0 or max(sides[0] / sides[2], sides[2] / sides[0], sides[1] / sides[3],
                               sides[3] / sides[1]) > MAX_ANISOTROPY:
        return False
    x, y = outline[:, 0], outline[:, 1]
    area = 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    return area >= MIN_AREA_SHARE * photo_size[0] * photo_size[1]


def verify(photo: LocalFeatures, painting: LocalFeatures, pairs: np.ndarray, threshold_px: float = 0.006) \
        -> Verification:
    """The homography (painting -> photo) that most `pairs` agree on, within `threshold_px` x the photo's longest
    side of reprojection error; NOTHING when there are too few pairs or no plausible homography."""
    import cv2

    if len(pairs) < MIN_PAIRS:
        return Verification(0, len(pairs), None, None, NOTHING.inlier_pairs)
    source = painting.xy[pairs[:, 1]].reshape(-1, 1, 2)
    target = photo.xy[pairs[:, 0]].reshape(-1, 1, 2)
    homography, mask = cv2.findHomography(source, target, cv2.USAC_MAGSAC, threshold_px * max(photo.size),
                                          maxIters=2000, confidence=0.999)
    if homography is None or mask is None:
        return Verification(0, len(pairs), None, None, NOTHING.inlier_pairs)
    outline = project(homography, corners(painting.size))
    if not np.all(np.isfinite(outline)) or not plausible(outline, photo.size):
        return Verification(0, len(pairs), None, None, NOTHING.inlier_pairs)
    inlier_pairs = pairs[mask.ravel().astype(bool)]
    return Verification(len(inlier_pairs), len(pairs), homography, outline, inlier_pairs)
