"""`museum ask` (one turn) and `museum chat` (a conversation: interactive, --script FILE|- or stdin lines)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from app.cli.commands.shared import EXIT_OK, STDIN, UserError, emit_json, image_source, read_text
from app.conversation.engine import Message, Reply, SessionState, respond
from app.serving.resources import Resources
from app.settings import Settings


def register(subparsers, common) -> None:
    ask = subparsers.add_parser("ask", parents=[common])
    ask.add_argument("question", nargs="?", default="", help='e.g. "who painted this?"')
    ask.add_argument("--image", help="a photo of a painting ('-': read it from standard input)")
    ask.add_argument("--json", action="store_true", help='print {"reply", "artist", "images", "data"} as one JSON line')
    ask.set_defaults(handler=ask_command)

    chat = subparsers.add_parser("chat", parents=[common],
                                 description="One message per line; '@path/to/image.jpg optional text' shows a "
                                             "painting. Reads --script FILE (- for standard input), or standard "
                                             "input when it is not a terminal.")
    chat.add_argument("--script", metavar="FILE", help="play the lines of this file as a conversation ('-': "
                                                         "standard input)")
    chat.add_argument("--json", action="store_true", help="one JSON reply per line")
    chat.set_defaults(handler=chat_command)


def parse_line(line: str) -> Message:
    """ "@irises.jpg who painted this?" -> Message(text="who painted this?", image="irises.jpg")."""
    line = line.strip()
    if not line.startswith("@"):
        return Message(text=line)
    try:
        image, *rest = shlex.split(line[1:])  # quotes allow paths with spaces
        return Message(text=" ".join(rest), image=str(Path(image).expanduser()))
    except ValueError:  # unbalanced quotes: the first word is the path
        image, _, rest = line[1:].partition(" ")
        return Message(text=rest, image=image)


def show(reply: Reply, as_json: bool) -> None:
    if as_json:
        emit_json(reply.to_json())
        return
    print(reply.text)
    for number, (path, caption) in enumerate(zip(reply.images, reply.captions), 1):
        print(f"  {number}. {caption}\n     {path}")
    if reply.suggestions:
        print(f"  (try: {' | '.join(reply.suggestions)})")
    print()


def ask_command(args, settings: Settings) -> int:
    if args.image and args.image != STDIN and not Path(args.image).is_file():
        raise UserError(f"no such image: {args.image}")
    image = image_source(args.image) if args.image else None
    _, reply = respond(Resources.from_settings(settings), SessionState(), Message(text=args.question, image=image))
    show(reply, args.json)
    return EXIT_OK


def chat_command(args, settings: Settings) -> int:
    if args.script:
        lines = read_text(args.script).splitlines()
    elif sys.stdin.isatty():
        lines = None
    else:
        lines = sys.stdin.read().splitlines()
    resources = Resources.from_settings(settings)
    state = SessionState()
    if lines is None:
        print("Ask about a painting or an artist; '@path/to/image.jpg' shows one. Ctrl-D to stop.")
        lines = _prompt_lines()
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):  # blank lines and comments in scripts
            continue
        state, reply = respond(resources, state, parse_line(line))
        show(reply, args.json)
    return EXIT_OK


def _prompt_lines():
    while True:
        try:
            yield input("you> ")
        except EOFError:
            print()
            return
