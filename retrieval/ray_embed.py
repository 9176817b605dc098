"""The Ray build engine: the local embedding pipeline, spread over the actors of a Ray cluster.

Ray Data streams (position, path) rows to a pool of `EmbedActor`s; each actor loads the
encoder once with the same `load_encoder` as a local build and runs `embed_paths` (the same
decoding, preprocessing and batching) on its block of files. The driver receives vectors as
they stream back, one shard at a time, so the store writes shards while the cluster works.

Every machine of a cluster needs the project installed (`pip install -e ".[cpu,scale]"`)
and the corpus at the same path (a shared or synced folder): actors read the files themselves.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from retrieval.embed import EmbedResult, EncodeJob

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RayOptions:
    """How to reach or start Ray, and how to spread the work (from Settings; see app/settings.py)."""

    address: str | None = None  # a running cluster ("ray://head:10001" or "head:6379"); None starts one here
    num_cpus: int = 2  # CPUs of the local instance started when no address is given
    actors: int = 2  # encoder actors (each holds one model)
    cpus_per_actor: float = 1.0  # also the torch threads of each actor
    batch_size: int = 64  # files per Ray batch, i.e. per actor call


# glibc hands a freed buffer above 32 MB (a batch's activations) back to the kernel and faults it in again,
# zero-filled, on the next batch: the local build's entry point keeps freed memory (app/runtime.py,
# keep_freed_memory). An actor is a process of Ray's and runs its calls in a thread of Ray's, whose own glibc arena
# maps every large buffer afresh however the process is told, so its environment makes glibc keep one arena and its
# freed memory from the start. Without it an actor spent two thirds of its time in page faults (README, scale).
ACTOR_ENV = {"MALLOC_ARENA_MAX": "1", "MALLOC_MMAP_THRESHOLD_": str(1 << 30), "MALLOC_TRIM_THRESHOLD_": str(1 << 30)}


class EmbedActor:
    """Holds one encoder; turns a batch of (position, path) rows into (position, vector, error) rows."""

    def __init__(self, encoder_name: str, batch_size: int, workers: int, threads: int):
        import torch

        from retrieval.encoders import load_encoder

        torch.set_num_threads(max(1, threads))
        self.encoder = load_encoder(encoder_name)
        self.batch_size, self.workers = batch_size, workers

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        from retrieval.embed import embed_paths

        result = embed_paths(self.encoder, [Path(p) for p in batch["path"]], self.batch_size, self.workers)
        vectors = np.zeros((len(batch["path"]), self.encoder.dim), dtype=np.float32)
        vectors[result.ok] = result.vectors
        errors = np.array([result.failed.get(i, "") for i in range(len(batch["path"]))], dtype=object)
        return {"position": batch["position"], "vector": vectors, "error": errors}


# Ray's switch for single-machine mode (the default on Windows and macOS): the node's address is the loopback
# one, so every server of the instance listens on 127.0.0.1 only. Read when `ray` is first imported.
LOOPBACK_ONLY_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"


class RayExposedError(RuntimeError):
    """A private Ray instance would listen on every network interface."""


def is_loopback(address: str) -> bool:
    return ipaddress.ip_address(address).is_loopback


@contextlib.contextmanager
def ray_session(options: RayOptions):
    """Join the cluster at `options.address`, or start a private instance listening on 127.0.0.1 only; reuse an
    open session."""
    if not options.address and "ray" not in sys.modules:
        os.environ.setdefault(LOOPBACK_ONLY_ENV, "0")
    import ray

    if ray.is_initialized():  # a caller (a test module, a notebook) holds the session: leave it open
        yield ray
        return
    quiet = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.WARNING,
             "configure_logging": False}
    if options.address:
        ray.init(address=options.address, **quiet)
    else:
        if not is_loopback(ray.util.get_node_ip_address()):
            raise RayExposedError(
                f"ray was imported in cluster mode before this build started, so a local instance would listen on "
                f"every network interface; start a cluster with `ray start --head` and pass --ray-address, or set "
                f"{LOOPBACK_ONLY_ENV}=0 before Python starts")
        # Its actors do the build's work: at Ray's default worker niceness (+15) any other job on the machine
        # starves them while the driver waits, so they keep the driver's priority instead.
        ray.init(num_cpus=options.num_cpus, _system_config={"worker_niceness": 0}, **quiet)
    try:
        yield ray
    finally:
        ray.shutdown()


def encode_with_ray(job: EncodeJob) -> Iterator[EmbedResult]:
    options: RayOptions = job.options.get("ray", RayOptions())
    with ray_session(options) as ray:
        # The build shows its own progress bar; Ray Data's progress log (a screen every 10 s) would drown it.
        ray.data.DataContext.get_current().enable_progress_bars = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        dataset = ray.data.from_items(
            [{"position": position, "path": str(path)} for position, path in enumerate(job.paths)],
            override_num_blocks=max(1, math.ceil(len(job.paths) / options.batch_size)))
        vectors = dataset.map_batches(
            EmbedActor, batch_size=options.batch_size, batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=options.actors), num_cpus=options.cpus_per_actor,
            runtime_env={"env_vars": ACTOR_ENV},
            fn_constructor_kwargs={"encoder_name": job.encoder.name, "batch_size": job.batch_size,
                                   "workers": job.workers, "threads": math.ceil(options.cpus_per_actor)})
        for batch in vectors.iter_batches(batch_size=job.shard_size, batch_format="numpy"):
            positions, errors = batch["position"].tolist(), batch["error"]
            ok = [i for i, error in enumerate(errors) if not error]
            if job.on_images:
                job.on_images(len(positions))
            yield EmbedResult(vectors=np.ascontiguousarray(batch["vector"][ok], dtype=np.float32),
                              ok=[positions[i] for i in ok],
                              failed={positions[i]: str(errors[i]) for i, error in enumerate(errors) if error})
