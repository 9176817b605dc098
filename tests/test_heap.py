"""The server's malloc settings (app/serving/heap.py) take on glibc and are harmless elsewhere."""

from __future__ import annotations

import platform

from app.serving.heap import bound_heap, trim


def test_bound_heap_sets_glibc_malloc_and_trim_gives_pages_back():
    glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    assert bound_heap() is glibc
    block = bytearray(64 << 20)  # above the mmap threshold: mapped, and unmapped when freed
    del block
    trim()  # does nothing outside glibc, never fails
