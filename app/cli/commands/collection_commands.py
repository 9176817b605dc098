"""`museum collection init` and `museum knowledge add|check`: a museum's own paintings, painters and facts.

A collection is a folder of images with a metadata sidecar (metadata.csv: file, title, artist, date, ...).
What the assistant derives from it lives in <folder>/.museum/: the index, the trained heads and the
curator's entries, so it travels with the folder. `--collection PATH` (MUSEUM_COLLECTION) makes every
command use them; without it nothing of the shipped defaults changes.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from pathlib import Path

from app.cli.commands.shared import EXIT_FAILED, EXIT_OK, UserError, emit_json
from app.cli.commands.training import train_folder
from app.settings import Settings
from data.corpora import SIDECAR_NAMES, CorpusError, load_folder
from data.curator import curated_knowledge, read_curator_file, store_entries
from data.knowledge import KnowledgeError

log = logging.getLogger(__name__)


def register(subparsers, common) -> None:
    collection = subparsers.add_parser("collection", help="a museum's own collection: index, painters, facts")
    actions = collection.add_subparsers(dest="collection_command", required=True, metavar="ACTION")
    init = actions.add_parser("init", parents=[common], help="check a folder and its sidecar, index it, learn its "
                                                             "painters, and say what the assistant now knows")
    init.add_argument("path", help="the collection folder (images + metadata.csv with an `artist` column)")
    init.add_argument("--artists", metavar="FILE", help="a curator's file of the painters' facts (JSON or CSV)")
    init.add_argument("--best-artworks", metavar="PATH", help="learn the Kaggle 50 too (MUSEUM_BEST_ARTWORKS)")
    init.add_argument("--min-works", type=int, help="works a painter needs to be learnt (MUSEUM_MIN_WORKS, 10)")
    init.add_argument("--other-painters", metavar="PATH", help="paintings by other painters, labelled by painter, for "
                                                               "the known/unknown rule (MUSEUM_OTHER_PAINTERS)")
    init.add_argument("--json", action="store_true", help="print the report as one JSON object")
    init.set_defaults(handler=init_command)

    knowledge = subparsers.add_parser("knowledge", help="the painters' facts: add a curator's file")
    knowledge_actions = knowledge.add_subparsers(dest="knowledge_command", required=True, metavar="ACTION")
    add = knowledge_actions.add_parser("add", parents=[common], help="validate a curator's file (JSON or CSV) and "
                                                                     "store its painters in the collection")
    add.add_argument("file")
    add.set_defaults(handler=add_command)
    check = knowledge_actions.add_parser("check", parents=[common], help="validate a curator's file, store nothing")
    check.add_argument("file")
    check.set_defaults(handler=check_command)


def _stage(text: str) -> None:
    print(text, file=sys.stderr, flush=True)  # progress for the person at the terminal; stdout keeps the report


def _read_curator(path: str):
    try:
        return read_curator_file(path)
    except KnowledgeError as error:
        raise UserError(str(error)) from None


def _store(settings: Settings, path: str) -> str:
    """Validate `path` and merge its painters into the collection's store; a sentence saying what changed."""
    entries = _read_curator(path)
    shipped = curated_knowledge([])
    added, replaced, total = store_entries(settings.curator_store(), entries)
    overriding = [
        e.name for e in entries if shipped.find_exact(e.name) or any(shipped.find_exact(a) for a in e.aliases)
    ]
    over = f"; the museum's entry now wins over the shipped one for {', '.join(overriding)}" if overriding else ""
    return (f"{added} painter{'s' if added != 1 else ''} added, {replaced} replaced: "
            f"{total} in {settings.curator_store()}{over}")


def add_command(args, settings: Settings) -> int:
    if settings.collection is None:
        raise UserError("`knowledge add` stores the painters in a collection: give --collection PATH (or "
                        "MUSEUM_COLLECTION). To use a file without storing it, pass --knowledge FILE "
                        "(MUSEUM_KNOWLEDGE_FILES)")
    if not settings.collection.is_dir():
        raise UserError(f"no such collection folder: {settings.collection}")
    print(_store(settings, args.file))
    return EXIT_OK


