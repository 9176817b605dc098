"""A museum's own folder as labelled training data: artist labels from its sidecar's `artist` column,
movements from the knowledge base (a curator's file wins over the shipped entries), alone or added to
the Kaggle 50, as the `LabelledCorpus` classifier/train.py trains on.

A painter with fewer than `min_works` works is not learnt (too few for the split to hold some back for
calibration and testing); the report names each painter with its count either way.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from classifier.labels import match_artist
from classifier.train import UNKNOWN_EXCLUDED, LabelledCorpus
from data.corpora import CorpusError, load_folder
from data.files import sha256_bytes
from data.knowledge import KnowledgeBase

MIN_WORKS = 10
MIN_PAINTERS = 2  # one painter is no classification


@dataclass
class FolderLabels:
    """What the folder's sidecar gave: works per painter, who is learnt, who is refused, who is unlabelled."""

    works: dict[str, int]  # every labelled painter -> number of works in the folder
    learnt: list[str]
    refused: dict[str, int]  # painter -> works, below min_works
    unlabelled: int  # images with no artist (or "unidentified artist") in the sidecar
    min_works: int
    joined: dict[str, str] = field(default_factory=dict)  # folder name -> the Kaggle artist it was added to

    def to_json(self) -> dict:
        return {"works": self.works, "learnt": self.learnt, "refused": self.refused, "unlabelled": self.unlabelled,
                "min_works": self.min_works, "joined": self.joined}


def folder_labels(
    root: Path, min_works: int = MIN_WORKS, known: list[str] = ()
) -> tuple[list[tuple[Path, str]], FolderLabels]:
    """(image, painter) pairs of the painters that can be learnt, and the report.

    A painter that `known` already holds (the Kaggle 50, by match_artist) is learnt whatever its count: its
    works join that artist's.
    """
    records = load_folder(root)
    labelled = [r for r in records if r.artist.strip().casefold() not in UNKNOWN_EXCLUDED]
    joined = {r.artist.strip(): match for r in labelled if (match := match_artist(r.artist, list(known)))}
    painter = lambda record: joined.get(record.artist.strip(), record.artist.strip())
    works = Counter(painter(r) for r in labelled)
    learnt = sorted(name for name, count in works.items() if count >= min_works or name in known)
    refused = {name: count for name, count in sorted(works.items()) if name not in learnt}
    report = FolderLabels(dict(sorted(works.items())), learnt, refused, len(records) - len(labelled), min_works,
                          joined)
    return [(r.image_path, painter(r)) for r in labelled if painter(r) in learnt], report


def folder_corpus(root: Path, knowledge: KnowledgeBase | None = None, min_works: int = MIN_WORKS,
                  base: LabelledCorpus | None = None) -> tuple[LabelledCorpus, FolderLabels]:
    """The folder's painters (plus `base`'s, e.g. the Kaggle 50) as one labelled corpus.

    Raises CorpusError, naming every painter and count, when fewer than two painters can be learnt.
    """
    root = Path(root)
    pairs, report = folder_labels(root, min_works, base.artists if base else [])
    artists = list(base.artists) if base else []
    artists += [name for name in report.learnt if name not in artists]
    if len(artists) < MIN_PAINTERS:
        counts = ", ".join(f"{name} ({count})" for name, count in report.works.items()) or "none"
        raise CorpusError(f"{root}: a classifier needs at least {MIN_PAINTERS} painters with {min_works} or more "
                          f"works each; the sidecar's `artist` column gives: {counts}")
    movements = {name: _movements(name, knowledge) for name in artists[len(base.artists) if base else 0:]}
    genres = list(base.genres) if base else []
    genres += sorted({m for ms in movements.values() for m in ms} - set(genres))
    membership = np.zeros((len(artists), len(genres)), dtype=np.float32)
    if base:
        membership[: len(base.artists), : len(base.genres)] = base.membership
    for name, names in movements.items():
        membership[artists.index(name), [genres.index(m) for m in names]] = 1.0
    paths = (list(base.paths) if base else []) + [path for path, _ in pairs]
    labels = np.concatenate([base.labels if base else np.zeros(0, int), [artists.index(name) for _, name in pairs]])
    files = sorted(path.relative_to(root).as_posix() for path, _ in pairs)
    data = {"name": "+".join(([base.data["name"]] if base else []) + [root.name]), "images": len(paths),
            "files_sha256": sha256_bytes("\n".join(([base.data["files_sha256"]] if base else []) + files).encode()),
            "folder": {"path": str(root), **report.to_json()}}
    return LabelledCorpus(paths, labels.astype(int), artists, genres, membership, data), report


def _movements(name: str, knowledge: KnowledgeBase | None) -> tuple[str, ...]:
    entry = knowledge.find(name) if knowledge is not None else None
    return entry.movements if entry is not None else ()
