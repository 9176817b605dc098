"""`museum stylize` (a photo painted like a painter or a painting) and `museum train stylizer` (the instant
styles). The style transfer itself is in classifier/stylize."""

from __future__ import annotations

import io
import logging
import time
from pathlib import Path

from tqdm import tqdm

from app.cli.commands.shared import EXIT_OK, UserError, emit_json, image_source
from app.settings import Settings
from data.files import atomic_write_bytes
from data.images import ImageError, is_image_file, load_image

log = logging.getLogger(__name__)


def register(subparsers, common) -> None:
    stylize = subparsers.add_parser("stylize", parents=[common])
    stylize.add_argument("photo", metavar="PHOTO", nargs="?", help="the picture to paint ('-': standard input)")
    how = stylize.add_mutually_exclusive_group(required=True)
    how.add_argument("--like", metavar="PAINTER", help="an instant style, by painter (see --list)")
    how.add_argument("--style", metavar="PAINTING", help="any painting as the style (tens of seconds)")
    how.add_argument("--list", action="store_true", help="list the painters with an instant style")
    stylize.add_argument("--out", metavar="FILE", help="where to write the JPEG (default: PHOTO-painted.jpg here)")
    stylize.add_argument("--stylize-side", type=int, help="the output's longer side (MUSEUM_STYLIZE_SIDE)")
    stylize.add_argument("--stylize-steps", type=int, help="--style: optimisation steps (MUSEUM_STYLIZE_STEPS)")
    stylize.add_argument("--stylize-statistic", help="--style: gram, softmax-gram or mean-std "
                                                     "(MUSEUM_STYLIZE_STATISTIC)")
    stylize.add_argument("--any-style", action="store_true",
                         help="--style: use the picture even if it does not look like a painting")
    stylize.add_argument("--seed", type=int, help="(MUSEUM_SEED)")
    stylize.add_argument("--json", action="store_true", help="print what was done as one JSON object")
    stylize.set_defaults(handler=stylize_command)


def _read(path: str, what: str):
    try:
        return load_image(image_source(path))
    except ImageError as error:
        raise UserError(f"{what}: {error}") from None


def stylize_command(args, settings: Settings) -> int:
    from classifier.stylize import StylizeError, instant_styles

    directory = settings.resolved_stylizers_dir()
    try:
        painters = instant_styles(directory)
    except StylizeError as error:
        raise UserError(str(error)) from None
    if args.list:
        print("\n".join(painters) if painters else f"no instant styles in {directory}")
        return EXIT_OK
    if not args.photo:
        raise UserError("give the photo to paint: museum stylize PHOTO --like PAINTER (or --style PAINTING)")
    photo = _read(args.photo, "the photo")
    started = time.perf_counter()
    try:
        if args.like:
            painted, style = _instant(settings, directory, painters, args.like, photo), args.like
        else:
            painted, style = _optimised(settings, photo, _read(args.style, "the style"), args.any_style), args.style
    except (StylizeError, ValueError) as error:  # ValueError: an unknown --stylize-statistic
        raise UserError(str(error)) from None
    out = Path(args.out) if args.out else Path(f"{Path(args.photo).stem if args.photo != '-' else 'photo'}-painted.jpg")
    buffer = io.BytesIO()
    painted.save(buffer, format="JPEG", quality=92)
    atomic_write_bytes(out, buffer.getvalue())
    seconds = time.perf_counter() - started
    report = {"out": str(out), "like": args.like, "style": args.style, "size": list(painted.size),
              "seconds": round(seconds, 2)}
    if args.json:
        emit_json(report)
    else:
        print(f"{out}: {painted.width}x{painted.height}, painted like {style} in {seconds:.1f} s")
    return EXIT_OK


def _instant(settings: Settings, directory: Path, painters: list[str], asked: str, photo):
    from classifier.stylize import load_instant, paint_instantly
    from data.knowledge import load_knowledge

    name = next((p for p in painters if p.lower() == asked.lower()), None)
    if name is None:
        entry = load_knowledge().find(asked)  # "van gogh", "Monet": the knowledge base knows the full names
        name = entry.name if entry is not None and entry.name in painters else None
    if name is None:
        raise UserError(f"no instant style for {asked!r}; there is one for: {', '.join(painters) or 'nobody yet'} "
                        "(or give any painting with --style PAINTING)")
    return paint_instantly(load_instant(directory, name), photo, settings.stylize_side)


