"""`museum bench load`: N visitors at once against a real `museum serve`, through its Gradio API.

    museum bench load --visitors 20                  # everyone shows a painting and asks 3 questions
    museum bench load --visitors 4 --turns 2000      # a soak: RSS, open files and cache files over time
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from pathlib import Path

from app.cli.commands.shared import EXIT_FAILED, EXIT_OK, UserError, emit_json
from app.settings import Settings

log = logging.getLogger(__name__)

LOAD = "load"
SAMPLE_EVERY = 5.0  # seconds between readings of the server's memory, files and cache


def add_arguments(parser) -> None:
    group = parser.add_argument_group("load (museum bench load)")
    group.add_argument("--visitors", type=int, default=20, help="load: visitors at once (default 20)")
    group.add_argument("--turns", type=int, help="load: turns in all (default: 4 per visitor, one painting each)")
    group.add_argument("--max-seconds", type=float, default=900.0, help="load: stop starting turns after this")


def load_command(args, settings: Settings) -> int:
    from app.bench.load import run_load, server_figures, soak_summary, summarise, table
    from app.web.served import ServerError, museum_serve

    if args.visitors < 1 or args.visitors > 200:
        raise UserError(f"--visitors takes 1 to 200, got {args.visitors}")
    turns = args.turns or 4 * args.visitors
    images = _paintings(args, settings)
    serve_env = {f"MUSEUM_{name.upper()}": str(value) for name, value in
                 (("encoder", settings.encoder), ("index_dir", settings.index_dir), ("heads_dir", settings.heads_dir))
                 if value is not None}
    try:
        with museum_serve(env=serve_env) as served:
            samples: list[dict] = []
            done = threading.Event()
            counted = [0]

            def sample() -> None:
                while not done.wait(SAMPLE_EVERY):
                    if served.alive():
                        samples.append({"turns": counted[0], "seconds": round(time.monotonic() - began),
                                        **server_figures(served)})

            def on_turn(_turn) -> None:
                counted[0] += 1

            began = time.monotonic()
            before = {**server_figures(served), "load_average": round(os.getloadavg()[0], 1)}
            # The visitors (gradio_client threads in this process) share the server's cores: their CPU is reported
            # beside the server's, so a figure can be read as a machine serving remote browsers would see it.
            visitors_cpu = time.process_time()
            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            try:
                timings, wall = run_load(served.url, images, args.visitors, turns, args.max_seconds, on_turn)
            finally:
                done.set()
                sampler.join()
            report = summarise(timings, args.visitors, wall)
            # The machine's 1-minute load average: other jobs on the same cores show up in the figures.
            after = server_figures(served)
            cpu_per_turn = round((after["cpu_seconds"] - before["cpu_seconds"]) / max(1, len(timings)), 3)
            report.server = {**after, "cpu_per_turn": cpu_per_turn, "load_average": round(os.getloadavg()[0], 1),
                             "run_cpu_seconds": round(after["cpu_seconds"] - before["cpu_seconds"], 2),
                             "visitors_cpu_seconds": round(time.process_time() - visitors_cpu, 2),
                             "at_start": before,
                             "samples": samples, "soak": soak_summary(samples, len(timings)),
                             "still_serving": served.alive()}
    except ServerError as error:
        raise UserError(str(error)) from None
    if args.json:
        emit_json(report.to_json())
    else:
        print(table(report))
        print(f"wall {report.wall_seconds} s; server at start {before}, at end "
              f"{ {k: v for k, v in report.server.items() if k not in ('at_start', 'samples', 'soak')} }")
        print(f"over the run: {report.server['soak']}")
        if samples:
            print("samples (turns, seconds, rss MB, open files, cache files): " + "; ".join(
                f"{s['turns']},{s['seconds']},{s['rss_mb']},{s['open_files']},{s['cache_files']}" for s in samples))
        for example in report.error_examples:
            print(f"error: {example}")
    return EXIT_OK if report.errors == 0 else EXIT_FAILED


def _paintings(args, settings: Settings) -> list[Path]:
    """The paintings visitors show: a sample of the Kaggle corpus (--best-artworks) or the Met corpus."""
    from data.corpora import load_corpus

    root = args.best_artworks or settings.best_artworks
    records = load_corpus("best-artworks", root) if root else load_corpus("met")
    sample = random.Random(settings.seed).sample(records, min(args.images, len(records)))
    return [Path(record.image_path) for record in sample]
