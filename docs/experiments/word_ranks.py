"""Where the right painting ranks in the visual-word shortlist when a word counts as often as it occurs (tf-idf)
and when it counts once per image (burstiness, retrieval/local/vocabulary.py).

    python docs/experiments/word_ranks.py ../shared/data/best-artworks

The validation mild and hard photos of `museum bench match` (app/bench/match.py); the test half is not read.
Measured (2026-12-07): hard photos, top 1 / 10 / 30 / 50: counts 0.218 / 0.678 / 0.897 / 0.943, sets
0.678 / 0.920 / 0.966 / 0.989; mild photos: counts 0.851 / 0.989 / 1 / 1, sets 1 / 1 / 1 / 1 (87 photos each).
Histogram intersection with idf² and a photo word counted for its 2 or 3 nearest words did no better.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parents[2]))
from app.conversation import paintings
from data.images import load_image
from hard_photos import validation_cases  # this folder: the script's own


def ranks(cases, resources, as_sets: bool) -> dict[str, np.ndarray]:
    store = resources.match_index.local
    offsets, words = np.asarray(store._offsets), store.words
    rows = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    size = len(store.vocabulary)
    counts = np.zeros((len(offsets) - 1, size), np.float32)
    np.add.at(counts, (rows, words), 1.0)
    if as_sets:
        counts = (counts > 0).astype(np.float32)
    idf = np.log(len(counts) / np.maximum((counts > 0).sum(axis=0), 1))
    weighted = counts * idf
    weighted /= np.maximum(np.linalg.norm(weighted, axis=1, keepdims=True), 1e-12)
    found: dict[str, list[int]] = {}
    for case in cases:
        photo = paintings.photo_features(resources, load_image(case.photo))
        histogram = np.bincount(store.vocabulary.words(photo.descriptors), minlength=size).astype(np.float32)
        if as_sets:
            histogram = (histogram > 0).astype(np.float32)
        scores = weighted @ (histogram * idf)
        found.setdefault(case.kind, []).append(int((scores > scores[case.truth[0]]).sum()))
    return {kind: np.array(values) for kind, values in found.items()}


def main(best_artworks: str) -> None:
    _, resources, cases = validation_cases(best_artworks, ("hard", "mild"))
    for as_sets in (False, True):
        for kind, rank in ranks(cases, resources, as_sets).items():
            print(f"{'sets' if as_sets else 'counts'} {kind}: top 1 / 10 / 30 / 50 "
                  + " / ".join(f"{np.mean(rank < k):.3f}" for k in (1, 10, 30, 50)) + f" ({len(rank)} photos)")


if __name__ == "__main__":
    main(sys.argv[1])