def check_command(args, settings: Settings) -> int:
    entries = _read_curator(args.file)
    print(f"{args.file}: {len(entries)} painter{'s' if len(entries) != 1 else ''}, no problems")
    return EXIT_OK


# --- collection init ----------------------------------------------------------------------------

def init_command(args, settings: Settings) -> int:
    from app.cli.commands.index_commands import build_command
    from classifier.folder_corpus import MIN_PAINTERS, folder_labels
    from classifier.model import HeadsError, read_manifest

    root = Path(args.path).expanduser().resolve()
    if not root.is_dir():
        raise UserError(f"no such collection folder: {root}")
    settings = settings.with_overrides(collection=root, best_artworks=args.best_artworks, min_works=args.min_works)
    if settings.other_painters and not Path(settings.other_painters).is_dir():
        raise UserError(f"no such folder of other painters: {settings.other_painters}; nothing was written")
    missing = []

    _stage(f"1/4 checking {root}")
    try:
        records = load_folder(root)
    except CorpusError as error:
        raise UserError(str(error)) from None
    if not records:
        raise UserError(f"{root} holds no images (JPEG, PNG, ...); nothing was written")
    if not any((root / name).is_file() for name in SIDECAR_NAMES):
        missing.append(f"no {' or '.join(SIDECAR_NAMES)} in {root}: titles come from file names and no painter "
                       "is known (columns: file, title, artist, date, medium, ...)")

    _stage("2/4 the painters' facts")
    stored = _store(settings, args.artists) if args.artists else None
    knowledge = curated_knowledge(settings.curator_files())

    _stage(f"3/4 indexing {len(records)} images")
    with contextlib.redirect_stdout(sys.stderr):  # its summary is progress; stdout keeps the report (--json)
        build_command(argparse.Namespace(folder=str(root), best_artworks=None, corpus=None, kind="auto",
                                         batch_size=None, engine=None, ray_address=None),
                      settings)

    _stage("4/4 learning the painters")
    _, labels = folder_labels(root, settings.min_works)
    recognise, training, training_error = [], None, None
    enough = bool(settings.best_artworks) or len(labels.learnt) >= MIN_PAINTERS
    if enough and settings.other_painters:
        try:
            manifest, labels, heads = train_folder(settings, root)
        except UserError as error:  # the index and the facts are done: say why training did not happen
            training_error = str(error)
        else:
            recognise = list(labels.learnt)
            test = manifest["metrics"]["test"]["clean"]
            training = {"heads": str(heads), "test_top1": test["top1"], "test_images": test["images"],
                        "artists": len(manifest["artists"])}
    if training is None:
        try:  # earlier heads of this collection stay in use
            recognise = [n for n in read_manifest(settings.collection_heads_dir())["artists"] if n in labels.works]
        except HeadsError:
            pass
        wanting = [] if enough else [f"{MIN_PAINTERS} painters with {settings.min_works} or more works each"]
        wanting += [] if settings.other_painters else ["a folder of paintings by other painters (--other-painters)"]
        missing.append("no classifier trained: " + (training_error or f"it needs {' and '.join(wanting)}"))
    needs = None if training else training_needs(settings, root, labels, enough)

    painters = list(labels.works)
    facts = {name: (entry.source or "the shipped knowledge base") for name in painters
             if (entry := knowledge.find(name)) is not None}
    if no_facts := [name for name in painters if name not in facts]:
        missing.append(f"no facts for {', '.join(no_facts)}: add them with "
                       f"`museum knowledge add FILE --collection {root}`")
    if labels.refused:
        missing.append(f"too few works to recognise (fewer than {labels.min_works}): "
                       + ", ".join(f"{name} ({count})" for name, count in labels.refused.items()))
    if labels.unlabelled:
        missing.append(f"{labels.unlabelled} image{'s' if labels.unlabelled != 1 else ''} without an artist "
                       "in the sidecar")
    report = {"collection": str(root), "paintings_indexed": len(records), "index": str(settings.resolved_index_dir()),
              "curator_store": stored, "painters": labels.works, "painters_with_facts": facts,
              "painters_recognised": recognise, "training": training, "training_needs": needs, "missing": missing}
    if args.json:
        emit_json(report)
    else:
        print("\n".join(_report_lines(report, settings)))
    return EXIT_FAILED if training_error else EXIT_OK


