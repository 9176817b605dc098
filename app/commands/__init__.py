"""Sub-command groups of the `museum` command line, in the order `museum --help` lists them."""

from app.commands import bench_commands, chat_commands, classify_commands, explain_commands, index_commands, serve_commands
from app.commands import style_commands

COMMAND_GROUPS = [index_commands, classify_commands, explain_commands, bench_commands, serve_commands, chat_commands,
                  style_commands]
