"""`python -m app.cli ...` runs the `museum` command line."""

from app.cli.program import run

run()
