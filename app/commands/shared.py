"""What every command shares: exit codes, the error a user can fix, one-line JSON output.

Commands import these from here, never from app.cli, so the entry point and the commands do not
import each other.
"""

from __future__ import annotations

import json
import sys

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UserError(Exception):
    """A problem the user can fix; shown as one clear line, exit code 2."""


def emit_json(value) -> None:
    """One JSON object on one line of stdout."""
    sys.stdout.write(json.dumps(value, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()
