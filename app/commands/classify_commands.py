"""`museum train`, `museum predict`, `museum eval`: the artist and movement classifier."""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path

from tqdm import tqdm

from app.commands.shared import EXIT_FAILED, EXIT_OK, UserError, emit_json, stdin_as_file
from app.settings import Settings
from data.corpora import CorpusError
from retrieval.encoders import LITE_RESOLUTION, EncoderError

log = logging.getLogger(__name__)


def register(subparsers, common) -> None:
    train = subparsers.add_parser("train", parents=[common])
    train.add_argument("--best-artworks", metavar="PATH", help="Kaggle 'Best Artworks' folder (MUSEUM_BEST_ARTWORKS)")
    train.add_argument("--seed", type=int, help="split and training seed (MUSEUM_SEED)")
    train.add_argument("--json", action="store_true", help="print the manifest as one JSON object")
    train.set_defaults(handler=train_command)

    predict = subparsers.add_parser("predict", parents=[common])
    predict.add_argument("images", nargs="+", metavar="IMAGE", help="photos of paintings ('-': standard input)")
    predict.add_argument("--json", action="store_true", help="one JSON object per image")
    predict.set_defaults(handler=predict_command)

    evaluate = subparsers.add_parser("eval", parents=[common])
    evaluate.add_argument("--best-artworks", metavar="PATH",
                          help="Kaggle 'Best Artworks' folder (MUSEUM_BEST_ARTWORKS)")
    evaluate.add_argument("--unknown", metavar="PATH", help="folder of paintings by other artists, or 'met' "
                                                            "(the Met paintings held out from fitting the rule)")
    evaluate.add_argument("--out", metavar="DIR", help="write confusion.png and reliability.png here")
    evaluate.add_argument("--json", action="store_true", help="print the report as one JSON object")
    evaluate.set_defaults(handler=eval_command)


def progress_bars():
    """(stage, total) -> on_batch(n) callback driving one tqdm bar per stage on stderr."""
    def make(stage: str, total: int):
        bar = tqdm(total=total, desc=stage, unit="img", disable=None, leave=False)

        def update(done: int) -> None:
            bar.update(done)
            if bar.n >= total:
                bar.close()
        return update
    return make


def _best_artworks(settings: Settings) -> Path:
    # --best-artworks is a Settings field, so settings_from already merged flag and environment.
    root = settings.best_artworks
    if not root:
        raise UserError("give the dataset folder: --best-artworks PATH (or MUSEUM_BEST_ARTWORKS)")
    return Path(root)


def classifier_for(settings: Settings):
    from classifier.model import HeadsError
    from classifier.predict import load_classifier

    try:
        return load_classifier(settings.encoder, settings.resolved_heads_dir(), settings.batch_size, settings.workers)
    except (HeadsError, EncoderError) as error:
        raise UserError(str(error)) from None


def train_command(args, settings: Settings) -> int:
    from classifier.model import save_bundle
    from classifier.train import train
    from retrieval.style_features import FeatureConfig

    if settings.encoder not in LITE_RESOLUTION:
        raise UserError(f"training uses EfficientNet-Lite style features, not {settings.encoder}; "
                        f"choose --encoder {' / '.join(LITE_RESOLUTION)} (CLIP encoders classify zero-shot)")
    root = _best_artworks(settings)
    try:
        bundle, manifest = train(root, FeatureConfig(encoder=settings.encoder), seed=settings.seed,
                                 progress=progress_bars(), batch_size=settings.batch_size, workers=settings.workers)
    except CorpusError as error:
        raise UserError(str(error)) from None
    directory = settings.resolved_heads_dir()
    save_bundle(bundle, directory, manifest, settings.to_json())
    test, unknown = manifest["metrics"]["test"], manifest["metrics"]["unknown"]
    log.info("heads written to %s in %.0f s", directory, manifest["train_seconds"])
    if args.json:
        emit_json(manifest)
    else:
        print(f"test top-1 {test['top1']:.3f}  top-3 {test['top3']:.3f}  macro-F1 {test['macro_f1']:.3f}  "
              f"ECE {test['ece']:.3f}  photo top-1 {manifest['metrics']['test_photo']['top1']:.3f}  "
              f"unknown AUROC {unknown['auroc']:.3f}  -> {directory}")
    return EXIT_OK


def _describe(answer: dict) -> str:
    if "error" in answer:
        return f"{answer['image']}: error: {answer['error']}"
    who = answer["artist"] or "not one of the artists I know"
    top = ", ".join(f"{t['artist']} {t['probability']:.0%}" for t in answer["top"][:3])
    genres = ", ".join(f"{g['genre']} {g['probability']:.0%}" for g in answer["genres"])
    method = f" [{answer['method']}]" if "method" in answer else ""
    return f"{answer['image']}: {who} ({answer['confidence']:.0%}){method}\n  top: {top}\n  movement: {genres}"


def predict_command(args, settings: Settings) -> int:
    classifier = classifier_for(settings)
    started = time.perf_counter()
    with stdin_as_file(args.images) as paths, tqdm(total=len(paths), desc="classifying", unit="img", disable=None,
                                                     leave=False) as bar:
        results = [dataclasses.replace(result, path=Path(given)) for given, result in
                   zip(args.images, classifier.predict_paths(paths, on_batch=bar.update))]
    log.debug("classified %d images in %.2f s", len(paths), time.perf_counter() - started)
    for result in results:
        if args.json:
            emit_json(result.to_json())
        else:
            print(_describe(result.to_json()))
    return EXIT_FAILED if any(r.error for r in results) else EXIT_OK


def eval_command(args, settings: Settings) -> int:
    from classifier.benchmark import evaluate_heads
    from classifier.predict import Classifier

    classifier = classifier_for(settings)
    if not isinstance(classifier, Classifier):
        raise UserError(f"no trained heads for {settings.encoder} to evaluate: run `museum train` first")
    try:
        report = evaluate_heads(classifier, _best_artworks(settings), unknown=args.unknown,
                                out=Path(args.out) if args.out else None, progress=progress_bars())
    except CorpusError as error:
        raise UserError(str(error)) from None
    if args.json:
        emit_json(report)
        return EXIT_OK
    clean, photo = report["clean"], report["photo"]
    print(f"{report['images']} images ({report['scope']})")
    for key in ("top1", "top3", "macro_f1", "balanced_accuracy", "genre_accuracy", "ece", "known_answered"):
        print(f"  {key:18s} {clean[key]:.3f}")
    print(f"  {'photo top1':18s} {photo['top1']:.3f}")
    if "unknown" in report:
        u = report["unknown"]
        print(f"  unknown AUROC      {u['auroc']:.3f} ({u['unknown_images']} images, "
              f"{u['unknown_rejected']:.0%} rejected)")
    for path in report.get("plots", []):
        print(f"  wrote {path}")
    return EXIT_OK
