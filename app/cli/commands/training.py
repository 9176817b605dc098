"""Training heads from the command line: shared by `museum train` (the Kaggle 50, or `--folder`) and
`museum collection init` (a museum's own painters), so neither command group imports the other."""

from __future__ import annotations

from pathlib import Path

from app.cli.commands.shared import EXIT_OK, UserError, emit_json, progress_bar
from app.settings import Settings
from data.corpora import CorpusError
from data.curator import curated_knowledge
from data.knowledge import KnowledgeError
from retrieval.encoders import LITE_RESOLUTION


def progress_bars():
    """(stage, total) -> on_batch(n) callback driving one tqdm bar per stage on stderr."""
    def make(stage: str, total: int):
        bar = progress_bar(total=total, desc=stage, unit="img", leave=False)

        def update(done: int) -> None:
            bar.update(done)
            if bar.n >= total:
                bar.close()
        return update
    return make


def check_trainable(settings: Settings) -> None:
    if settings.encoder not in LITE_RESOLUTION:
        raise UserError(f"training uses EfficientNet-Lite style features, not {settings.encoder}; "
                        f"choose --encoder {' / '.join(LITE_RESOLUTION)} (CLIP encoders classify zero-shot)")


def other_painters_folder(settings: Settings) -> Path:
    if not settings.other_painters:
        raise UserError("give a folder of paintings by painters outside those to learn, labelled by painter: "
                        "--other-painters PATH (or MUSEUM_OTHER_PAINTERS)")
    return Path(settings.other_painters)


def training_summary(manifest: dict, directory: Path) -> str:
    """The validation figures (where settings were chosen), the test figures (reported) and the Met check."""
    lines = []
    for part, title in (("val", "validation (settings chosen here)"), ("test", "test (reported)")):
        figures = manifest["metrics"][part]
        clean, unknown = figures["clean"], figures["unknown"]
        lines.append(f"{title}: top-1 {clean['top1']:.3f}  top-3 {clean['top3']:.3f}  macro-F1 {clean['macro_f1']:.3f}"
                     f"  ECE {clean['ece']:.3f}  photo top-1 {figures['photo']['top1']:.3f}  visitor photo top-1 "
                     f"{figures['visitor_photo']['top1']:.3f}  unknown AUROC {unknown['auroc']:.3f} (known answered "
                     f"{unknown['known_answered']:.1%}, unknown rejected {unknown['unknown_rejected']:.1%})")
    met = manifest["metrics"]["met"]
    lines.append(f"Met check: unknown AUROC {met['unknown']['auroc']:.3f} (rejected "
                 f"{met['unknown']['unknown_rejected']:.1%}); paintings by the known artists: top-1 "
                 f"{met['by_the_50']['top1']:.3f}, answered {met['by_the_50']['known_answered']:.1%}  -> {directory}")
    return "\n".join(lines)


def train_folder(settings: Settings, folder: Path):
    """Train heads on the folder's painters (plus the Kaggle 50 with --best-artworks) into the collection's
    heads folder (or --heads-dir). Returns (manifest, FolderLabels, heads folder)."""
    from classifier.folder_corpus import folder_corpus
    from classifier.model import save_bundle
    from classifier.train import labelled_corpus, train
    from retrieval.style_features import FeatureConfig

    check_trainable(settings)
    settings = settings.with_overrides(collection=folder)
    try:
        knowledge = curated_knowledge(settings.curator_files())
        base = labelled_corpus(settings.best_artworks) if settings.best_artworks else None
        corpus, labels = folder_corpus(folder, knowledge, settings.min_works, base)
        bundle, manifest = train(corpus, other_painters_folder(settings), FeatureConfig(encoder=settings.encoder),
                                 seed=settings.seed, progress=progress_bars(), batch_size=settings.batch_size,
                                 workers=settings.workers, cache_dir=settings.cache_dir)
    except (CorpusError, KnowledgeError) as error:
        raise UserError(str(error)) from None
    directory = settings.collection_heads_dir()
    save_bundle(bundle, directory, manifest, settings.to_json())
    return {**manifest, **bundle.description()}, labels, directory  # as written beside the heads


def painters_report(labels) -> list[str]:
    """One line per painter: works in the folder, learnt or not."""
    lines = []
    for name, count in labels.works.items():
        status = (f"learnt (with the Kaggle works of {labels.joined[name]})" if name in labels.joined
                  else "learnt" if name in labels.learnt else f"not learnt: fewer than {labels.min_works} works")
        lines.append(f"  {name}: {count} work{'s' if count != 1 else ''}, {status}")
    if labels.unlabelled:
        lines.append(f"  ({labels.unlabelled} image{'s' if labels.unlabelled != 1 else ''} without an artist "
                     "in the sidecar, not used)")
    return lines


def train_folder_command(args, settings: Settings) -> int:
    folder = Path(args.folder).resolve()
    manifest, labels, directory = train_folder(settings, folder)
    if args.json:
        emit_json(manifest)
        return EXIT_OK
    print("\n".join([f"painters in {folder}:", *painters_report(labels)]))
    print(training_summary(manifest, directory))
    print(f"use them with --collection {folder} (MUSEUM_COLLECTION) or --heads-dir {directory}")
    return EXIT_OK
