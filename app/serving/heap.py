"""Keep a long-running server's memory from creeping up: glibc malloc settings for a process that runs for weeks.

A server that decodes photos of every size and runs forwards on batches of every size, from dozens of
threads, allocates and frees large blocks all day. With glibc's defaults two things make its resident memory
creep up without any leak: every thread that allocates may get its own arena (up to 8 per core), and after
a large block is freed glibc raises its mmap threshold, so later large blocks come from those arenas, where
the free space between live blocks stays resident. `bound_heap()` fixes the mmap threshold (large blocks
are mapped, and unmapped when freed), caps the arenas, and `trim()` hands freed heap pages back to the system.
Elsewhere than glibc (macOS, musl) both do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging

log = logging.getLogger(__name__)

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8  # glibc's mallopt parameters (malloc.h)
MMAP_THRESHOLD = 1 << 20  # blocks of 1 MiB and more (images, activations) are mapped and returned on free
TRIM_THRESHOLD = 16 << 20  # free memory at the heap's top kept before it is given back
ARENA_MAX = 2  # one per core of the machine this runs on; more only spread the same blocks thinner


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        if libc is not None:
            libc.gnu_get_libc_version  # noqa: B018  (raises AttributeError outside glibc)
        return libc
    except (OSError, AttributeError):
        return None


def bound_heap() -> bool:
    """Set the malloc parameters above for this process; True when they were set (glibc)."""
    libc = _glibc()
    if libc is None:
        return False
    done = all(libc.mallopt(parameter, value) == 1 for parameter, value in
               ((M_MMAP_THRESHOLD, MMAP_THRESHOLD), (M_TRIM_THRESHOLD, TRIM_THRESHOLD), (M_ARENA_MAX, ARENA_MAX)))
    log.info("heap bounded: mmap threshold %d, trim threshold %d, %d arenas (%s)", MMAP_THRESHOLD,
             TRIM_THRESHOLD, ARENA_MAX, "set" if done else "not all set")
    return done


def trim() -> None:
    """Give the heap's free pages back to the system (glibc's malloc_trim; a few ms)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
