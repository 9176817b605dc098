"""The sub-commands of the `museum` command line, named without importing them.

Each group of sub-commands lives in app/cli/commands/<group>.py and exposes `register(subparsers, common)`;
handlers take (args, settings) and return an exit code. `museum --help` lists COMMANDS from this table
alone, and `museum ask ...` imports chat_commands only: a group's imports (torch, FAISS, Gradio) are
paid by the commands that need them.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Command:
    name: str
    group: str  # the module in app/cli/commands that registers and runs it
    summary: str  # its line in `museum --help`


# In the order `museum --help` lists them.
COMMANDS = [
    Command("index", "index_commands", "build or update the image index"),
    Command("similar", "index_commands", "artworks that look like an image"),
    Command("search", "index_commands", "find artworks by words"),
    Command("train", "classify_commands", "train the artist/movement heads"),
    Command("predict", "classify_commands", "who painted these images?"),
    Command("eval", "classify_commands", "measure the heads on a best-artworks folder"),
    Command("explain", "explain_commands", "why the classifier names this artist: heatmap, LIME regions, examples"),
    Command("bench", "bench_commands", "measure speed (figures printed, not asserted)"),
    Command("serve", "serve_commands", "start the chat app in a browser (Gradio)"),
    Command("ask", "chat_commands", "ask the assistant one question"),
    Command("chat", "chat_commands", "talk with the assistant (Ctrl-D to stop)"),
    Command("collection", "collection_commands", "a museum's own collection: index, painters, facts"),
    Command("knowledge", "collection_commands", "the painters' facts: add a curator's file"),
    Command("stylize", "stylize_commands", "paint a photo like a painter, or like any painting"),
    Command("style", "style_commands", "the style embedding of similar paintings: fit its projection, measure it"),
]
BY_NAME = {command.name: command for command in COMMANDS}


def group_module(group: str) -> ModuleType:
    return importlib.import_module(f"app.cli.commands.{group}")


def groups() -> list[str]:
    """Every group module name, once each, in listing order."""
    return list(dict.fromkeys(command.group for command in COMMANDS))
