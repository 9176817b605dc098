"""Stage 4: which collection paintings a photo shows (hloc's localisation, for paintings): the shortlist from the
global vectors (FAISS), each candidate's local features matched and verified, and a rule on the evidence.

A candidate is recognised when its homography explains at least `min_inliers` pairs, which chance does not reach
(`museum bench match` measures how far other paintings get). Two recognised candidates whose outlines cover the
same part of the photo are one painting seen twice in the collection (a near-copy): the better verified stays.
Of the paintings left, the one a visitor means is the one under the photo's centre, else the largest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrieval.local.features import LocalFeatures, extractor_named
from retrieval.local.matching import matcher_named, prepared
from retrieval.local.store import LocalFeatureStore
from retrieval.local.verification import Verification, verify


@dataclass(frozen=True)
class MatchRule:
    """How candidates are matched and what counts as recognised (Settings: match_*)."""

    matcher: str = "ratio"
    ratio: float = 0.8
    min_inliers: int = 15
    threshold_px: float = 0.006  # RANSAC's reprojection error, as a share of the photo's longest side


@dataclass(frozen=True)
class Recognised:
    row: int  # index row of the collection painting
    verification: Verification
    area: float  # share of the photo its outline covers
    centred: bool  # the photo's centre lies inside its outline


def verify_candidates(photo: LocalFeatures, store: LocalFeatureStore, rows, rule: MatchRule) \
        -> list[tuple[int, Verification]]:
    """(row, verification) for each candidate row, in the order given."""
    kind = extractor_named(store.spec.extractor).kind
    query = prepared(photo.descriptors, kind)
    match = matcher_named(rule.matcher)
    out = []
    for row in rows:
        painting = store.features(int(row))
        pairs = match(query, prepared(painting.descriptors, kind), kind, rule.ratio)
        out.append((int(row), verify(photo, painting, pairs, rule.threshold_px)))
    return out


def _area(outline: np.ndarray) -> float:
    x, y = outline[:, 0], outline[:, 1]
    return float(0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def _contains(outline: np.ndarray, point: np.ndarray) -> bool:
    edges = np.roll(outline, -1, axis=0) - outline
    to_point = point - outline
    return bool(np.all(edges[:, 0] * to_point[:, 1] - edges[:, 1] * to_point[:, 0] >= 0))


def _same_place(first: np.ndarray, second: np.ndarray) -> bool:
    """Two outlines over the same painting in the photo: either one's centre lies inside the other."""
    return _contains(first, second.mean(axis=0)) or _contains(second, first.mean(axis=0))


def decide(verified: list[tuple[int, Verification]], photo_size: tuple[int, int], rule: MatchRule) \
        -> list[Recognised]:
    """The recognised paintings, the one a visitor means first (under the centre, else the largest), each place in
    the photo once (the best verified candidate for it)."""
    width, height = photo_size
    centre = np.array([width / 2, height / 2], np.float32)
    passed = sorted(((row, v) for row, v in verified if v.inliers >= rule.min_inliers),
                    key=lambda item: -item[1].inliers)
    kept: list[Recognised] = []
    for row, verification in passed:
        if any(_same_place(verification.outline, other.verification.outline) for other in kept):
            continue
        kept.append(Recognised(row, verification, _area(verification.outline) / (width * height),
                               _contains(verification.outline, centre)))
    return sorted(kept, key=lambda r: (not r.centred, -r.area))


def recognise(photo: LocalFeatures, store: LocalFeatureStore, candidates, rule: MatchRule) -> list[Recognised]:
    """The collection paintings among `candidates` (index rows, e.g. a FAISS shortlist) that the photo shows."""
    return decide(verify_candidates(photo, store, candidates, rule), photo.size, rule)
