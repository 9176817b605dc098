"""What keeps one visitor (or a script) from taking the assistant away from the others.

- `OneAtATime`: a session may have one painting (and one question) being worked on at a time. A client
  that sends uploads in a tight loop gets an instant "one painting at a time" reply for each extra one
  instead of the backbone's time, so the queue drains at the speed of those replies and other visitors'
  paintings keep their place.
- `too_long`: a message far longer than any question is answered with a reason, not parsed.

Uploads over the size limit are refused by the web server itself (`max_file_size` in app/web/ui.py), and
images over the pixel limit by data/images.py before they are decoded.
"""

from __future__ import annotations

import threading
from collections import Counter
from contextlib import contextmanager
from typing import Iterator

from app.web.handlers import View, echoed

MAX_MESSAGE_CHARS = 2000  # the question box's own limit; only a script sends more
BUSY_PAINTING = ("One painting at a time, please: I'm still looking at the one you showed me. "
                 "Its answer is on its way.")
BUSY_QUESTION = "One question at a time, please: I'm still answering your last one."
TOO_LONG = ("That message is too long for me ({length:,} characters). Please ask in a sentence or two, "
            "e.g. \"Who painted this?\"")


class OneAtATime:
    """In-flight turns per session, for one kind of turn (paintings, or questions)."""

    def __init__(self, limit: int = 1):
        self.limit = limit
        self._busy: Counter[str] = Counter()
        self._lock = threading.Lock()

    @contextmanager
    def turn(self, session: str | None) -> Iterator[bool]:
        """Yields True when the session may go ahead (and holds its place until the block ends), False
        when it already has `limit` turns of this kind in flight. No session id (a direct call) is never held."""
        if session is None:
            yield True
            return
        with self._lock:
            free = self._busy[session] < self.limit
            if free:
                self._busy[session] += 1
        try:
            yield free
        finally:
            if free:
                with self._lock:
                    self._busy[session] -= 1
                    if self._busy[session] <= 0:
                        del self._busy[session]

    def in_flight(self) -> int:
        with self._lock:
            return sum(self._busy.values())


def too_long(text: str | None) -> str | None:
    """The reply for a message over MAX_MESSAGE_CHARS, or None for a message of a normal length."""
    length = len(text or "")
    return TOO_LONG.format(length=length) if length > MAX_MESSAGE_CHARS else None


def refusal(visit, history: list | None, text: str, asked: str | None = None) -> View:
    """A reply that changes nothing but the conversation: the panels and the session stay as they were. `asked`,
    the visitor's message, is shown above it, so the reply is a bubble of its own and not glued to the last one."""
    shown = [{"role": "user", "content": echoed(asked)}] if asked else []
    return View(visit=visit, history=list(history or []) + shown + [{"role": "assistant", "content": text}])