def _optimised(settings: Settings, photo, style, any_style: bool):
    import dataclasses

    from classifier.stylize import LossNetwork, OptimizeConfig, paint_like

    if not any_style:
        _check_is_painting(settings, style)
    config = OptimizeConfig(side=settings.stylize_side, steps=settings.stylize_steps,
                            loss=dataclasses.replace(OptimizeConfig().loss, statistic=settings.stylize_statistic))
    with tqdm(total=config.steps, desc="painting", unit="step", disable=None, leave=False) as bar:
        return paint_like(LossNetwork(), photo, [style], config, seed=settings.seed,
                          progress=lambda done, total: bar.update(done - bar.n))


def _check_is_painting(settings: Settings, style) -> None:
    """A photo as the style gives a photo back: refuse it, as the app's presence head would see it."""
    from classifier.predict import load_classifier
    from classifier.presence import load_presence

    presence = load_presence(backbone=settings.encoder)
    if presence is None:
        return
    classifier = load_classifier(settings.encoder, settings.resolved_heads_dir())
    prediction = classifier.predict_images([style])[0]
    chance = float(presence.probability(prediction.embedding[None])[0])
    if chance < presence.threshold:
        raise UserError(f"the style picture does not look like a painting to me (P(painting) {chance:.2f}); "
                        "give a painting, or --any-style to use it anyway")


def train_stylizer_command(args, settings: Settings) -> int:
    """`museum train stylizer`: an instant style per painter of classifier/stylize/train.STYLE_WORKS, each
    skipped when its weights already match its recipe (cached), seeded."""
    from classifier.stylize.instant import read_manifest, save_instant
    from classifier.stylize.losses import LossNetwork
    from classifier.stylize.train import STYLE_WORKS, TrainConfig, style_files, train_instant_style
    from data.files import sha256_file

    if not settings.best_artworks or not settings.other_painters:
        raise UserError("give the Kaggle folder (the painters' works) and the other painters' folder (the content "
                        "pictures): --best-artworks PATH --other-painters PATH")
    painters = args.painter or list(STYLE_WORKS)
    unknown = [p for p in painters if p not in STYLE_WORKS]
    if unknown:
        raise UserError(f"no style works chosen for {', '.join(unknown)}; choose among {', '.join(STYLE_WORKS)}")
    contents = sorted(p for p in Path(settings.other_painters).rglob("*") if is_image_file(p))
    if not contents:
        raise UserError(f"no images in {settings.other_painters}")
    config = TrainConfig(iterations=args.iterations or TrainConfig().iterations)
    directory = settings.resolved_stylizers_dir()
    network = LossNetwork()
    report = {}
    for painter in painters:
        files = style_files(Path(settings.best_artworks), painter)
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise UserError(f"{painter}'s style works are not in {settings.best_artworks}: {', '.join(missing)}")
        recipe = {"painter": painter, "works": [f.name for f in files], "train": config.to_json(),
                  "seed": settings.seed, "loss_network": network.version, "content_images": len(contents)}
        file = f"{painter.lower().replace(' ', '-')}.pt"
        entry = read_manifest(directory)["styles"].get(painter)
        if entry and entry.get("recipe") == recipe and (directory / file).is_file() \
                and sha256_file(directory / file) == entry["sha256"]:
            log.info("%s: cached (%s)", painter, directory / file)
            report[painter] = {"cached": True, "seconds": entry["seconds"]}
            continue
        started = time.perf_counter()
        with tqdm(total=config.iterations, desc=painter, unit="step", disable=None, leave=False) as bar:
            def step(done: int, parts: dict) -> None:
                bar.update(done - bar.n)
                bar.set_postfix({name: f"{value:.3g}" for name, value in parts.items()}, refresh=False)

            net = train_instant_style(network, [load_image(f) for f in files], contents, config,
                                      seed=settings.seed, progress=step)
        seconds = round(time.perf_counter() - started, 1)
        save_instant(directory, net, painter, file, {"recipe": recipe, "seconds": seconds})
        report[painter] = {"cached": False, "seconds": seconds}
        log.info("%s: trained in %.0f s -> %s", painter, seconds, directory / file)
    if args.json:
        emit_json({"directory": str(directory), "styles": report})
    else:
        for painter, done in report.items():
            print(f"{painter}: {'cached' if done['cached'] else 'trained'} ({done['seconds']:.0f} s of training)")
        print(f"-> {directory}")
    return EXIT_OK
