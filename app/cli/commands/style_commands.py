"""`museum style fit` and `museum style bench`: the style embedding that `similar` ranks by.

Both read the Kaggle painters' style features through the classifier's feature cache and its
near-duplicate-aware split (so a painting and its re-photographed copy never sit on both sides);
the projection and the metrics themselves are in retrieval/style_fit.py.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from app.cli.commands.shared import EXIT_OK, UserError, emit_json
from app.settings import Settings
from data.corpora import CorpusError
from retrieval.encoders import STYLE_ENCODERS

log = logging.getLogger(__name__)

FORMAT_VERSION = 1


def register(subparsers, common) -> None:
    style = subparsers.add_parser("style", help="fit or measure the style embedding of `similar`")
    actions = style.add_subparsers(dest="style_command", required=True, metavar="ACTION")
    for action, handler, text in (("fit", fit_command, "fit the style projection on a Kaggle folder (seeded)"),
                                  ("bench", bench_command, "similar-painting precision, pooled vs style")):
        parser = actions.add_parser(action, parents=[common], help=text)
        parser.add_argument(
            "--best-artworks", metavar="PATH", help="Kaggle 'Best Artworks' folder (MUSEUM_BEST_ARTWORKS)"
        )
        parser.add_argument("--name", default="style-lite0", choices=sorted(STYLE_ENCODERS))
        parser.add_argument("--seed", type=int, help="split and PCA seed (MUSEUM_SEED)")
        parser.add_argument("--json", action="store_true")
        parser.set_defaults(handler=handler)
    actions.choices["bench"].add_argument("--split", choices=["val", "test"], default="val",
                                          help="whose paintings are the queries (report test once)")
    actions.choices["bench"].add_argument("--latency-images", type=int, default=100,
                                          help="queries timed for the latency figures (0: none)")


def _features(args, settings: Settings, name: str):
    """(corpus, style features, pooled features, split parts, near-duplicate groups) of the Kaggle folder."""
    from classifier.features import cached_extract, identity_view
    from classifier.split import near_duplicate_groups, split_indices
    from classifier.train import labelled_corpus
    from retrieval.style_features import FeatureConfig, StyleExtractor

    if not settings.best_artworks:
        raise UserError("give the dataset folder: --best-artworks PATH (or MUSEUM_BEST_ARTWORKS)")
    try:
        corpus = labelled_corpus(Path(settings.best_artworks))
    except CorpusError as error:
        raise UserError(str(error)) from None
    extractor = StyleExtractor(FeatureConfig(encoder=STYLE_ENCODERS[name]))
    # The same cache (and key) as `museum train`'s clean view: a warm cache skips every forward pass.
    features = cached_extract(extractor, corpus.paths, "clean", identity_view, settings.cache_dir,
                              batch_size=settings.batch_size, workers=settings.workers)
    valid = ~np.isnan(features.styles).any(axis=1)
    corpus = corpus.subset(valid)
    groups = near_duplicate_groups(features.pooled[valid])
    parts = split_indices(corpus.labels, groups, settings.seed)
    return corpus, extractor.config, features.styles[valid], features.pooled[valid], parts, groups


def fit_command(args, settings: Settings) -> int:
    from retrieval.style_encoder import weights_dir
    from retrieval.style_fit import PCA_DIMS, fit_projection, retrieval_metrics

    settings = settings.with_overrides(seed=args.seed)
    started = time.perf_counter()
    corpus, config, styles, pooled, parts, groups = _features(args, settings, args.name)
    projection = fit_projection(styles[parts["train"]], corpus.labels[parts["train"]], seed=settings.seed)
    movements = corpus.membership > 0
    metrics = {"pooled": retrieval_metrics(pooled, parts["val"], corpus.labels, groups, movements),
               "style": retrieval_metrics(projection(styles), parts["val"], corpus.labels, groups, movements)}
    seconds = time.perf_counter() - started
    manifest = {"format_version": FORMAT_VERSION, "name": args.name,
                "method": f"standardise, PCA {PCA_DIMS}, LDA on {len(corpus.artists)} painters",
                "dim": int(projection.matrix.shape[1]), "features": config.to_json(),
                "fitting_data": {**corpus.data, "split": {"seed": settings.seed,
                                                          "sizes": {k: len(v) for k, v in parts.items()}}},
                "validation": metrics, "fit_seconds": round(seconds, 1),
                "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    directory = weights_dir(args.name)
    projection.save(directory, manifest)
    log.info("style projection written to %s in %.0f s", directory, seconds)
    if args.json:
        emit_json(manifest)
    else:
        _print_metrics(metrics, "validation")
        print(f"fitted in {seconds:.0f} s -> {directory}")
    return EXIT_OK


def bench_command(args, settings: Settings) -> int:
    from retrieval.style_encoder import StyleProjection, weights_dir
    from retrieval.style_fit import retrieval_metrics

    settings = settings.with_overrides(seed=args.seed)
    corpus, _, styles, pooled, parts, groups = _features(args, settings, args.name)
    projection, manifest = StyleProjection.load(weights_dir(args.name))
    if manifest["fitting_data"]["split"]["seed"] != settings.seed:
        raise UserError(f"the projection was fitted with split seed {manifest['fitting_data']['split']['seed']}; "
                        "bench with the same --seed, or its queries would include fitted paintings")
    movements = corpus.membership > 0
    style_vectors = projection(styles)
    metrics = {"pooled": retrieval_metrics(pooled, parts[args.split], corpus.labels, groups, movements),
               "style": retrieval_metrics(style_vectors, parts[args.split], corpus.labels, groups, movements)}
    latency = _latency(args, settings, corpus, parts[args.split], pooled, style_vectors) if args.latency_images else {}
    if args.json:
        emit_json({"split": args.split, "name": args.name, "metrics": metrics, "latency": latency})
    else:
        _print_metrics(metrics, args.split)
        for name, values in latency.items():
            print(f"latency {name:14s} p50 {values['p50_ms']:7.1f} ms  p95 {values['p95_ms']:7.1f} ms "
                  f"({values['queries']} queries)")
        if latency:
            ratio = latency["style"]["p50_ms"] / latency["plain_forward"]["p50_ms"]
            print(f"style query p50 / plain forward p50: {ratio:.2f}")
    return EXIT_OK


def _latency(args, settings: Settings, corpus, queries: np.ndarray, pooled: np.ndarray, styles: np.ndarray) -> dict:
    """Query latency of both embeddings against the whole corpus, on the first --latency-images query paintings."""
    from app.bench.style import query_latency
    from data.images import load_image
    from retrieval.encoders import load_encoder, normalize

    plain = load_encoder(STYLE_ENCODERS[args.name])
    style = load_encoder(args.name)
    images = [load_image(corpus.paths[row]) for row in queries[:args.latency_images]]
    return query_latency(plain, {"pooled": (plain, normalize(pooled)), "style": (style, normalize(styles))}, images)


def _print_metrics(metrics: dict, split: str) -> None:
    queries = metrics["style"]["queries"]
    print(f"{queries} {split} paintings as queries against the rest of the corpus (near-duplicates left out)")
    print(f"{'embedding':10s} {'painter P@10':>13s} {'movement P@10':>14s} {'painter @1':>11s}")
    for name, values in metrics.items():
        print(f"{name:10s} {values['same_painter_p@10']:13.3f} {values['same_movement_p@10']:14.3f} "
              f"{values['same_painter_rank1']:11.3f}")
