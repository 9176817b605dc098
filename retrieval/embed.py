"""The embedding pipeline: files -> decoded, preprocessed batches -> vectors.

Decoding runs in a small thread pool ahead of the model (PIL releases the GIL
while decoding and resizing), so the encoder forward is rarely kept waiting.
A file that cannot be read is reported, never fatal to its batch.
"""

from __future__ import annotations

import logging
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

import numpy as np

from data.images import ImageError, load_image
from retrieval.encoders import Encoder, Preprocess

if TYPE_CHECKING:  # torch loads with the encoder: a build with nothing to encode never imports it
    import torch

log = logging.getLogger(__name__)


@dataclass
class EmbedResult:
    vectors: np.ndarray  # float32[M, D] for the files that decoded, in input order
    ok: list[int]  # positions (in the input list) of those files
    failed: dict[int, str] = field(default_factory=dict)  # position -> reason


@dataclass
class EncodeJob:
    """The files of one build for an engine (retrieval/engines.py) to encode, shard by shard."""

    encoder: Encoder
    paths: list[Path]
    shard_size: int = 512
    batch_size: int = 32
    workers: int = 2  # decode threads per encoding process
    on_images: Callable[[int], None] | None = None  # called with the number of images just finished
    options: dict = field(default_factory=dict)  # engine-specific (Ray address, actors, ...)


def _decode(preprocess: Preprocess, path: Path) -> torch.Tensor | str:
    try:
        return preprocess(load_image(path))
    except ImageError as error:
        return str(error)
    except Exception as error:  # a preprocessing bug on one odd file must not sink the build
        return f"{Path(path).name}: cannot be processed ({type(error).__name__}: {error})"


def iter_batches(encoder: Encoder, paths: list[Path], batch_size: int = 32, workers: int = 2,
                 ) -> Iterator[tuple[list[int], torch.Tensor | None, dict[int, str]]]:
    """Yield (positions, batch tensor or None, failures) with decoding prefetched in threads."""
    import torch

    # Taken here, not in the threads: an encoder loaded on demand (app/cli/commands/index_commands.py) loads now,
    # and a model that cannot load fails the build instead of failing every file.
    preprocess = encoder.preprocess
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        pending: deque[tuple[int, Future]] = deque()
        position = 0
        # Keep two batches of decodes in flight so the next batch is ready when the model is.
        window = 2 * batch_size

        def fill():
            nonlocal position
            while position < len(paths) and len(pending) < window:
                pending.append((position, pool.submit(_decode, preprocess, paths[position])))
                position += 1

        fill()
        while pending:
            positions, tensors, failures = [], [], {}
            while pending and len(positions) + len(failures) < batch_size:
                index, future = pending.popleft()
                outcome = future.result()
                if isinstance(outcome, str):
                    failures[index] = outcome
                else:
                    positions.append(index)
                    tensors.append(outcome)
            fill()
            yield positions, (torch.stack(tensors) if tensors else None), failures


def embed_paths(encoder: Encoder, paths: list[Path], batch_size: int = 32, workers: int = 2,
                on_batch: Callable[[int], None] | None = None) -> EmbedResult:
    """Encode image files; `on_batch(n_done)` is called after each batch (for progress bars)."""
    chunks, ok, failed = [], [], {}
    for positions, batch, failures in iter_batches(encoder, paths, batch_size, workers):
        failed.update(failures)
        if batch is not None:
            chunks.append(encoder.embed_batch(batch))
            ok.extend(positions)
        if on_batch:
            on_batch(len(positions) + len(failures))
    vectors = np.concatenate(chunks) if chunks else np.zeros((0, encoder.dim), dtype=np.float32)
    return EmbedResult(vectors=vectors, ok=ok, failed=failed)
