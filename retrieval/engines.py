"""Build engines: what turns the image files of a build into vectors, chosen by name (`--engine`).

An engine takes an `EncodeJob` and yields one `EmbedResult` per shard (positions relative
to `job.paths`) as shards complete; the store writes each to disk before asking for the
next, so a killed build keeps every shard it was handed. `local` runs the threaded
pipeline of retrieval/embed.py in this process; `ray` (retrieval/ray_embed.py, the
`.[scale]` extra) spreads the same pipeline over the actors of a Ray cluster.
"""

from __future__ import annotations

from typing import Callable, Iterator

from retrieval.embed import EmbedResult, EncodeJob, embed_paths

LOCAL, RAY = "local", "ray"


Engine = Callable[[EncodeJob], Iterator[EmbedResult]]


def offset(result: EmbedResult, start: int) -> EmbedResult:
    """A shard's result with positions shifted from shard-relative to job-relative."""
    return EmbedResult(vectors=result.vectors, ok=[start + p for p in result.ok],
                       failed={start + p: reason for p, reason in result.failed.items()})


def encode_locally(job: EncodeJob) -> Iterator[EmbedResult]:
    for start in range(0, len(job.paths), job.shard_size):
        shard = job.paths[start:start + job.shard_size]
        yield offset(embed_paths(job.encoder, shard, job.batch_size, job.workers, job.on_images), start)


def encode_with_ray(job: EncodeJob) -> Iterator[EmbedResult]:
    from retrieval.ray_embed import encode_with_ray as run  # ray is an optional extra: import it only when chosen

    return run(job)


ENGINES: dict[str, Engine] = {LOCAL: encode_locally, RAY: encode_with_ray}


def engine_named(name: str) -> Engine:
    try:
        return ENGINES[name]
    except KeyError:
        raise ValueError(f"unknown build engine {name!r}: choose one of {', '.join(ENGINES)}") from None

