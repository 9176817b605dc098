"""`museum serve`: the Gradio app for a browser, a museum kiosk or a Hugging Face Space."""

from __future__ import annotations

import logging
import time

from app.cli.commands.shared import EXIT_OK, UserError
from app.runtime import loading
from app.settings import Settings

log = logging.getLogger(__name__)

def register(subparsers, common) -> None:
    serve = subparsers.add_parser("serve", parents=[common])
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; "
                                                            "0.0.0.0 to let other machines in)")
    serve.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    serve.add_argument("--kiosk", action="store_true",
                       help="museum kiosk: large touch targets, no footer, the session resets after "
                            "the visitor leaves (MUSEUM_KIOSK_IDLE_SECONDS, default 180 s)")
    serve.add_argument("--idle-seconds", dest="kiosk_idle_seconds", type=float,
                       help="kiosk idle reset in seconds (MUSEUM_KIOSK_IDLE_SECONDS)")
    serve.set_defaults(handler=serve_command)


def serve_command(args, settings: Settings) -> int:
    if settings.kiosk_idle_seconds <= 0:
        raise UserError(f"the kiosk idle time must be positive, got {settings.kiosk_idle_seconds:g} s")
    with loading():
        # Imported here: Gradio and the models are heavy, and other sub-commands never need them.
        from app.conversation import warm
        from app.serving.resources import Resources
        from app.web.ui import build_demo, launch

        started = time.monotonic()
        resources = Resources.from_settings(settings)
        # Warning level on purpose: the default log level is WARNING, and whoever starts a server should
        # see that it is loading and when it is ready.
        log.warning("loading the models once for every visitor (index %s, heads %s) ...",
                    settings.resolved_index_dir(), settings.resolved_heads_dir())
        problems = warm(resources)
        log.warning("models ready in %.1f s%s; serving on http://%s:%d%s", time.monotonic() - started,
                    f" (running without: {', '.join(problems)})" if problems else "",
                    args.host, args.port, " (kiosk)" if args.kiosk else "")
        demo = build_demo(resources, kiosk=args.kiosk, idle_seconds=settings.kiosk_idle_seconds)
    try:
        launch(demo, kiosk=args.kiosk, host=args.host, port=args.port)
    except OSError as error:  # the port is taken, or the address is not this machine's
        raise UserError(f"cannot listen on {args.host}:{args.port}: {error}") from None
    return EXIT_OK
