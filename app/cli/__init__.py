"""The `museum` command line: `run()` is the installed entry point, `main(argv) -> exit code` the testable one.

program.py parses the shared flags and dispatches; commands/ holds one module per group of sub-commands,
imported only when one of its commands runs.
"""

from app.cli.program import build_parser, configure_logging, main, run, settings_from

__all__ = ["build_parser", "configure_logging", "main", "run", "settings_from"]
