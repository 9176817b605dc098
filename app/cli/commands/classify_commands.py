"""`museum train`, `museum predict`, `museum eval`: the artist and movement classifier.

Each command imports what it runs (training, evaluation, the corpus loaders with pandas) when it runs, so a
`museum predict` start loads only torch, the backbone and the heads.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path

from tqdm import tqdm

from app.cli.commands.shared import EXIT_FAILED, EXIT_OK, UserError, emit_json, stdin_as_file
from app.cli.commands.training import (
    check_trainable,
    other_painters_folder,
    progress_bars,
    train_folder_command,
    training_summary,
)
from app.settings import Settings
from retrieval.encoders import EncoderError

log = logging.getLogger(__name__)


def register(subparsers, common) -> None:
    train = subparsers.add_parser("train", parents=[common])
    train.add_argument("what", nargs="?", choices=("heads", "stylizer"), default="heads",
                       help="heads (default): the artist/movement classifier; stylizer: the instant styles of "
                            "`museum stylize --like` (classifier/weights/stylizers)")
    train.add_argument("--painter", action="append", metavar="NAME", help="stylizer: only this painter (repeatable)")
    train.add_argument("--iterations", type=int, help="stylizer: training steps per painter")
    train.add_argument("--stylizers-dir", metavar="DIR", help="stylizer: where the styles are written "
                                                              "(MUSEUM_STYLIZERS_DIR)")
    train.add_argument("--best-artworks", metavar="PATH", help="Kaggle 'Best Artworks' folder (MUSEUM_BEST_ARTWORKS)")
    train.add_argument("--other-painters", metavar="PATH",
                       help="paintings by painters outside the 50, labelled by painter in a manifest.csv or "
                            "metadata.csv `artist` column (MUSEUM_OTHER_PAINTERS): outlier exposure and the "
                            "known/unknown rule, split by painter")
    train.add_argument("--cache-dir", metavar="DIR", help="feature cache folder (MUSEUM_CACHE_DIR)")
    train.add_argument("--folder", metavar="PATH", help="a museum's folder: painters from its sidecar's `artist` "
                                                        "column (with --best-artworks: added to the Kaggle 50)")
    train.add_argument("--min-works", type=int, help="--folder: works a painter needs to be learnt (MUSEUM_MIN_WORKS)")
    train.add_argument("--seed", type=int, help="split and training seed (MUSEUM_SEED)")
    train.add_argument("--json", action="store_true", help="print the manifest as one JSON object")
    train.set_defaults(handler=train_command)

    predict = subparsers.add_parser("predict", parents=[common])
    predict.add_argument("images", nargs="+", metavar="IMAGE", help="photos of paintings ('-': standard input)")
    predict.add_argument("--json", action="store_true", help="one JSON object per image")
    predict.set_defaults(handler=predict_command)

    evaluate = subparsers.add_parser("eval", parents=[common])
    evaluate.add_argument("mode", nargs="?", choices=("heads", "questions"), default="heads",
                          help="heads (default): the classifier on a best-artworks folder; questions: the visitor-"
                               "question table (data/knowledge/questions_eval.csv), per kind")
    evaluate.add_argument("--table", metavar="CSV", help="questions: another question table")
    evaluate.add_argument("--split", choices=("val", "test", "all"), default="all", help="questions: which half")
    evaluate.add_argument("--wrong", action="store_true", help="questions: print the wrong and invented replies")
    evaluate.add_argument("--timing", action="store_true", help="questions: time the text turns in a warmed-up app")
    evaluate.add_argument(
        "--best-artworks", metavar="PATH", help="Kaggle 'Best Artworks' folder (MUSEUM_BEST_ARTWORKS)"
    )
    evaluate.add_argument("--unknown", metavar="PATH", help="folder of paintings by other painters (only its test "
                                                            "painters when the heads were trained on it), or 'met'")
    evaluate.add_argument("--cache-dir", metavar="DIR", help="feature cache folder (MUSEUM_CACHE_DIR)")
    evaluate.add_argument("--out", metavar="DIR", help="write confusion.png and reliability.png here")
    evaluate.add_argument("--json", action="store_true", help="print the report as one JSON object")
    evaluate.set_defaults(handler=eval_command)


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
    from data.corpora import CorpusError
    from retrieval.style_features import FeatureConfig

    if args.what == "stylizer":
        from app.cli.commands.stylize_commands import train_stylizer_command

        return train_stylizer_command(args, settings)
    if args.folder:
        return train_folder_command(args, settings)
    check_trainable(settings)
    root = _best_artworks(settings)
    others = other_painters_folder(settings)
    try:
        bundle, manifest = train(root, others, FeatureConfig(encoder=settings.encoder),
                                 seed=settings.seed, progress=progress_bars(), batch_size=settings.batch_size,
                                 workers=settings.workers, cache_dir=settings.cache_dir)
    except CorpusError as error:
        raise UserError(str(error)) from None
    directory = settings.resolved_heads_dir()
    save_bundle(bundle, directory, manifest, settings.to_json())
    log.info("heads written to %s in %.0f s", directory, manifest["train_seconds"])
    if args.json:
        emit_json(manifest)
        return EXIT_OK
    print(training_summary(manifest, directory))
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
    if args.mode == "questions":
        return eval_questions(args, settings)
    from classifier.evaluation import evaluate_heads
    from classifier.predict import Classifier
    from data.corpora import CorpusError

    classifier = classifier_for(settings)
    if not isinstance(classifier, Classifier):
        raise UserError(f"no trained heads for {settings.encoder} to evaluate: run `museum train` first")
    try:
        report = evaluate_heads(classifier, _best_artworks(settings), unknown=args.unknown,
                                out=Path(args.out) if args.out else None, progress=progress_bars(),
                                cache_dir=settings.cache_dir)
    except CorpusError as error:
        raise UserError(str(error)) from None
    if args.json:
        emit_json(report)
        return EXIT_OK
    clean = report["clean"]
    print(f"{report['images']} images ({report['scope']})")
    for key in ("top1", "top3", "macro_f1", "balanced_accuracy", "genre_accuracy", "ece", "known_answered"):
        print(f"  {key:22s} {clean[key]:.3f}")
    for name, key in (("gallery photo", "photo"), ("visitor photo", "visitor_photo")):
        print(f"  {name + ' top1':22s} {report[key]['top1']:.3f}, ECE {report[key]['ece']:.3f}"
              + (f" ({report[key + '_as_camera']['ece']:.3f} answered as a phone's photo)"
                 if key + "_as_camera" in report else ""))
    if "unknown" in report:
        u = report["unknown"]
        print(f"  unknown ({u['what']}, {u['unknown_images']} images): AUROC {u['auroc']:.3f}, known answered "
              f"{u['known_answered']:.1%}, unknown rejected {u['unknown_rejected']:.1%}; known as small JPEGs: "
              f"AUROC {u['known_as_small_jpeg']['auroc']:.3f}")
    print("  most frequent mistakes: " + "; ".join(
        f"{c['artist']} -> {c['answered']} ({c['images']}/{c['of']})" for c in report["confusions"][:5]))
    for path in report.get("plots", []):
        print(f"  wrote {path}")
    return EXIT_OK


def eval_questions(args, settings: Settings) -> int:
    """`museum eval questions`: each question of the table as one fresh conversation; per-kind figures."""
    from app.bench import questions
    from app.serving.resources import Resources

    path = Path(args.table) if args.table else questions.TABLE
    if not path.is_file():
        raise UserError(f"no question table at {path}")
    rows = questions.read_table(path)
    if args.timing:
        figures = questions.timing(Resources.from_settings(settings), rows)
        if args.json:
            emit_json(figures)
        else:
            print(f"{figures['turns']} text turns after warm-up: median {figures['median_s'] * 1000:.1f} ms, "
                  f"p95 {figures['p95_s'] * 1000:.1f} ms, max {figures['max_s'] * 1000:.1f} ms")
        return EXIT_OK
    report = questions.run(Resources.from_settings(settings), rows, args.split)
    if args.json:
        emit_json(report)
    else:
        print(questions.describe(report, wrong=args.wrong))
    return EXIT_OK
