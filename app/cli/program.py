"""The `museum` command line: entry point, shared flags, logging set-up.

The sub-commands are named in app/cli/commands/__init__.py; only the group of the command being run is
imported, so `museum --help` and a text question start without loading torch, FAISS or Gradio.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from typing import TYPE_CHECKING

from app.cli.commands.shared import EXIT_BROKEN_PIPE, EXIT_CODES, EXIT_INTERRUPTED, EXIT_USAGE, UserError
from app.runtime import apply_thread_budget, keep_freed_memory, stay_offline

if TYPE_CHECKING:
    from app.settings import Settings

log = logging.getLogger("museum")


def common_flags() -> argparse.ArgumentParser:
    """Flags every sub-command takes; each overrides its MUSEUM_* variable."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--encoder", help="image encoder (MUSEUM_ENCODER), e.g. efficientnet-lite0, "
                                          "open_clip:ViT-B-32:laion2b_s34b_b79k, open_clip:/path/to/dir")
    parent.add_argument("--index-dir", type=str, help="index folder (MUSEUM_INDEX_DIR)")
    parent.add_argument("--heads-dir", type=str, help="trained classifier heads folder (MUSEUM_HEADS_DIR)")
    parent.add_argument("--log-level", help="DEBUG, INFO, WARNING (MUSEUM_LOG_LEVEL)")
    parent.add_argument("--collection", help="a museum's own collection folder (MUSEUM_COLLECTION; docs/collection.md)")
    parent.add_argument(
        "--knowledge",
        dest="knowledge_files",
        action="append",
        metavar="FILE",
        help="a curator's file of painters' facts, merged over the shipped ones (MUSEUM_KNOWLEDGE_FILES)",
    )
    return parent


def settings_from(args: argparse.Namespace) -> Settings:
    from app.settings import Settings  # pydantic takes a tenth of a second to import: not for --help

    flags = {name: getattr(args, name, None) for name in Settings.model_fields}
    return Settings().with_overrides(**flags)


def configure_logging(level: str) -> None:
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO), stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s", force=True)
    # Library chatter that is noise for a person at a terminal.
    for noisy in ("faiss.loader", "httpx", "urllib3", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser for `argv`: the group of the command it names is registered in full, every other command
    by name and summary only. Without argv, every group is registered (slow: it imports them all)."""
    from app.cli.commands import BY_NAME, COMMANDS, group_module, groups

    parser = argparse.ArgumentParser(prog="museum", description="A multimodal museum assistant: "
                                     "who painted this, similar paintings, artist facts, explanations.",
                                     epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    if argv is None:
        loaded = groups()
    else:
        named = next((word for word in argv if not word.startswith("-")), None)
        loaded = [BY_NAME[named].group] if named in BY_NAME else []
    common, registered = common_flags(), set()
    for command in COMMANDS:  # in listing order; a group registers all its commands where its first one is listed
        if command.group not in loaded:
            subparsers.add_parser(command.name, help=command.summary)
        elif command.group not in registered:
            registered.add(command.group)
            group_module(command.group).register(_Summarised(subparsers), common)
    return parser


class _Summarised:
    """Sub-parsers that take each command's help and description from the registry's summary."""

    def __init__(self, subparsers):
        self._subparsers = subparsers

    def add_parser(self, name: str, **kwargs) -> argparse.ArgumentParser:
        from app.cli.commands import BY_NAME

        if name not in BY_NAME:
            raise KeyError(f"command {name!r} is not in app/cli/commands/__init__.py COMMANDS")
        kwargs.setdefault("help", BY_NAME[name].summary)
        kwargs.setdefault("description", BY_NAME[name].summary)
        return self._subparsers.add_parser(name, **kwargs)


def main(argv: list[str] | None = None) -> int:
    stay_offline()
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    try:
        settings = settings_from(args)
    except ValueError as error:
        print(f"museum: bad setting: {error}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(settings.log_level)
    apply_thread_budget(settings.threads)
    keep_freed_memory()
    try:
        return args.handler(args, settings)
    except UserError as error:
        print(f"museum: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("museum: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `museum ... | head`: the reader has gone; stop quietly, and keep Python's exit-time flush from failing too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def run() -> None:
    """The `museum` console script and `python -m app`: `main`, then exit.

    Everything is written and closed by then, so the objects are frozen first: the interpreter's last garbage
    collections over torch's object graph took 0.4 s of every `museum predict`, after its answer was printed.
    """
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()
