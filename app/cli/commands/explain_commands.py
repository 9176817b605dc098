"""`museum explain IMAGE [--method lime|heatmap|examples] [--label ARTIST] [--out PNG] [--json]`."""

from __future__ import annotations

import logging
from pathlib import Path

from tqdm import tqdm

from app.cli.commands.shared import EXIT_OK, UserError, emit_json, image_source
from app.settings import Settings
from classifier.explain import METHODS, ExplainError, explain_for_chat, load_resources
from classifier.model import HeadsError
from data.images import ImageError, load_image
from retrieval.encoders import EncoderError

log = logging.getLogger(__name__)


def register(subparsers, common) -> None:
    explain = subparsers.add_parser("explain", parents=[common])
    explain.add_argument("image", help="a photo of a painting ('-': standard input)")
    explain.add_argument("--method", choices=METHODS, default="heatmap",
                         help="heatmap (fast Grad-CAM, default), lime (superpixels), examples (similar paintings)")
    explain.add_argument("--label", metavar="ARTIST", help="explain this artist instead of the top prediction")
    explain.add_argument("--out", metavar="PNG", help="write the overlay image here")
    explain.add_argument("--json", action="store_true", help="print one JSON object")
    explain.set_defaults(handler=explain_command)


def explain_command(args, settings: Settings) -> int:
    try:
        image = load_image(image_source(args.image))
    except ImageError as error:
        raise UserError(f"{args.image}: {error}") from None
    index_dir = Path(settings.resolved_index_dir())
    try:
        resources = load_resources(Path(settings.resolved_heads_dir()), settings.encoder,
                                   index_dir if index_dir.is_dir() else None)
    except (HeadsError, EncoderError) as error:
        raise UserError(f"no prediction possible: {error}") from None
    except ValueError as error:  # e.g. style features need an EfficientNet-Lite encoder
        raise UserError(f"no prediction possible with --encoder {settings.encoder}: {error}") from None
    with tqdm(total=100, desc=args.method, unit="%", disable=args.method != "lime", leave=False) as bar:
        def progress(fraction: float, description: str) -> None:
            bar.set_description(description)
            bar.update(round(100 * fraction) - bar.n)

        try:
            explanation = explain_for_chat(resources, image, args.label, args.method, progress)
        except ExplainError as error:
            raise UserError(str(error)) from None
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        explanation.overlay.save(args.out)
    if args.json:
        emit_json({"image": args.image, "text": explanation.text, "overlay": args.out, **explanation.data})
    else:
        print(explanation.text)
        for hit in explanation.examples:
            print(f"  {hit.score:.3f}  {hit.record.artist}: {hit.record.title} ({hit.record.date})")
        if args.out:
            print(f"overlay written to {args.out}")
    return EXIT_OK
