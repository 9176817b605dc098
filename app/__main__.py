"""`python -m app ...` runs the `museum` command line."""

from app.cli import run

run()
