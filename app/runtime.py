"""Process-wide set-up that only the entry points (`museum ...`, `museum serve`, the Space's app.py) apply.

No downloads at run time: everything this assistant runs ships with it, so Hugging Face libraries are told
so before any of them is imported (a missing model then fails at once with a message instead of hanging).

One thread budget: the encoder forward (torch intra-op threads), the image decode pool that feeds it and numpy/scikit-learn
BLAS all default to one thread per core each; run together, and on a machine shared with other jobs, they
ask for several times the cores and spend the difference switching threads in the kernel. `threads`
(MUSEUM_THREADS) caps them all at once.
"""

from __future__ import annotations

import os
import sys

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


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
