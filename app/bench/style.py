"""How long a `similar` query takes with the style embedding, against the pooled embedding and the plain
forward, measured interleaved on the same images so the machine's load affects all three alike."""

from __future__ import annotations

import time

import numpy as np
from PIL import Image

from app.bench.index import percentiles
from retrieval.encoders import Encoder
from retrieval.vector_index import build_index, search


def query_latency(plain: Encoder, encoders: dict[str, tuple[Encoder, np.ndarray]], images: list[Image.Image],
                  k: int = 10, warm_up: int = 3) -> dict:
    """{"plain_forward": ..., name: ...} percentiles in ms; each query = preprocess, forward, projection, search.

    plain: the backbone whose bare forward (on an already preprocessed 224 px tensor) is the yardstick;
    encoders: name -> (encoder, the collection's vectors to search).
    """
    indexes = {name: build_index(vectors) for name, (_, vectors) in encoders.items()}
    timings: dict[str, list[float]] = {"plain_forward": [], **{name: [] for name in encoders}}
    for position, image in enumerate([images[0]] * warm_up + images):
        batch = plain.preprocess(image)[None]
        started = time.perf_counter()
        plain.embed_batch(batch)
        timings["plain_forward"].append(time.perf_counter() - started)
        for name, (encoder, _) in encoders.items():
            started = time.perf_counter()
            search(indexes[name], encoder.encode_images([image]), k)
            timings[name].append(time.perf_counter() - started)
    return {name: {"queries": len(images), **percentiles(values[warm_up:])} for name, values in timings.items()}
