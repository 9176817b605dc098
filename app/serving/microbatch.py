"""A micro-batcher: many threads each ask for one item; one worker answers them in batches.

Several visitors showing paintings at the same moment each need one backbone forward. One forward of
N images costs far less than N forwards of one on a CPU (weights and threads are set up once), so the
worker waits a short window after the first request for others to arrive, then runs them together.
A lone visitor pays at most the window.

    batcher = MicroBatcher(classifier.predict_images, window=0.02, max_batch=32)
    prediction, = batcher([image])        # from any thread; blocks until the batch holding it is done
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from typing import Callable, Generic, Sequence, TypeVar

log = logging.getLogger(__name__)

Item, Result = TypeVar("Item"), TypeVar("Result")


class MicroBatcher(Generic[Item, Result]):
    """Runs `run(items) -> results` (one result per item, in order) on batches of concurrent requests.

    When a batch fails, its items are retried one by one, so one bad item (an image the model cannot
    take) fails only its own request. Thread-safe; the worker thread starts on first use.
    """

    def __init__(self, run: Callable[[list[Item]], Sequence[Result]], window: float = 0.02, max_batch: int = 32,
                 name: str = "microbatch"):
        if window < 0 or max_batch < 1:
            raise ValueError(f"need window >= 0 and max_batch >= 1, got {window}, {max_batch}")
        self.run, self.window, self.max_batch, self.name = run, window, max_batch, name
        self._requests: queue.SimpleQueue[tuple[Item, Future] | None] = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.batches = 0  # batches run so far (for benchmarks and tests)
        self.largest = 0  # largest batch so far

    def submit(self, item: Item) -> Future:
        self._ensure_worker()
        future: Future = Future()
        self._requests.put((item, future))
        return future

    def __call__(self, items: Sequence[Item]) -> list[Result]:
        """Results for `items` (which join the same batch when they fit); re-raises an item's error."""
        futures = [self.submit(item) for item in items]
        return [future.result() for future in futures]

    def close(self) -> None:
        """Stop the worker after the requests already queued (it restarts on the next request)."""
        with self._start_lock:
            worker, self._worker = self._worker, None
        if worker is not None:
            self._requests.put(None)
            worker.join()

    def _ensure_worker(self) -> None:
        if self._worker is not None:
            return
        with self._start_lock:
            if self._worker is None:
                self._worker = threading.Thread(target=self._serve, name=self.name, daemon=True)
                self._worker.start()

    def _serve(self) -> None:
        while True:
            first = self._requests.get()
            if first is None:
                return
            batch, stop = [first], False
            deadline = time.monotonic() + self.window
            while len(batch) < self.max_batch:
                try:
                    request = self._requests.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if request is None:
                    stop = True
                    break
                batch.append(request)
            self._answer(batch)
            if stop:
                return

    def _answer(self, batch: list[tuple[Item, Future]]) -> None:
        live = [(item, future) for item, future in batch if future.set_running_or_notify_cancel()]
        if not live:
            return
        self.batches += 1
        self.largest = max(self.largest, len(live))
        try:
            results = list(self.run([item for item, _ in live]))
            if len(results) != len(live):
                raise RuntimeError(f"{self.name}: {len(live)} items gave {len(results)} results")
        except Exception as error:
            if len(live) == 1:
                live[0][1].set_exception(error)
                return
            log.info("%s: a batch of %d failed; answering its items one by one", self.name, len(live))
            for item, future in live:
                try:
                    future.set_result(self.run([item])[0])
                except Exception as alone:
                    future.set_exception(alone)
            return
        for (_, future), result in zip(live, results):
            future.set_result(result)

