"""The shortlist by local features (hloc's image retrieval stage, here a bag of visual words as in Sivic and
Zisserman's Video Google): the collection's descriptors are clustered into a vocabulary of visual words once, at
build time; every painting becomes a tf-idf weighted histogram of its words, and a photo's histogram finds the
paintings that share its rarest words. A photo that shows a painting only in part, at an angle or half hidden
keeps enough of its words, where one global vector of the whole photo has moved away (measured in
docs/benchmarks.md: the right painting within the top 10 for every hard photo, against 86% for the global vector).

Only float descriptors (SIFT) are clustered; a collection of binary (ORB) features is shortlisted by its global
vectors alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrieval.local.matching import root_sift

MAX_TRAINING_DESCRIPTORS = 500_000  # k-means on a sample beyond this: the words barely move, the time does
DESCRIPTORS_PER_WORD = 8  # a small collection gets fewer words, so each word is still seen in several paintings


def vocabulary_size(descriptors: int, wanted: int) -> int:
    return int(max(16, min(wanted, descriptors // DESCRIPTORS_PER_WORD)))


def train_vocabulary(descriptors: np.ndarray, size: int, seed: int = 0) -> np.ndarray:
    """float32 [K, D] unit centroids of the RootSIFT form of `descriptors` (uint8 [T, D]), by spherical k-means."""
    import faiss

    rng = np.random.default_rng(seed)
    if len(descriptors) > MAX_TRAINING_DESCRIPTORS:
        descriptors = descriptors[np.sort(rng.choice(len(descriptors), MAX_TRAINING_DESCRIPTORS, replace=False))]
    points = np.ascontiguousarray(root_sift(descriptors))
    size = vocabulary_size(len(points), size)
    kmeans = faiss.Kmeans(points.shape[1], size, niter=10, seed=seed, spherical=True, verbose=False,
                          min_points_per_centroid=1,
                          max_points_per_centroid=max(256, len(points) // size + 1))
    kmeans.train(points)
    return kmeans.centroids.astype(np.float32)


class Vocabulary:
    """Visual words: each descriptor's nearest centroid (inner product of unit RootSIFT vectors)."""

    def __init__(self, centroids: np.ndarray):
        import faiss

        self.centroids = np.ascontiguousarray(centroids, dtype=np.float32)
        self._index = faiss.IndexFlatIP(self.centroids.shape[1])
        self._index.add(self.centroids)

    def __len__(self) -> int:
        return len(self.centroids)

    def words(self, descriptors: np.ndarray) -> np.ndarray:
        """int32 [n] word of each uint8 descriptor."""
        if len(descriptors) == 0:
            return np.zeros(0, np.int32)
        _, nearest = self._index.search(np.ascontiguousarray(root_sift(descriptors)), 1)
        return nearest[:, 0].astype(np.int32)


@dataclass(frozen=True)
class BagOfWords:
    """idf-weighted word sets of the collection's paintings, L2-normalised, as a sparse matrix [N, K].

    A word counts once per image, however often it occurs (Jégou, Douze and Schmid, "On the burstiness of visual
    elements", CVPR 2009): a photo's wall, a visitor's coat or a painting's repeated texture fire the same few words
    hundreds of times, and with counts those words outvote the painting's own. On the validation hard photos of
    `museum bench match` the right painting ranked in the top 10 for 0.678 of them with counts, 0.920 with sets
    (top 30: 0.897 and 0.966; docs/experiments/word_ranks.py)."""

    matrix: object  # scipy.sparse.csc_matrix [N, K]: a word's column lists the paintings holding it (inverted file)
    idf: np.ndarray  # float32 [K]

    @classmethod
    def of(cls, words: np.ndarray, offsets: np.ndarray, size: int) -> "BagOfWords":
        from scipy import sparse

        rows = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
        counts = sparse.csr_matrix((np.ones(len(words), np.float32), (rows, words)), shape=(len(offsets) - 1, size))
        counts.sum_duplicates()
        counts.data[:] = 1.0  # present or not (burstiness, above)
        seen_in = np.bincount(counts.indices, minlength=size)
        idf = np.log((len(offsets) - 1) / np.maximum(seen_in, 1)).astype(np.float32)
        weighted = counts.multiply(idf[None, :]).tocsr()
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        return cls(sparse.diags(1 / np.maximum(norms, 1e-12)).dot(weighted).tocsc(), idf)

    def search(self, words: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows) of the k paintings whose word sets are nearest the photo's `words`, best first. Only
        the columns of the photo's words are read (an inverted file), not every painting's row."""
        present = np.unique(words)
        weights = self.idf[present]
        norm = np.linalg.norm(weights)
        if norm == 0 or self.matrix.shape[0] == 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        scores = np.asarray(self.matrix[:, present].dot(weights / norm)).ravel()
        k = min(k, len(scores))
        rows = np.argpartition(-scores, k - 1)[:k]
        rows = rows[np.argsort(-scores[rows], kind="stable")]
        return scores[rows].astype(np.float32), rows
