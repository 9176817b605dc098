"""The micro-batcher: concurrent requests share a batch, each gets its own answer, a bad item fails alone."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.serving.microbatch import MicroBatcher


def test_concurrent_requests_share_batches_and_get_their_own_answers():
    seen: list[list[int]] = []

    def square(items):
        seen.append(list(items))
        return [item * item for item in items]

    batcher = MicroBatcher(square, window=0.2, max_batch=8)
    start = threading.Barrier(8)

    def ask(number):
        start.wait()
        return batcher([number])[0]

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, range(8)))
    batcher.close()
    assert answers == [n * n for n in range(8)]
    assert sorted(n for batch in seen for n in batch) == list(range(8))
    assert len(seen) < 8 and batcher.largest > 1  # they were batched, not run one at a time


def test_items_of_one_call_stay_in_order_and_max_batch_is_kept():
    batcher = MicroBatcher(lambda items: [str(item) for item in items], window=0.05, max_batch=3)
    assert batcher(list(range(7))) == [str(n) for n in range(7)]
    assert batcher.largest <= 3
    batcher.close()


def test_a_bad_item_fails_only_its_own_request():
    def invert(items):
        return [1 / item for item in items]

    batcher = MicroBatcher(invert, window=0.2, max_batch=4)
    futures = [batcher.submit(item) for item in (1, 0, 4)]
    assert futures[0].result() == 1.0 and futures[2].result() == 0.25
    with pytest.raises(ZeroDivisionError):
        futures[1].result()
    # The worker keeps serving after a failure, and restarts after close().
    assert batcher([2]) == [0.5]
    batcher.close()
    assert batcher([5]) == [0.2]
    batcher.close()


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        MicroBatcher(list, window=-1)
    with pytest.raises(ValueError):
        MicroBatcher(list, max_batch=0)
