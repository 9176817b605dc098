"""`museum eval`: the shipped (or any) heads measured on a best-artworks folder.

When the folder is the one the heads were trained on (same file-list hash), the
test part of the training split is rebuilt (same seed, same near-duplicate groups)
so no training or validation image is scored; on any other folder every image is.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from classifier.evaluate import artist_metrics, unknown_metrics, write_plots
from classifier.features import CACHE_DIR, cached_extract, identity_view
from classifier.photo import found_view, photo_found_view
from classifier.predict import Classifier
from classifier.split import near_duplicate_groups, split_indices
from classifier.train import Progress, labelled_corpus, unknown_met
from data.corpora import load_folder

log = logging.getLogger(__name__)

MET_UNKNOWN = "met"


def unknown_paths(source: str, artists: list[str], seed: int) -> list[Path]:
    """A folder of paintings by other artists, or "met": the Met half not used to fit the rule."""
    if source != MET_UNKNOWN:
        return [record.image_path for record in load_folder(source)]
    paths, _ = unknown_met(artists)
    order = np.random.default_rng(seed).permutation(len(paths))
    return [paths[i] for i in np.sort(order[len(order) // 2:])]


def evaluate_heads(classifier: Classifier, root: Path, unknown: str | None = None, out: Path | None = None,
                   progress: Progress | None = None, cache_dir: Path | None = CACHE_DIR) -> dict:
    bundle, manifest, extractor = classifier.bundle, classifier.manifest, classifier.extractor
    corpus = labelled_corpus(root)
    extract = lambda paths, name, view: cached_extract(
        extractor, paths, name, view, cache_dir, batch_size=classifier.batch_size, workers=classifier.workers,
        on_batch=progress(f"features ({name})", len(paths)) if progress else None)
    clean = extract(corpus.paths, "clean", identity_view)
    valid = ~np.isnan(clean.styles).any(axis=1)
    seed = manifest["split"]["seed"]
    same_data = corpus.data["files_sha256"] == manifest["data"]["files_sha256"]
    if same_data:
        groups = near_duplicate_groups(clean.pooled[valid])
        rows = np.flatnonzero(valid)[split_indices(corpus.labels[valid], groups, seed)["test"]]
        scope = "held-out test part of the training split"
    else:
        rows = np.flatnonzero(valid)
        scope = "every image (not the data the heads were trained on)"
        log.warning("%s is not the training data of these heads: scoring all %d images", root, len(rows))
    names = [corpus.artists[corpus.labels[r]] for r in rows]
    labels = np.array([bundle.artists.index(n) if n in bundle.artists else -1 for n in names])
    scored = labels >= 0  # artists the heads do not know cannot be scored
    rows, labels = rows[scored], labels[scored]
    movements = {a: {g for g, m in zip(corpus.genres, corpus.membership[i]) if m} for i, a in enumerate(corpus.artists)}
    truth = np.array([[g in movements[bundle.artists[l]] for g in bundle.genres] for l in labels], dtype=float)
    # Score what `predict` sees: the painting found in each image (a no-op on most clean images).
    scored_paths = [corpus.paths[r] for r in rows]
    outputs = bundle(extract(scored_paths, "found", found_view).styles)
    photos = bundle(extract(scored_paths, "photo-found", photo_found_view).styles)
    report = {"scope": scope, "images": int(len(rows)),
              "clean": artist_metrics(outputs, labels, truth, bundle.artists),
              "photo": {k: v for k, v in artist_metrics(photos, labels, truth, bundle.artists).items()
                        if k != "per_artist"}}
    if unknown:
        paths = unknown_paths(unknown, bundle.artists, seed)
        others = extract(paths, f"unknown-{Path(unknown).name}", identity_view).styles
        others = others[~np.isnan(others).any(axis=1)]
        report["unknown"] = {"source": unknown, **unknown_metrics(outputs, bundle(others))}
    if out:
        out.mkdir(parents=True, exist_ok=True)
        report["plots"] = [str(p) for p in write_plots(outputs, labels, bundle.artists, out)]
    return report
