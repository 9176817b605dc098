"""Process-wide set-up that only the entry points (`museum ...`, `museum serve`, the Space's app.py) apply.

No downloads at run time: everything this assistant runs ships with it, so Hugging Face libraries are told
so before any of them is imported (a missing model then fails at once with a message instead of hanging).

One thread budget: the encoder forward (torch intra-op threads), the image decode pool that feeds it and
numpy/scikit-learn BLAS each default to one thread per core; `threads` (MUSEUM_THREADS) caps them together.

Freed memory kept: see keep_freed_memory, the cause of the index build's system time.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import sys
from contextlib import contextmanager
from typing import Iterator

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
# glibc mallopt parameters; 1 GiB: above any buffer an encoder batch frees.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, KEEP_BELOW_BYTES = -1, -3, 1 << 30


def stay_offline() -> None:
    """Call before importing gradio, open_clip, transformers or sentence_transformers (they read it on import)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # no tokenizer thread pools outside the budget


def default_threads() -> int:
    """OMP_NUM_THREADS when the user set it (the usual convention), else the cores this process may use."""
    given = os.environ.get("OMP_NUM_THREADS", "")
    return int(given) if given.isdigit() and int(given) > 0 else len(os.sched_getaffinity(0))


def apply_thread_budget(threads: int) -> None:
    """Torch intra-op and BLAS threads = `threads`, whether or not those libraries are loaded yet."""
    for variable in THREAD_VARIABLES:  # read by OpenMP, MKL and OpenBLAS when they load
        os.environ[variable] = str(threads)
    if "torch" in sys.modules:  # already loaded (tests, app.py): set it directly
        sys.modules["torch"].set_num_threads(threads)
    if "numpy" in sys.modules:
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)


def keep_freed_memory() -> bool:
    """Keep freed memory in the process instead of returning it to the kernel; True when applied (glibc).

    glibc hands a freed buffer above 32 MB (a batch's activations in the encoder forward) back to the kernel
    and faults it in again, zero-filled, on the next batch: 96 Kaggle images cost 2.3 million page faults
    and 4.1 s of system time for 2.1 s of user time; with freed memory kept, 34 thousand and 0.15 s (README,
    benchmarks). The price: the heap stays at its peak size.
    """
    if not sys.platform.startswith("linux") or os.confstr("CS_GNU_LIBC_VERSION") is None:
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    return bool(libc.mallopt(M_MMAP_THRESHOLD, KEEP_BELOW_BYTES) and libc.mallopt(M_TRIM_THRESHOLD, KEEP_BELOW_BYTES))


@contextmanager
def loading() -> Iterator[None]:
    """Imports and model loading without the cyclic garbage collector, then one collection.

    Importing Gradio, torch and sentence-transformers creates some 650 thousand long-lived objects, and the
    collector traverses them again and again as they arrive: those imports took 6.3-6.9 s with it and 4.7 s
    without. The collection at the end (0.65 s) frees what loading threw away and ages the rest, so the next
    automatic collection, during a visitor's request, does not traverse them all.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.collect()
        if enabled:
            gc.enable()
