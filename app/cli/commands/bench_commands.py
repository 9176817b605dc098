"""`museum bench`: speed figures for the retrieval pipeline (and explanations when present)."""

from __future__ import annotations

import random
from pathlib import Path

from app.bench import index as index_bench
from app.cli.commands import bench_load
from app.cli.commands.index_commands import corpus_of
from app.cli.commands.shared import EXIT_OK, UserError, emit_json, progress_bar
from app.settings import Settings
from data.corpora import load_corpus
from retrieval.encoders import load_encoder

PARTS = ("build", "similar", "predict", "search", "incremental")
EXPLAIN = "explain"  # not in "all": it needs trained heads and the Kaggle data, and takes minutes
SCALE = "scale"  # not in "all": millions of vectors and several Ray sessions take tens of minutes
CLI = "cli"  # not in "all": it times whole commands in fresh processes (app/bench/cli_timing.py)
MATCH = "match"  # not in "all": recognition on simulated visitors' photos (app/bench/match.py), minutes
STYLIZE = "stylize"  # not in "all": style transfer's speed and quality (app/bench/stylize.py), minutes
MATCH_SCALE = "match-scale"  # not in "all": recognition in a 100,000-painting collection (app/bench/match_scale.py)


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("bench", parents=[common])
    parser.add_argument("part", nargs="?", default="all", choices=[*PARTS, "all", *SEPARATE])
    parser.add_argument(
        "--best-artworks", metavar="PATH", help="benchmark on this Kaggle corpus (default: the Met corpus)"
    )
    parser.add_argument("--images", type=int, default=256, help="images for the throughput/latency figures")
    parser.add_argument("--scale", default="100000,1000000", help="vector counts for the search figures")
    parser.add_argument("--lime-images", type=int, default=40, help="explain: images LIME runs on (about 5 s each)")
    parser.add_argument("--vectors", default="1000000,10000000",
                        help="scale: synthetic vector counts for the IVF-PQ figures (0 skips them)")
    parser.add_argument("--nprobe", default="8,16,32,64", help="scale: IVF lists scanned per query, each measured")
    parser.add_argument("--k-factor", default="4,8,16", help="scale: candidates re-ranked per result, each measured")
    parser.add_argument(
        "--ray-actors",
        dest="actor_counts",
        default="1,2",
        help="scale: Ray actor counts for the throughput figures ('' skips them; needs the scale extra)",
    )
    parser.add_argument("--others", type=int, default=100,
                        help="match: Kaggle paintings (--best-artworks) photographed, none in the collection")
    parser.add_argument("--limit", type=int, help="match: collection paintings photographed (default: all)")
    parser.add_argument("--hard-views", type=int,
                        help="match: hard photos of each painting (default: app/bench/match.py HARD_VIEWS)")
    parser.add_argument("--paintings", type=int, default=100_000, help="match-scale: paintings in the collection")
    parser.add_argument("--other-painters", metavar="PATH",
                        help="match-scale: paintings by other painters, distractors and photos not in the collection")
    parser.add_argument("--workdir", metavar="DIR",
                        help="match-scale: where the large collection's store is written (default: a temporary "
                             "folder, removed after)")
    parser.add_argument("--repeat", type=int, default=1, help="cli: runs of each command (the median is shown)")
    parser.add_argument("--photos", action="append", metavar="DIR", default=[],
                        help="stylize: a folder of photos to add to the packages' own (repeatable)")
    parser.add_argument("--count", type=int, default=30, help="stylize: content photos (a seeded sample)")
    parser.add_argument("--optimise-photos", type=int, default=5,
                        help="stylize: photos painted by the optimisation, per style painting and statistic")
    parser.add_argument("--statistics", default="gram,softmax-gram,mean-std",
                        help="stylize: the optimisation's style statistics, each measured")
    parser.add_argument("--sheet", metavar="FILE", default="reports/stylize-contact-sheet.jpg",
                        help="stylize: the contact sheet written ('' for none)")
    parser.add_argument("--json", action="store_true")
    bench_load.add_arguments(parser)
    parser.set_defaults(handler=bench_command)


