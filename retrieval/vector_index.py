"""FAISS index over L2-normalised vectors: build, search, save, load.

Inner product on normalised vectors is cosine similarity. Small collections use
the exact `IndexFlatIP`; above `APPROX_THRESHOLD` vectors an HNSW graph keeps
single-query search in the low milliseconds (see `museum bench` for the figures
behind these defaults).
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from data.files import atomic_write_bytes

FLAT = "flat"
HNSW = "hnsw"
AUTO = "auto"
APPROX_THRESHOLD = 100_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 96


def choose_kind(count: int, kind: str = AUTO, threshold: int = APPROX_THRESHOLD) -> str:
    if kind == AUTO:
        return HNSW if count >= threshold else FLAT
    if kind not in (FLAT, HNSW):
        raise ValueError(f"unknown index kind {kind!r}: use auto, flat or hnsw")
    return kind


def build_index(vectors: np.ndarray, kind: str = AUTO, threshold: int = APPROX_THRESHOLD) -> faiss.Index:
    """An index over `vectors` (float32[N, D], normalised); row i gets id i."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim != 2:
        raise ValueError(f"expected a 2-d array of vectors, got shape {vectors.shape}")
    dim = vectors.shape[1]
    if choose_kind(len(vectors), kind, threshold) == HNSW:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(vectors)
    return index


def index_kind(index: faiss.Index) -> str:
    return HNSW if isinstance(index, faiss.IndexHNSW) else FLAT


def search(index: faiss.Index, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(scores float32[Q, k'], ids int64[Q, k']) best first, k' = min(k, index size)."""
    queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
    if queries.shape[1] != index.d:
        raise ValueError(f"query vectors are {queries.shape[1]}-d but the index holds {index.d}-d vectors")
    k = max(0, min(int(k), index.ntotal))
    if k == 0:
        return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
    return index.search(queries, k)


def all_vectors(index: faiss.Index) -> np.ndarray:
    """The stored vectors, row i = id i (flat and HNSW-flat keep them exactly)."""
    if index.ntotal == 0:
        return np.zeros((0, index.d), dtype=np.float32)
    return index.reconstruct_n(0, index.ntotal)


def save_index(index: faiss.Index, path: Path) -> None:
    atomic_write_bytes(path, faiss.serialize_index(index).tobytes())


def load_index(path: Path) -> faiss.Index:
    return faiss.deserialize_index(np.fromfile(path, dtype=np.uint8))
