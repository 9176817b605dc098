"""`museum bench load`: visitors at once, driving a real `museum serve` through its own Gradio API.

Each visitor is one `gradio_client.Client` (one browser session) in its own thread. All visitors start at
the same moment (a barrier) and repeat the script: upload a painting, "when was he born?", "show me similar
paintings", "why?" until each has made its share of `turns` or `max_seconds` passed. Reported: p50/p95 per
turn kind (image turn; text turn; "why?" apart, as its heatmap costs more than a painting), errors (an
exception, or the assistant's "something went wrong" reply), and what the server holds: peak and final
RSS, CPU time, open files, files in its Gradio cache.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

log = logging.getLogger(__name__)

IMAGE, TEXT, WHY = "image", "text", "why"  # turn kinds: a painting; a question; "why?" (a heatmap, the costliest)
QUESTIONS = ((TEXT, "when was he born?"), (TEXT, "show me similar paintings"), (WHY, "why?"))
FAILED_MARK = "something went wrong"  # the start of app.web.handlers.FAILED_REPLY, as a visitor sees it
CALL_TIMEOUT = 300.0  # seconds one turn may take before it counts as an error
HTTP_TIMEOUT = 120.0  # per request (e.g. the upload); gradio_client's own 20 s is shorter than a browser's patience


@dataclass(frozen=True)
class Turn:
    kind: str  # IMAGE or TEXT
    seconds: float
    error: str | None = None


@dataclass
class LoadReport:
    visitors: int
    turns: int
    wall_seconds: float
    latency: dict[str, dict[str, float]]  # kind -> {"n", "p50", "p95", "max"}
    errors: int
    error_examples: list[str]
    server: dict[str, float] = field(default_factory=dict)  # peak/final RSS, open files, cache files

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Endpoints:
    image: str
    text: str


def find_endpoints(client) -> Endpoints:
    """The app's image and text events by their inputs (an Image; a Textbox), whatever their names."""
    named = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    inputs = {name: [p.get("component") for p in info.get("parameters", [])] for name, info in named.items()}
    image = next((name for name, kinds in inputs.items() if "Image" in kinds), None)
    text = next((name for name, kinds in inputs.items() if "Textbox" in kinds), None)
    if image is None or text is None:
        raise RuntimeError(f"the server has no image or no text event: {sorted(inputs)}")
    return Endpoints(image, text)


def chat_of(output) -> list:
    """The Chatbot's messages from its output: a plain value, or an update ({"label", "value"}) when the
    reply relabels the chat (in another language)."""
    return output.get("value", []) if isinstance(output, dict) else list(output or [])


def last_reply(output) -> str:
    """The text of the last assistant message of a Chatbot output as gradio_client returns it."""
    for message in reversed(chat_of(output)):
        if message.get("role") == "assistant":
            content = message.get("content")
            parts = content if isinstance(content, list) else [content]
            return " ".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in parts)
    return ""


class Visitor:
    """One browser session: its own client, chat history and turn timings."""

    def __init__(self, url: str, endpoints: Endpoints | None = None):
        from gradio_client import Client

        self.client = Client(url, verbose=False, download_files=False, httpx_kwargs={"timeout": HTTP_TIMEOUT})
        self.endpoints = endpoints or find_endpoints(self.client)
        self.history: list = []
        self.turns: list[Turn] = []

    def show(self, image: Path) -> Turn:
        from gradio_client import handle_file

        self.history = []  # a new painting starts a new conversation, as on a kiosk
        return self._call(IMAGE, self.endpoints.image, handle_file(str(image)))

    def ask(self, text: str, kind: str = TEXT) -> Turn:
        return self._call(kind, self.endpoints.text, text)

    def _call(self, kind: str, endpoint: str, value) -> Turn:
        started = time.perf_counter()
        error = None
        try:
            job = self.client.submit(self.history, value, api_name=endpoint)
            outputs = job.result(timeout=CALL_TIMEOUT)
            self.history = chat_of(outputs[0])
            reply = last_reply(self.history)
            if FAILED_MARK in reply or not reply:
                error = f"{kind} turn answered: {reply[:120]!r}"
        except Exception as exception:  # a visitor's failed turn is a figure, not the end of the benchmark
            error = f"{kind} turn: {type(exception).__name__}: {str(exception)[:200]}"
        turn = Turn(kind, time.perf_counter() - started, error)
        self.turns.append(turn)
        return turn

    def close(self) -> None:
        self.client.close()


