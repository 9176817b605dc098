"""FAISS index over L2-normalised vectors: build, search, save, load.

Inner product on normalised vectors is cosine similarity. Small collections use
the exact `IndexFlatIP`; above `APPROX_THRESHOLD` vectors an HNSW graph keeps
single-query search in the low milliseconds; above `IVFPQ_THRESHOLD` an IVF-PQ
index (inverted lists of product-quantised codes) keeps millions of vectors in a
few bytes each, and FAISS's `IndexRefine` re-ranks the `k * k_factor` best of its
candidates with a finer copy (8-bit scalar-quantised by default), which brings
back the recall the coarse codes lose. It is trained on a sample and filled chunk
by chunk, so the float32 vectors are never all in memory (see `museum bench
search|scale` for the figures behind these defaults).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterable

import faiss
import numpy as np

from data.files import atomic_write_with

FLAT = "flat"
HNSW = "hnsw"
IVFPQ = "ivfpq"
AUTO = "auto"
KINDS = (FLAT, HNSW, IVFPQ)
APPROX_THRESHOLD = 100_000
IVFPQ_THRESHOLD = 1_000_000  # HNSW needs ~5 GB of RAM per million 1280-d vectors; IVF-PQ ~0.1 GB
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 96



# The FAISS factory code of each re-ranking copy, by the scalar quantiser type FAISS reports back.
REFINE_CODES = {"QT_8bit": "SQ8", "QT_fp16": "SQfp16", "QT_6bit": "SQ6", "QT_4bit": "SQ4"}
MAX_AUTO_PQ_CODES = 64


@dataclass(frozen=True)
class IvfPqParams:
    """An IVF-PQ index: `pca` dims after a PCA rotation (0: none), `nlist` inverted lists, `m` codes of `nbits` bits,
    re-ranked by a `refine` copy (a FAISS factory code: SQ8, SQfp16, Flat; "" for none).

    `nlist=0` picks about 4 * sqrt(N) lists (a power of two) for N vectors; `m=0` the largest
    divisor of the dimension up to 64, since PQ cuts a vector into `m` equal parts (the 49-d
    style embedding: one 4-bit code a dimension, 24.5 bytes). At search time `nprobe` lists
    are scanned and the best `k * k_factor` codes re-ranked by the refine copy (both recorded
    in the manifest, both overridable when loading).
    """

    pca: int = 0
    nlist: int = 0
    m: int = 0
    nbits: int = 4
    nprobe: int = 32
    refine: str = "SQfp16"
    k_factor: int = 8
    train_size: int = 100_000

    def sample_size(self, count: int) -> int:
        """Vectors the index is trained on when it holds `count`."""
        return min(count, self.train_size)

    def lists_for(self, count: int) -> int:
        if self.nlist:
            return self.nlist
        return int(min(65536, max(64, 2 ** round(np.log2(4 * np.sqrt(max(count, 1)))))))

    def codes_for(self, dim: int) -> int:
        if self.m:
            return self.m
        return max(m for m in range(1, min(MAX_AUTO_PQ_CODES, dim) + 1) if dim % m == 0)

    def factory(self, dim: int, count: int) -> str:
        pca = f"PCAR{self.pca}," if self.pca and self.pca < dim else ""
        coded = self.pca if pca else dim
        refine = f",Refine({self.refine})" if self.refine else ""
        # An HNSW graph over the list centroids assigns each vector in far fewer distance computations
        # than a flat scan of thousands of centroids: the bulk of the time of adding millions.
        return f"{pca}IVF{self.lists_for(count)}_HNSW32,PQ{self.codes_for(coded)}x{self.nbits}{refine}"


def choose_kind(count: int, kind: str = AUTO, threshold: int = APPROX_THRESHOLD,
                ivfpq_threshold: int = IVFPQ_THRESHOLD) -> str:
    if kind == AUTO:
        return IVFPQ if count >= ivfpq_threshold else HNSW if count >= threshold else FLAT
    if kind not in KINDS:
        raise ValueError(f"unknown index kind {kind!r}: use auto, {', '.join(KINDS)}")
    return kind


def new_ivfpq(dim: int, count: int, params: IvfPqParams = IvfPqParams()) -> faiss.Index:
    """An untrained IVF-PQ index sized for `count` vectors."""
    index = faiss.index_factory(dim, params.factory(dim, count), faiss.METRIC_INNER_PRODUCT)
    ivf = faiss.downcast_index(faiss.extract_index_ivf(index))
    set_search_params(index, params.nprobe, params.k_factor)
    # Polysemous training (simulated annealing of the code order, for Hamming pre-filtering, which this
    # index does not use) took minutes on its own for a 20k-vector sample here.
    ivf.do_polysemous_training = False
    return index


def fill_in_chunks(index: faiss.Index, chunks: Iterable[np.ndarray]) -> faiss.Index:
    for chunk in chunks:
        index.add(np.ascontiguousarray(chunk, dtype=np.float32))
    return index


def build_index_from_rows(count: int, dim: int, take: Callable[[np.ndarray], np.ndarray], kind: str = AUTO,
                          threshold: int = APPROX_THRESHOLD, ivfpq_threshold: int = IVFPQ_THRESHOLD,
                          ivfpq: IvfPqParams = IvfPqParams(), chunk_rows: int = 65_536, seed: int = 0) -> faiss.Index:
    """An index over `count` vectors that `take(row numbers) -> float32[n, D]` reads on demand.

    Flat and HNSW indexes hold every vector anyway, so they are read at once; an
    IVF-PQ index is trained on a random sample and filled `chunk_rows` at a time.
    """
    chosen = choose_kind(count, kind, threshold, ivfpq_threshold)
    if chosen != IVFPQ:
        return build_index(take(np.arange(count)), chosen)
    index = new_ivfpq(dim, count, ivfpq)
    sample = np.random.default_rng(seed).choice(count, ivfpq.sample_size(count), replace=False)
    index.train(np.ascontiguousarray(take(np.sort(sample)), dtype=np.float32))
    return fill_in_chunks(index, (take(np.arange(start, min(count, start + chunk_rows)))
                                  for start in range(0, count, chunk_rows)))


def set_search_params(index: faiss.Index, nprobe: int | None = None, k_factor: int | None = None) -> None:
    """Lists scanned per query by an IVF index and candidates re-ranked per result (no effect on other kinds)."""
    if index_kind(index) != IVFPQ:
        return
    space = faiss.ParameterSpace()  # FAISS's own setter reaches through the refine and transform wrappers
    if nprobe:
        space.set_index_parameter(index, "nprobe", int(nprobe))
    if k_factor and isinstance(index, faiss.IndexRefine):
        space.set_index_parameter(index, "k_factor_rf", int(k_factor))


def describe(index: faiss.Index, trained_on: int = 0) -> dict:
    """Kind and parameters, for the manifest; `trained_on` is the IVF-PQ training sample's size (FAISS does not
    keep it)."""
    kind = index_kind(index)
    if kind == HNSW:
        return {"kind": kind, "M": HNSW_M, "ef_search": int(index.hnsw.efSearch)}
    if kind == IVFPQ:
        ivf = faiss.extract_index_ivf(index)
        pq = faiss.downcast_index(ivf).pq
        refined = faiss.downcast_index(index) if isinstance(index, faiss.IndexRefine) else None
        coarse = faiss.downcast_index(refined.base_index) if refined else index
        pca = coarse.chain.at(0).d_out if isinstance(coarse, faiss.IndexPreTransform) else 0
        return {"kind": kind, **asdict(IvfPqParams(
            pca=int(pca), nlist=int(ivf.nlist), m=int(pq.M), nbits=int(pq.nbits), nprobe=int(ivf.nprobe),
            refine=_refine_code(refined.refine_index) if refined else "",
            k_factor=int(refined.k_factor) if refined else 1, train_size=int(trained_on)))}
    return {"kind": kind}


def _refine_code(index: faiss.Index) -> str:
    index = faiss.downcast_index(index)
    if isinstance(index, faiss.IndexScalarQuantizer):
        return next(code for name, code in REFINE_CODES.items()
                    if index.sq.qtype == getattr(faiss.ScalarQuantizer, name))
    return "Flat"


def build_index(vectors: np.ndarray, kind: str = AUTO, threshold: int = APPROX_THRESHOLD) -> faiss.Index:
    """A flat or HNSW index over `vectors` (float32[N, D], normalised); row i gets id i."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim != 2:
        raise ValueError(f"expected a 2-d array of vectors, got shape {vectors.shape}")
    dim = vectors.shape[1]
    chosen = choose_kind(len(vectors), kind, threshold, ivfpq_threshold=len(vectors) + 1)
    if chosen == IVFPQ:
        raise ValueError("an IVF-PQ index is trained and filled in chunks: use build_index_from_rows")
    if chosen == HNSW:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(vectors)
    return index


def index_kind(index: faiss.Index) -> str:
    if isinstance(index, faiss.IndexHNSW):
        return HNSW
    try:
        faiss.extract_index_ivf(index)
        return IVFPQ
    except RuntimeError:  # not an IVF index
        return FLAT


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
    """The stored vectors, row i = id i (flat and HNSW-flat keep them exactly; IVF-PQ only approximately)."""
    if index_kind(index) == IVFPQ:
        raise ValueError("an IVF-PQ index keeps compressed codes, not the vectors: read them from its shards")
    if index.ntotal == 0:
        return np.zeros((0, index.d), dtype=np.float32)
    return index.reconstruct_n(0, index.ntotal)


def save_index(index: faiss.Index, path: Path) -> None:
    # FAISS writes the file itself: no second in-memory copy of a gigabyte-sized index.
    atomic_write_with(path, lambda temporary: faiss.write_index(index, str(temporary)))


def load_index(path: Path) -> faiss.Index:
    return faiss.read_index(str(path))
