"""The `museum` command line: entry point, shared flags, logging set-up.

Each group of sub-commands lives in app/commands/<group>.py and exposes
`register(subparsers, common)`; handlers take (args, settings) and return an exit code.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from app.settings import Settings

log = logging.getLogger("museum")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UserError(Exception):
    """A problem the user can fix; shown as one clear line, exit code 2."""


def common_flags() -> argparse.ArgumentParser:
    """Flags every sub-command takes; each overrides its MUSEUM_* variable."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--encoder", help="image encoder (MUSEUM_ENCODER), e.g. efficientnet-lite0, "
                                          "open_clip:ViT-B-32:laion2b_s34b_b79k, open_clip:/path/to/dir")
    parent.add_argument("--index-dir", type=str, help="index folder (MUSEUM_INDEX_DIR)")
    parent.add_argument("--heads-dir", type=str, help="trained classifier heads folder (MUSEUM_HEADS_DIR)")
    parent.add_argument("--log-level", help="DEBUG, INFO, WARNING (MUSEUM_LOG_LEVEL)")
    parent.add_argument("--collection", help="a museum's own collection folder (MUSEUM_COLLECTION; docs/collection.md)")
    parent.add_argument("--knowledge", dest="knowledge_files", action="append", metavar="FILE",
                        help="a curator's file of painters' facts, merged over the shipped ones (MUSEUM_KNOWLEDGE_FILES)")
    return parent


def settings_from(args: argparse.Namespace) -> Settings:
    flags = {name: getattr(args, name, None) for name in Settings.model_fields}
    return Settings().with_overrides(**flags)


def emit_json(value) -> None:
    """One JSON object on one line of stdout."""
    sys.stdout.write(json.dumps(value, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def configure_logging(level: str) -> None:
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO), stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s", force=True)
    # Library chatter that is noise for a person at a terminal.
    for noisy in ("faiss.loader", "httpx", "urllib3", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def build_parser() -> argparse.ArgumentParser:
    from app.commands import COMMAND_GROUPS

    parser = argparse.ArgumentParser(prog="museum", description="A multimodal museum assistant: "
                                     "who painted this, similar paintings, artist facts, explanations.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = common_flags()
    for group in COMMAND_GROUPS:
        group.register(subparsers, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # this assistant never downloads at run time
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = settings_from(args)
    except ValueError as error:
        print(f"museum: bad setting: {error}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(settings.log_level)
    try:
        return args.handler(args, settings)
    except UserError as error:
        print(f"museum: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("museum: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    # Run the imported module's main, not this __main__ copy: otherwise `python -m app.cli` would hold two
    # distinct UserError classes and show tracebacks instead of one-line errors.
    from app.cli import main as entry

    sys.exit(entry())