def training_needs(settings: Settings, root: Path, labels, enough: bool) -> dict:
    """What `museum train --folder` would need that the collection does not give yet, and the command to run then:
    painters with enough works (each short one with its count and how many more it needs) and a folder of
    paintings by other painters (the known/unknown rule learns from them what a painter it does not know looks
    like)."""
    from classifier.folder_corpus import MIN_PAINTERS

    flags = [f"--folder {_quoted(root)}"]
    if settings.min_works != Settings.model_fields["min_works"].default:
        flags.append(f"--min-works {settings.min_works}")
    if settings.best_artworks:
        flags.append(f"--best-artworks {_quoted(settings.best_artworks)}")
    flags.append(f"--other-painters {_quoted(settings.other_painters) if settings.other_painters else 'OTHERS'}")
    return {
        "min_works": labels.min_works, "min_painters": MIN_PAINTERS, "painters_ready": list(labels.learnt),
        "painters_short": {name: {"works": count, "more_needed": labels.min_works - count}
                           for name, count in labels.refused.items()},
        "enough_painters": enough, "other_painters": str(settings.other_painters) if settings.other_painters else None,
        "command": "museum train " + " ".join(flags),
    }


def _quoted(path) -> str:
    import shlex

    return shlex.quote(str(path))


def _needs_lines(needs: dict) -> list[str]:
    lines = ["To train the classifier later:"]
    ready, short = needs["painters_ready"], needs["painters_short"]
    if not needs["enough_painters"]:
        lines.append(f"  - {needs['min_painters']} painters with {needs['min_works']} or more works each; "
                     f"{len(ready)} {'has' if len(ready) == 1 else 'have'} enough"
                     + (f" ({', '.join(ready)})" if ready else "") + ". Works per painter:")
        lines += [f"      {name}: {s['works']} (needs {s['more_needed']} more)" for name, s in short.items()]
        lines.append("    (or a lower --min-works: fewer works hold fewer back for calibration and testing; "
                     "or --best-artworks PATH: a painter among the Kaggle 50 joins that artist at any count)")
    if needs["other_painters"] is None:
        lines.append("  - a folder of paintings by painters outside the collection (10 painters or more, "
                     "a metadata.csv with an `artist` column): the known/unknown rule learns from them when "
                     "to say \"I don't recognise the painter\"")
    lines.append(f"  then run: {needs['command']}" + ("  (OTHERS: that folder)" if needs["other_painters"] is None
                                                      else ""))
    return lines


def _report_lines(report: dict, settings: Settings) -> list[str]:
    facts, recognised = report["painters_with_facts"], report["painters_recognised"]
    lines = [f"The assistant now knows the collection {report['collection']}:",
             f"  paintings indexed: {report['paintings_indexed']} ({report['index']})"]
    if report["curator_store"]:
        lines.append(f"  curator's file: {report['curator_store']}")
    lines.append(f"  painters with facts: {len(facts)} of {len(report['painters'])}")
    lines += [f"    {name}: from {source}" for name, source in facts.items()]
    training = report["training"]
    trained = (f" (heads in {training['heads']}; top-1 {training['test_top1']:.2f} on "
               f"{training['test_images']} held-out paintings)") if training else ""
    lines.append(f"  painters it can recognise: {len(recognised)}{trained}")
    lines += [f"    {name}" for name in recognised]
    lines.append("Missing:" if report["missing"] else "Nothing is missing.")
    lines += [f"  - {item}" for item in report["missing"]]
    if report["training_needs"]:
        lines += _needs_lines(report["training_needs"])
    lines.append(f"Use it: museum serve --collection {report['collection']}  "
                 f"(or export MUSEUM_COLLECTION={report['collection']})")
    return lines
