"""`museum bench cli`: how long the commands a new user tries first take, each in a fresh process.

Every figure is the wall time of `python -m app ...` from start to exit (for `serve`: until the page
answers), the median of `repeat` runs, on whatever else the machine is doing; nothing here is asserted.
"""

from __future__ import annotations

import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from app.settings import PROJECT_ROOT

MUSEUM = [sys.executable, "-m", "app"]
SERVE_TIMEOUT = 600.0  # seconds: a busy 2-core machine loads the models slowly


def _run(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([*MUSEUM, *argv], cwd=PROJECT_ROOT, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_until_page_answers() -> float:
    """Seconds from `museum serve` to the first answered GET of its page."""
    port = _free_port()
    started = time.perf_counter()
    server = subprocess.Popen([*MUSEUM, "serve", "--port", str(port)], cwd=PROJECT_ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - started < SERVE_TIMEOUT:
            if server.poll() is not None:
                raise RuntimeError(f"museum serve exited with code {server.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
                    if page.status == 200:
                        return time.perf_counter() - started
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"the page did not answer within {SERVE_TIMEOUT:.0f} s")
    finally:
        server.terminate()
        server.wait(timeout=60)


def time_commands(image: Path, index_dir: Path, repeat: int = 1) -> list[dict]:
    """[{command, seconds}] for help, a text question, one cold prediction, an unchanged index build
    (on a copy of `index_dir`, so the committed index is never written) and serve until the page answers."""
    with tempfile.TemporaryDirectory(prefix="museum-bench-cli-") as scratch:
        copy = Path(scratch) / "index"
        shutil.copytree(index_dir, copy)
        runs = {
            "museum --help": lambda: _run(["--help"]),
            'museum ask "when was Monet born?"': lambda: _run(["ask", "when was Monet born?"]),
            "museum predict IMAGE --json (one image, cold)": lambda: _run(["predict", str(image), "--json"]),
            "museum index build (unchanged corpus)": lambda: _run(["index", "build", "--index-dir", str(copy)]),
            "museum serve until the page answers": serve_until_page_answers,
        }
        return [{"command": name, "seconds": round(statistics.median(run() for _ in range(repeat)), 2)}
                for name, run in runs.items()]
