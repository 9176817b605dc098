"""A `museum serve` subprocess on a free localhost port, and what it costs the machine.

Used by the load benchmark: it talks to the server only through its HTTP API, as
visitors do. Figures come from /proc (Linux), so no extra dependency: resident memory now and at its peak
(VmRSS, VmHWM), CPU time, open file descriptors, and the files in the server's own Gradio upload cache.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from app.settings import PROJECT_ROOT

LOCALHOST = "127.0.0.1"  # never anything else: a benchmark must not open a port to the network
START_TIMEOUT = 240.0  # seconds for the models to load on a busy 2-core machine
# The `museum` console script's entry point with this interpreter (the script may not be on PATH, or may
# point at another checkout).
MUSEUM = [sys.executable, "-c", "from app.cli import run; run()"]


class ServerError(RuntimeError):
    """The server did not start, or stopped; the message carries the end of its log."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOCALHOST, 0))
        return probe.getsockname()[1]


@dataclass
class Served:
    """A running server: its URL, process and private Gradio cache folder."""

    url: str
    process: subprocess.Popen
    cache_dir: Path
    log_path: Path

    def memory_mb(self) -> dict[str, float]:
        """{"rss": now, "peak": highest so far} in MB, from /proc/<pid>/status."""
        fields = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields["rss" if key == "VmRSS" else "peak"] = int(value.split()[0]) / 1024
        return fields

    def cpu_seconds(self) -> float:
        """CPU time the server has used (user + system, all threads): unlike latency, this hardly depends on
        what else the machine is running."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def open_files(self) -> int:
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))

    def cache_files(self) -> tuple[int, float]:
        """(files, MB) in the server's Gradio cache (uploads and the images it sent)."""
        sizes = [path.stat().st_size for path in self.cache_dir.rglob("*") if path.is_file()]
        return len(sizes), sum(sizes) / 2**20

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def alive(self) -> bool:
        return self.process.poll() is None


@contextmanager
def museum_serve(*flags: str, env: dict[str, str] | None = None, start_timeout: float = START_TIMEOUT,
                 work_dir: Path | None = None) -> Iterator[Served]:
    """`museum serve` on a free 127.0.0.1 port with its own Gradio cache; stopped (bounded waits) on exit."""
    with tempfile.TemporaryDirectory(prefix="museum-serve-", dir=work_dir) as folder:
        folder = Path(folder)
        cache_dir, log_path, port = folder / "gradio", folder / "serve.log", free_port()
        cache_dir.mkdir()
        environment = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1",
                       "GRADIO_TEMP_DIR": str(cache_dir), **(env or {})}
        with open(log_path, "w") as log_file:
            process = subprocess.Popen([*MUSEUM, "serve", "--host", LOCALHOST, "--port", str(port), *flags],
                                       cwd=PROJECT_ROOT, env=environment, stdout=log_file,
                                       stderr=subprocess.STDOUT)
        served = Served(f"http://{LOCALHOST}:{port}/", process, cache_dir, log_path)
        try:
            _wait_until_up(served, start_timeout)
            yield served
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _wait_until_up(served: Served, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not served.alive():
            raise ServerError(f"museum serve exited with {served.process.returncode}:\n{served.log_tail()}")
        try:
            with urllib.request.urlopen(served.url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise ServerError(f"museum serve did not answer on {served.url} within {timeout:.0f} s:\n{served.log_tail()}")
