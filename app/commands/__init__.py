"""Sub-command groups of the `museum` command line, in the order `museum --help` lists them."""

from app.commands import index_commands

COMMAND_GROUPS = [index_commands]
