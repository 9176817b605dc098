"""Retrieval benchmarks: figures to print, never asserted by tests.

- build throughput: the whole pipeline (decode + preprocess + forward) vs the forward alone
- `similar` latency with the model resident, and the share spent outside the forward
- search at scale on synthetic clustered vectors: single-query p50/p95, recall@10 vs exact, memory
- incremental rebuild of an unchanged corpus
- scale: IVF-PQ on millions of synthetic vectors made chunk by chunk; Ray embedding throughput vs local
"""

from __future__ import annotations

import logging
import resource
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch

from data.images import load_image
from data.records import Artwork
from retrieval.embed import embed_paths
from retrieval.encoders import Encoder, normalize
from retrieval.store import Corpus, build_store, load_store
from retrieval.vector_index import (
    FLAT,
    HNSW,
    IvfPqParams,
    build_index,
    describe,
    new_ivfpq,
    save_index,
    search,
    set_search_params,
)

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


def synthetic_chunks(count: int, dim: int, latent_dim: int = 48, clusters: int = 2000, noise: float = 0.05,
                     seed: int = 0, points_seed: int | None = None, chunk: int = 100_000) -> Iterator[np.ndarray]:
    """Unit vectors shaped like real image embeddings (clustered, low intrinsic dimension), `chunk` rows at a time.

    Uniform noise on the 1280-d sphere has no meaningful neighbours (every pair is
    at about 90 degrees), so no index could be judged on it; this mixture of clusters
    in a random 48-d subspace, plus a little full-dimensional noise, can be. `seed`
    fixes the space (subspace and cluster centres); `points_seed`, when given, draws
    other points of that same space (queries, training samples).
    """
    rng = np.random.default_rng(seed)
    basis = rng.standard_normal((latent_dim, dim), dtype=np.float32) / np.sqrt(latent_dim)
    centres = rng.standard_normal((clusters, latent_dim), dtype=np.float32)
    if points_seed is not None:
        rng = np.random.default_rng([seed, points_seed])
    for start in range(0, count, chunk):
        rows = min(count, start + chunk) - start
        latent = centres[rng.integers(0, clusters, rows)] + 0.5 * rng.standard_normal(
            (rows, latent_dim), dtype=np.float32
        )
        yield normalize(latent @ basis + noise * rng.standard_normal((rows, dim), dtype=np.float32))


def synthetic_vectors(count: int, dim: int, seed: int = 0, points_seed: int | None = None) -> np.ndarray:
    """All of `synthetic_chunks` at once (for counts that fit in memory)."""
    return np.concatenate(list(synthetic_chunks(count, dim, seed=seed, points_seed=points_seed)))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_search_scale(count: int, dim: int, queries: int = 200, kinds=(FLAT, HNSW), seed: int = 0) -> dict:
    """Single-query latency and recall@10 of each index kind against exact search."""
    vectors = synthetic_vectors(count, dim, seed=seed)
    probe = synthetic_vectors(queries, dim, seed=seed, points_seed=seed + 1)  # same distribution, new points
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
        results[kind] = {
            "build_s": round(build_s, 1),
            **percentiles(timings),
            "recall_at_10": round(recall, 4),
            "index_mb_estimate": round(count * (dim * 4 + (HNSW_LINK_BYTES if kind == HNSW else 0)) / 2**20),
            "process_peak_rss_mb": round(_rss_mb()),
        }
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


def _loaded_rss_mb(path: Path) -> float:
    """Resident memory a fresh process gains by loading the index at `path` (what a serving process holds)."""
    import subprocess
    import sys

    script = ("import faiss, sys\n"
              "def rss():\n    return int(open('/proc/self/statm').read().split()[1])\n"
              "before = rss(); index = faiss.read_index(sys.argv[1]); print(rss() - before)")
    pages = int(subprocess.run([sys.executable, "-c", script, str(path)], check=True, capture_output=True,
                               text=True).stdout.split()[-1])
    return pages * resource.getpagesize() / 2**20


def _merge_top(best: tuple[np.ndarray, np.ndarray], scores: np.ndarray, offset: int, k: int):
    """Running exact top-k (scores, ids) per query, merged with one chunk's scores."""
    top = (
        np.argpartition(-scores, k - 1, axis=1)[:, :k]
        if scores.shape[1] > k
        else np.tile(np.arange(scores.shape[1]), (len(scores), 1))
    )
    all_scores = np.concatenate([best[0], np.take_along_axis(scores, top, 1)], axis=1)
    all_ids = np.concatenate([best[1], top + offset], axis=1)
    keep = np.argsort(-all_scores, axis=1)[:, :k]
    return np.take_along_axis(all_scores, keep, 1), np.take_along_axis(all_ids, keep, 1)