def bench_command(args, settings: Settings) -> int:
    if args.part in SEPARATE:
        return SEPARATE[args.part](args, settings)
    corpus, _ = corpus_of(args)
    records = load_corpus(corpus.kind, corpus.root)
    sample = random.Random(settings.seed).sample(records, min(args.images, len(records)))
    paths = [Path(r.image_path) for r in sample]
    encoder = load_encoder(settings.encoder)
    parts = PARTS if args.part == "all" else (args.part,)
    figures = {"encoder": encoder.name, "corpus": str(corpus.root or corpus.kind)}
    for part in parts:
        if part == "build":
            figures["build"] = index_bench.bench_build_throughput(encoder, paths, settings.batch_size, settings.workers)
        elif part == "similar":
            figures["similar"] = index_bench.bench_similar_latency(encoder, settings.resolved_index_dir(), paths[:100])
        elif part == "predict":
            from app.cli.commands.classify_commands import classifier_for
            from classifier.evaluation import bench_predict_latency
            from data.images import load_image

            figures["predict"] = bench_predict_latency(classifier_for(settings), [load_image(p) for p in paths[:50]])
        elif part == "search":
            try:
                counts = [int(value) for value in args.scale.split(",")]
            except ValueError:
                raise UserError(f"--scale takes comma-separated counts, got {args.scale!r}") from None
            figures["search"] = [index_bench.bench_search_scale(count, encoder.dim) for count in counts]
        elif part == "incremental":
            figures["incremental"] = index_bench.bench_incremental(
                lambda: load_corpus(corpus.kind, corpus.root), encoder, corpus, settings.index_dir)
        _show(part, figures.get(part), args.json)
    if args.json:
        emit_json(figures)
    return EXIT_OK


def _show(part: str, value, as_json: bool) -> None:
    if as_json:
        return
    for item in value if isinstance(value, list) else [value]:
        print(f"{part}: {item}")


def explain_bench_command(args, settings: Settings) -> int:
    """Fidelity, stability and speed of the explanations on held-out Kaggle paintings."""
    from app.bench.explain import run_explain_benchmark
    from app.cli.commands.classify_commands import classifier_for, progress_bars
    from classifier.evaluation import held_out_paths
    from data.images import load_image

    if not args.best_artworks:
        raise UserError("bench explain needs held-out paintings: --best-artworks PATH")
    classifier = classifier_for(settings)
    paths = held_out_paths(classifier, Path(args.best_artworks), settings.cache_dir, progress_bars())
    sample = random.Random(settings.seed).sample(paths, min(args.images, len(paths)))
    figures = run_explain_benchmark(classifier, [load_image(p) for p in sample], lime_images=args.lime_images)
    if args.json:
        emit_json(figures)
    else:
        _show(EXPLAIN, figures, as_json=False)
    return EXIT_OK


def _counts(text: str, flag: str) -> list[int]:
    try:
        return [int(value) for value in text.split(",") if value.strip() and int(value)]
    except ValueError:
        raise UserError(f"{flag} takes comma-separated counts, got {text!r}") from None


def scale_bench_command(args, settings: Settings) -> int:
    """IVF-PQ at millions of synthetic vectors; Ray embedding throughput beside the local build."""
    from app.cli.commands.index_commands import build_options
    from retrieval.encoders import load_encoder

    # At the dimension of what a large index serves: `similar`'s embedding unless --encoder names another.
    encoder = load_encoder(settings.encoder if args.encoder else settings.similar_encoder)
    options = build_options(settings)
    figures = {"encoder": encoder.name, "scale": [], "ray": None}
    for count in _counts(args.vectors, "--vectors"):
        with progress_bar(total=count, unit="vec", desc=f"IVF-PQ {count:,}") as bar:
            result = index_bench.bench_scale(count, encoder.dim, options.ivfpq, tuple(_counts(args.nprobe, "--nprobe")),
                                       tuple(_counts(args.k_factor, "--k-factor")), seed=settings.seed,
                                       progress=bar.update)
        figures["scale"].append(result)
        _show(SCALE, result, args.json)
    actors = _counts(args.actor_counts, "--ray-actors")
    if actors:
        corpus, _ = corpus_of(args)
        records = load_corpus(corpus.kind, corpus.root)
        sample = random.Random(settings.seed).sample(records, min(args.images, len(records)))
        figures["ray"] = {"corpus": str(corpus.root or corpus.kind), **index_bench.bench_ray_throughput(
            encoder, [Path(r.image_path) for r in sample], tuple(actors), options.engine_options["ray"],
            settings.batch_size, settings.workers)}
        _show("ray", figures["ray"], args.json)
    if args.json:
        emit_json(figures)