def script(images: list[Path], start: int) -> Iterator[tuple[str, object]]:
    """The visitor's endless script: a painting, then the three questions; the next painting ..."""
    position = start
    while True:
        yield IMAGE, images[position % len(images)]
        yield from QUESTIONS
        position += 1


def run_load(url: str, images: list[Path], visitors: int, turns: int, max_seconds: float,
             on_turn: Callable[[Turn], None] | None = None) -> tuple[list[Turn], float]:
    """All visitors' turns and the wall time, from the moment they all start together."""
    if visitors < 1 or turns < 1 or not images:
        raise ValueError("need at least one visitor, one turn and one image")
    first = Visitor(url)
    people = [first] + [Visitor(url, first.endpoints) for _ in range(visitors - 1)]
    # Each visitor makes its share of the turns, so every one of them shows a painting at the start.
    shares = [turns // visitors + (1 if index < turns % visitors else 0) for index in range(visitors)]
    start = threading.Barrier(visitors)

    def visit(index: int) -> None:
        person = people[index]
        start.wait()
        for count, (kind, value) in enumerate(script(images, index)):
            if count >= shares[index] or time.monotonic() > deadline:
                return
            turn = person.show(value) if kind == IMAGE else person.ask(value, kind)
            if on_turn:
                on_turn(turn)

    deadline = time.monotonic() + max_seconds  # read by visit() when the visitors start
    began = time.perf_counter()
    try:
        with ThreadPoolExecutor(max_workers=visitors) as pool:
            list(pool.map(visit, range(visitors)))
    finally:
        for person in people:
            person.close()
    return [turn for person in people for turn in person.turns], time.perf_counter() - began


def summarise(turns: list[Turn], visitors: int, wall_seconds: float) -> LoadReport:
    latency = {}
    for kind in (IMAGE, TEXT, WHY):
        seconds = np.array([t.seconds for t in turns if t.kind == kind and t.error is None])
        if len(seconds):
            latency[kind] = {"n": int(len(seconds)), "p50": round(float(np.percentile(seconds, 50)), 3),
                             "p95": round(float(np.percentile(seconds, 95)), 3), "max": round(float(seconds.max()), 3)}
    errors = [t.error for t in turns if t.error]
    return LoadReport(visitors=visitors, turns=len(turns), wall_seconds=round(wall_seconds, 1), latency=latency,
                      errors=len(errors), error_examples=sorted(set(errors))[:5])


def server_figures(served) -> dict[str, float]:
    memory = served.memory_mb()
    files, megabytes = served.cache_files()
    return {"rss_mb": round(memory["rss"]), "peak_rss_mb": round(memory["peak"]), "cpu_seconds": served.cpu_seconds(),
            "open_files": served.open_files(), "cache_files": files, "cache_mb": round(megabytes, 1)}


def table(report: LoadReport) -> str:
    """The report as the markdown row docs/ui.md keeps."""
    def cell(kind: str) -> str:
        figures = report.latency.get(kind)
        return f"{figures['p50']:.2f} / {figures['p95']:.2f} s (n={figures['n']})" if figures else "-"

    server = report.server
    return ("| visitors | turns | errors | image turn p50 / p95 | text turn p50 / p95 | \"why?\" p50 / p95 | "
            "server peak RSS | server CPU per turn | load average |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
            f"| {report.visitors} | {report.turns} | {report.errors} | {cell(IMAGE)} | {cell(TEXT)} | {cell(WHY)} | "
            f"{server.get('peak_rss_mb', '-')} MB | {server.get('cpu_per_turn', '-')} s | "
            f"{server.get('load_average', '-')} |")


def soak_summary(samples: list[dict], turns: int) -> dict[str, float]:
    """Growth over a long run, from the server readings taken while it ran: resident memory and open files
    once warm (after the first tenth of the turns) against the end, and the cache's files per turn."""
    if not samples:
        return {}
    warm = next((s for s in samples if s["turns"] >= turns / 10), samples[0])
    last = samples[-1]
    return {"rss_warm_mb": warm["rss_mb"], "rss_end_mb": last["rss_mb"],
            "rss_max_mb": max(s["rss_mb"] for s in samples), "rss_growth_mb": last["rss_mb"] - warm["rss_mb"],
            "open_files_warm": warm["open_files"], "open_files_end": last["open_files"],
            "open_files_max": max(s["open_files"] for s in samples),
            "cache_files_end": last["cache_files"], "cache_mb_end": last["cache_mb"],
            "cache_files_per_turn": round(last["cache_files"] / max(1, last["turns"]), 2)}