def bench_scale(count: int, dim: int, params: IvfPqParams, nprobes: tuple[int, ...] = (8, 16, 32, 64),
                k_factors: tuple[int, ...] = (4, 8, 16), queries: int = 200, k: int = 10, seed: int = 0,
                progress: Callable[[int], None] | None = None) -> dict:
    """An IVF-PQ index over `count` synthetic vectors made chunk by chunk (never all in memory, never on disk).

    Exact top-k for the queries is merged chunk by chunk alongside, so recall@k is measured
    against exact search without a flat index. Build time = training + adding (generation excluded).
    Each (nprobe, k_factor) pair is measured; k_factor only when the index has a refine copy.
    """
    probe = synthetic_vectors(queries, dim, seed=seed, points_seed=1)
    sample = synthetic_vectors(params.sample_size(count), dim, seed=seed, points_seed=2)
    index = new_ivfpq(dim, count, params)
    started = time.perf_counter()
    index.train(sample)
    train_s = time.perf_counter() - started
    del sample
    truth = (np.full((queries, k), -np.inf, np.float32), np.zeros((queries, k), np.int64))
    add_s, offset = 0.0, 0
    for chunk in synthetic_chunks(count, dim, seed=seed):
        started = time.perf_counter()
        index.add(chunk)
        add_s += time.perf_counter() - started
        truth = _merge_top(truth, probe @ chunk.T, offset, k)
        offset += len(chunk)
        if progress:
            progress(len(chunk))
    del chunk
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "index.faiss"
        save_index(index, path)
        on_disk_mb = path.stat().st_size / 2**20
        in_ram_mb = _loaded_rss_mb(path)
    searches = []
    for nprobe in nprobes:
        for k_factor in k_factors if params.refine else (1,):
            set_search_params(index, nprobe, k_factor)
            search(index, probe[:5], k)  # warm-up
            timings, found = [], []
            for query in probe:
                started = time.perf_counter()
                found.append(search(index, query[None], k)[1][0])
                timings.append(time.perf_counter() - started)
            recall = float(np.mean([len(set(a) & set(b)) / k for a, b in zip(truth[1], found)]))
            searches.append({"nprobe": nprobe, "k_factor": k_factor, f"recall_at_{k}": round(recall, 4),
                             **percentiles(timings)})
    set_search_params(index, params.nprobe, params.k_factor)
    return {"vectors": count, "dim": dim, "index": describe(index, trained_on=params.sample_size(count)),
            "factory": params.factory(dim, count),
            "train_s": round(train_s, 1), "add_s": round(add_s, 1), "build_s": round(train_s + add_s, 1),
            "index_disk_mb": round(on_disk_mb), "index_ram_mb": round(in_ram_mb),
            "float32_would_be_mb": round(count * dim * 4 / 2**20), "queries": queries, "searches": searches}


def bench_ray_throughput(encoder: Encoder, paths: list[Path], actors: tuple[int, ...], options, batch_size: int = 32,
                         workers: int = 2, shard_size: int = 64) -> dict:
    """Images/s of the local engine and of the Ray engine with each number of actors, start-up excluded.

    Each engine encodes the first half of `paths`, then all of them, in the same Ray
    session: the start-up (actors loading their model, the first batch's decode) is in
    both runs, so the extra half divided by the extra time is the steady rate. The
    arrival times of single shards proved useless for this: actors deliver in bursts.
    Ray's own start (`ray.init`) and each run's whole-run rate are reported beside.
    """
    from dataclasses import replace

    from retrieval.embed import EncodeJob
    from retrieval.engines import encode_locally, encode_with_ray
    from retrieval.ray_embed import ray_session

    def seconds(engine, files, job_options) -> float:
        job = EncodeJob(encoder, files, shard_size=shard_size, batch_size=batch_size, workers=workers,
                        options=job_options)
        started = time.perf_counter()
        for _ in engine(job):
            pass
        return time.perf_counter() - started

    def steady_rate(engine, job_options) -> dict:
        half = len(paths) // 2
        first, whole = seconds(engine, paths[:half], job_options), seconds(engine, paths, job_options)
        return {
            "img_per_s": round((len(paths) - half) / (whole - first), 1),
            "whole_run_img_per_s": round(len(paths) / whole, 1),
            "start_up_s": round(max(0.0, 2 * first - whole), 1),
        }

    figures = {"images": len(paths), "local": steady_rate(encode_locally, {})}
    for count in actors:
        ray_options = replace(options, actors=count)
        started = time.perf_counter()
        with ray_session(ray_options):
            init_s = time.perf_counter() - started
            rate = steady_rate(encode_with_ray, {"ray": ray_options})
        figures[f"ray_{count}_actors"] = {
            **rate,
            "ray_init_s": round(init_s, 1),
            "cpus_per_actor": ray_options.cpus_per_actor,
            "vs_local": round(rate["img_per_s"] / figures["local"]["img_per_s"], 3),
        }
    return figures
