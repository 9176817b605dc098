"""Example-based explanation: the paintings by the predicted artist that look most alike."""

from __future__ import annotations

import numpy as np

from classifier.labels import match_artist
from retrieval.query import Hit, similar_to_vector
from retrieval.store import LoadedIndex

POOL = 200  # neighbours searched before keeping the artist's own paintings
SAME_PICTURE = 0.99  # a hit this close is the visitor's picture itself, not an example


def examples_by_artist(loaded: LoadedIndex, vector: np.ndarray, artist: str, k: int = 3) -> list[Hit]:
    """The `k` nearest other paintings in `loaded` whose artist is `artist` (display names matched
    like the classifier's labels, e.g. the Met's "Auguste Renoir"), best first; [] if none."""
    hits = similar_to_vector(loaded, np.asarray(vector, np.float32).reshape(1, -1), min(POOL, len(loaded.records)))
    return [hit for hit in hits if hit.score < SAME_PICTURE and match_artist(hit.record.artist, [artist])][:k]
