"""What every command shares: exit codes, the error a user can fix, one-line JSON output.

Commands import these from here, never from app.cli, so the entry point and the commands do not
import each other.
"""

from __future__ import annotations

import json
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

# 128 + the signal number, as shells report a process that a signal ended (SIGINT, SIGPIPE).
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 0, 1, 2, 130, 141
EXIT_CODES = f"""exit codes:
  {EXIT_OK}    done
  {EXIT_FAILED}    done, but some inputs failed (e.g. an unreadable image among those given to predict)
  {EXIT_USAGE}    nothing done: a usage error or a problem you can fix, named in one line on standard error
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C)
  {EXIT_BROKEN_PIPE}  the reader of standard output stopped early (e.g. | head)

A path of "-" reads standard input: museum chat --script -, museum predict -, museum similar - < photo.jpg."""


class UserError(Exception):
    """A problem the user can fix; shown as one clear line, exit code 2."""


def emit_json(value) -> None:
    """One JSON object on one line of stdout."""
    sys.stdout.write(json.dumps(value, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


STDIN = "-"  # the Unix convention: a path of "-" means standard input


def read_text(path: str) -> str:
    """The text of a file, or of standard input for "-"; UserError when it cannot be read."""
    try:
        return sys.stdin.read() if path == STDIN else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"cannot read {path}: {error}") from None


def image_source(path: str) -> str | bytes:
    """What data/images.py decodes: the path as given, or the bytes of standard input for "-"."""
    return sys.stdin.buffer.read() if path == STDIN else path


@contextmanager
def stdin_as_file(paths: list[str]) -> Iterator[list[Path]]:
    """The paths, with "-" (at most once) standing for a temporary copy of standard input."""
    if paths.count(STDIN) > 1:
        raise UserError("standard input (-) can be read only once")
    if STDIN not in paths:
        yield [Path(p) for p in paths]
        return
    with tempfile.TemporaryDirectory(prefix="museum-stdin-") as folder:
        copy = Path(folder) / "stdin"
        copy.write_bytes(sys.stdin.buffer.read())
        yield [copy if p == STDIN else Path(p) for p in paths]


# Off a terminal (a CI log, nohup, a pipe) a bar redraws in place with carriage returns a log shows as one endless
# line, and tqdm's own default (disable=None) then shows nothing: a 50-minute `museum bench match-scale` was silent.
OFF_TERMINAL_EVERY = 60.0  # seconds between progress lines off a terminal


class _Lines:
    """A stream for tqdm that turns each redraw into a line of its own."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> int:
        line = text.replace("\r", "").strip()
        if line:
            self.stream.write(line + "\n")
            self.stream.flush()
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


def progress_bar(**options):
    """tqdm on stderr: a live bar on a terminal, else a line every OFF_TERMINAL_EVERY seconds (and at each new stage
    or description)."""
    from tqdm import tqdm

    if sys.stderr.isatty():
        return tqdm(file=sys.stderr, **options)
    return tqdm(file=_Lines(sys.stderr), mininterval=OFF_TERMINAL_EVERY, ascii=True, **options)
