"""Retrieval benchmarks: figures to print, never asserted by tests.

- build throughput: the whole pipeline (decode + preprocess + forward) vs the forward alone
- `similar` latency with the model resident, and the share spent outside the forward
- search at scale on synthetic clustered vectors: single-query p50/p95, recall@10 vs exact, memory
- incremental rebuild of an unchanged corpus
"""

from __future__ import annotations

import logging
import resource
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from data.images import load_image
from data.records import Artwork
from retrieval.embed import embed_paths
from retrieval.encoders import Encoder, normalize
from retrieval.store import Corpus, build_store, load_store
from retrieval.vector_index import FLAT, HNSW, build_index, search

log = logging.getLogger(__name__)


def percentiles(seconds: list[float]) -> dict:
    ms = np.asarray(seconds) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 3), "p95_ms": round(float(np.percentile(ms, 95)), 3)}


def bench_build_throughput(encoder: Encoder, paths: list[Path], batch_size: int = 32, workers: int = 2) -> dict:
    """Images/s of the pipeline vs of the encoder forward alone on the same, pre-decoded images."""
    embed_paths(encoder, paths[:batch_size], batch_size, workers)  # warm-up: first forwards are slower
    started = time.perf_counter()
    result = embed_paths(encoder, paths, batch_size, workers)
    pipeline = time.perf_counter() - started
    tensors = [encoder.preprocess(load_image(paths[i])) for i in result.ok]
    started = time.perf_counter()
    for start in range(0, len(tensors), batch_size):
        encoder.embed_batch(torch.stack(tensors[start:start + batch_size]))
    forward = time.perf_counter() - started
    n = len(result.ok)
    return {"images": n, "pipeline_img_per_s": round(n / pipeline, 1), "forward_only_img_per_s": round(n / forward, 1),
            "pipeline_vs_forward": round(forward / pipeline, 3)}


def bench_similar_latency(encoder: Encoder, index_dir: Path, paths: list[Path], k: int = 10) -> dict:
    """Latency of one `similar` query (decode, preprocess, forward, search) with everything resident."""
    from retrieval.query import similar_to_vector

    loaded = load_store(index_dir, encoder.name)
    totals, forwards = [], []
    for path in [paths[0]] * 3 + paths:  # the first three are warm-up
        started = time.perf_counter()
        batch = encoder.preprocess(load_image(path))[None]
        before_forward = time.perf_counter()
        vector = encoder.embed_batch(batch)
        forward = time.perf_counter() - before_forward
        similar_to_vector(loaded, vector, k)
        totals.append(time.perf_counter() - started)
        forwards.append(forward)
    totals, forwards = totals[3:], forwards[3:]
    overhead = 1 - float(np.median(forwards)) / float(np.median(totals))
    return {"queries": len(paths), **percentiles(totals), "forward_p50_ms": percentiles(forwards)["p50_ms"],
            "share_outside_forward": round(overhead, 3)}


def synthetic_vectors(count: int, dim: int, latent_dim: int = 48, clusters: int = 2000, noise: float = 0.05,
                      seed: int = 0) -> np.ndarray:
    """Unit vectors shaped like real image embeddings: clustered, with a low intrinsic dimension.

    Uniform noise on the 1280-d sphere has no meaningful neighbours (every pair is
    at about 90 degrees), so no index could be judged on it; this mixture of clusters
    in a random 48-d subspace, plus a little full-dimensional noise, can be.
    """
    rng = np.random.default_rng(seed)
    basis = rng.standard_normal((latent_dim, dim), dtype=np.float32) / np.sqrt(latent_dim)
    centres = rng.standard_normal((clusters, latent_dim), dtype=np.float32)
    out = np.empty((count, dim), dtype=np.float32)
    for start in range(0, count, 100_000):
        stop = min(count, start + 100_000)
        latent = centres[rng.integers(0, clusters, stop - start)] + 0.5 * rng.standard_normal((stop - start, latent_dim), dtype=np.float32)
        out[start:stop] = normalize(latent @ basis + noise * rng.standard_normal((stop - start, dim), dtype=np.float32))
    return out


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_search_scale(count: int, dim: int, queries: int = 200, kinds=(FLAT, HNSW), seed: int = 0) -> dict:
    """Single-query latency and recall@10 of each index kind against exact search."""
    vectors = synthetic_vectors(count, dim, seed=seed)
    rng = np.random.default_rng(seed + 1)
    probe = synthetic_vectors(queries, dim, seed=seed)  # same distribution, new points
    results, truth = {}, None
    for kind in (FLAT, *[k for k in kinds if k != FLAT]):
        started = time.perf_counter()
        index = build_index(vectors, kind)
        build_s = time.perf_counter() - started
        timings, found = [], []
        for query in probe:
            started = time.perf_counter()
            found.append(search(index, query[None], 10)[1][0])
            timings.append(time.perf_counter() - started)
        found = np.asarray(found)
        if kind == FLAT:
            truth = found
        recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(truth, found)]))
        results[kind] = {"build_s": round(build_s, 1), **percentiles(timings), "recall_at_10": round(recall, 4),
                         "index_mb_estimate": round(count * (dim * 4 + (HNSW_LINK_BYTES if kind == HNSW else 0)) / 2**20),
                         "process_peak_rss_mb": round(_rss_mb())}
        del index
    return {"vectors": count, "dim": dim, "data_mb": round(vectors.nbytes / 2**20), **results}


HNSW_LINK_BYTES = 2 * 32 * 4  # about 2*M neighbour ids (int32) per vector on level 0


def bench_incremental(load_records: Callable[[], list[Artwork]], encoder: Encoder, corpus: Corpus,
                      index_dir: Path | None = None) -> dict:
    """Seconds for a rebuild of an unchanged corpus, corpus scan included (the index is built first if needed)."""
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(index_dir or scratch)
        first = build_store(load_records(), encoder, directory, corpus)
        started = time.perf_counter()
        records = load_records()
        again = build_store(records, encoder, directory, corpus)
        return {"images": len(records), "first_build_s": round(first.seconds, 1),
                "unchanged_rebuild_s": round(time.perf_counter() - started, 2), "re_encoded": again.encoded}