def cli_bench_command(args, settings: Settings) -> int:
    """The first commands a new user runs, timed end to end: a Markdown table (the README's)."""
    from app.bench.cli_timing import time_commands
    from data.corpora import load_met

    image = next(record.image_path for record in load_met() if record.title == "Irises")
    rows = time_commands(image, settings.resolved_index_dir(), repeat=args.repeat)
    if args.json:
        emit_json(rows)
        return EXIT_OK
    print("| command | seconds |\n| --- | --- |")
    for row in rows:
        print(f"| `{row['command']}` | {row['seconds']:.2f} |")
    return EXIT_OK


def match_bench_command(args, settings: Settings) -> int:
    """Recognition of the collection's paintings in simulated visitors' photos (app/bench/match.py)."""
    from app.bench import match as match_bench
    from app.conversation import warm
    from app.serving.resources import Resources
    from data.corpora import load_best_artworks

    resources = Resources.from_settings(settings)
    warm(resources)
    if resources.match_index is None or resources.match_index.local is None:
        raise UserError("the collection's index holds no local features: rebuild it with `museum index build "
                        f"--encoder efficientnet-lite0-whole` ({resources.problems.get('match_index', '')})")
    others = []
    if args.best_artworks:
        records = load_best_artworks(args.best_artworks).records
        others = [r.image_path for r in random.Random(settings.seed).sample(records, min(args.others, len(records)))]
    with progress_bar(unit="photo", desc="photos") as bar:
        views = {"hard_views": args.hard_views} if args.hard_views else {}
        figures = match_bench.run(resources, others, settings.seed, args.limit, progress=bar.update, **views)
    if args.json:
        emit_json(figures)
        return EXIT_OK
    print(f"{figures['photos']} photos; inlier threshold chosen on validation: {figures['chosen_min_inliers']} "
          f"(shipped: {figures['shipped_min_inliers']})")
    print("| split | min inliers | set | photos | right | wrong records | other painting of the photo first |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for row in [*figures["validation"], *figures["test"]]:
        print(f"| {row['split']} | {row['min_inliers']} | {row['set']} | {row['photos']} | {row['right']:.3f} | "
              f"{row['wrong']} | {row['other']} |")
    stages = figures["stages"]
    print("stage seconds (p50 / p95): " + ", ".join(f"{name} {stages[name]['p50']:.3f} / {stages[name]['p95']:.3f}"
                                                    for name in ("keypoints", "forward", "shortlist", "verification")))
    print(f"right painting shortlisted: {stages['shortlist_recall']:.3f}; candidates verified (median): "
          f"{stages['candidates_p50']:.0f}")
    turns = figures["turns"]
    print(f"whole image turns through the engine, one visitor: {turns['turns']}, p50 {turns['p50']:.3f} s, "
          f"p95 {turns['p95']:.3f} s")
    named = figures["no_painting_named"]
    print(f"photos with no painting answered with a painter's name: {named['named']} of {named['photos']}")
    seen = figures["seen_as_no_painting"]
    if seen:
        print("judged to show no painting (before the collection match): "
              + ", ".join(f"{kind} {share:.3f}" for kind, share in seen.items()))
    for wrong in figures["not_held_but_named"]:  # a Kaggle image may be a reproduction of a collection painting
        print(f"check by eye: {wrong['photo of']} was named {wrong['named']!r} ({wrong['inliers']} inliers)")
    return EXIT_OK


def stylize_bench_command(args, settings: Settings) -> int:
    """Style transfer: instant styles and the optimisation, speed and quality (app/bench/stylize.py)."""
    from app.bench import stylize as stylize_bench
    from app.conversation import warm
    from app.serving.resources import Resources
    from classifier.stylize import STATISTICS
    from data.images import load_image

    statistics = [name for name in args.statistics.split(",") if name]
    unknown = [name for name in statistics if name not in STATISTICS]
    if unknown:
        raise UserError(f"unknown statistic {', '.join(unknown)}; choose among {', '.join(STATISTICS)}")
    resources = Resources.from_settings(settings)
    warm(resources)
    if resources.classifier is None:
        raise UserError(f"the classifier judges the styles and is not loaded: {resources.problems.get('classifier')}")
    photos = stylize_bench.content_photos([Path(folder) for folder in args.photos], args.count, settings.seed)
    if len(photos) < 2:
        raise UserError("fewer than two usable colour photos: add a folder with --photos DIR")
    known = set(resources.classifier.artists)
    by_painter = {}
    for record in resources.index.records if resources.index is not None else []:
        if record.artist in known and record.artist not in by_painter:
            by_painter[record.artist] = load_image(record.image_path)
    chosen = sorted(by_painter)[:3]
    styles = {painter: by_painter[painter] for painter in chosen}
    sheet = Path(args.sheet) if args.sheet else None
    with progress_bar(unit="picture", desc="painting") as bar:
        figures = stylize_bench.run(resources, photos, args.optimise_photos, statistics, styles, sheet,
                                    progress=bar.update)
    if args.json:
        emit_json(figures)
        return EXIT_OK
    print(f"{len(photos)} photos at {figures['side']} px; content threshold (the highest cosine between two "
          f"different photos): {figures['content_threshold']:.3f}")
    print("| style | pictures | painter in top 3 | top 1 | content kept | content cosine p50 | ms p50 / p95 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    rows = [(f"instant: {painter}", row) for painter, row in figures["instant"].items()]
    rows += [(f"{statistic}: {painter}", row) for statistic, block in figures["optimised"].items()
             for painter, row in block["painters"].items()]
    for name, row in rows:
        print(f"| {name} | {row['outputs']} | {row['in_top3']:.3f} | {row['top1']:.3f} | {row['content_kept']:.3f} | "
              f"{row['content_cosine_p50']:.3f} | {row['seconds']['p50_ms']:.0f} / {row['seconds']['p95_ms']:.0f} |")
    print(f"instant, all: {figures['instant_all']}")
    for statistic, block in figures["optimised"].items():
        print(f"optimised ({statistic}), all: {block['all']}")
    turn = figures["engine_turn"]
    if turn:
        print(f"'paint it like {turn['painter']}' through the engine: {turn['turns']} turns, "
              f"p50 {turn['p50_ms']:.0f} ms, p95 {turn['p95_ms']:.0f} ms")
    if sheet is not None:
        print(f"contact sheet: {sheet}")
    return EXIT_OK


def match_scale_bench_command(args, settings: Settings) -> int:
    import tempfile

    from app.bench import match_scale
    from app.conversation import warm
    from app.serving.resources import Resources

    if not args.best_artworks or not settings.other_painters:
        raise UserError("match-scale needs the paintings to fill the collection with: --best-artworks PATH "
                        "--other-painters PATH (or MUSEUM_OTHER_PAINTERS)")
    resources = Resources.from_settings(settings)
    warm(resources)
    if resources.match_index is None or resources.match_index.local is None:
        raise UserError(f"the collection's index holds no local features ({resources.problems.get('match_index', '')})")
    views = {"hard_views": args.hard_views} if args.hard_views else {}
    with tempfile.TemporaryDirectory(prefix="match-scale-", dir=args.workdir) as directory, \
            progress_bar(unit="item") as bar:
        figures = match_scale.run(resources, Path(directory), Path(args.best_artworks), Path(settings.other_painters),
                                  args.paintings, settings.seed, args.others, args.limit, bar=bar, **views)
    if args.json:
        emit_json(figures)
        return EXIT_OK
    store = figures["store"]
    print(f"{figures['paintings']:,} paintings ({figures['real']:,} real, {figures['repeats']:,} synthetic repeats); "
          f"store {store['bytes'] / 1e9:.2f} GB ({store['bytes_per_painting']:,} bytes a painting); "
          f"{len(figures['same_artwork_left_out'])} distractors left out as the same artwork")
    for name, measured in figures["collections"].items():
        searched = measured["shortlist_and_verification"]
        print(f"{name} ({measured['paintings']:,}), {figures['photos']} photos: shortlist + verification "
              f"p50 {searched['p50'] * 1000:.0f} ms, p95 {searched['p95'] * 1000:.0f} ms; "
              f"{len(measured['wrong_records'])} wrong records")
        for row in measured["results"]:
            print(f"  {row['split']:<10} {row['set']:<22} {row['photos']:>4} photos  right {row['right']:.3f}  "
                  f"wrong {row['wrong']}")
    return EXIT_OK


# The benches that are not part of "all", each its own command.
SEPARATE = {EXPLAIN: explain_bench_command, SCALE: scale_bench_command, bench_load.LOAD: bench_load.load_command,
            CLI: cli_bench_command, MATCH: match_bench_command, STYLIZE: stylize_bench_command,
            MATCH_SCALE: match_scale_bench_command}
