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


def _extractor(classifier: Classifier, cache_dir: Path | None, progress: Progress | None):
    return lambda paths, name, view: cached_extract(
        classifier.extractor, paths, name, view, cache_dir, batch_size=classifier.batch_size,
        workers=classifier.workers, on_batch=progress(f"features ({name})", len(paths)) if progress else None)


def held_out_rows(classifier: Classifier, corpus, extract) -> tuple[np.ndarray, str]:
    """Rows of `corpus` the heads never saw: the test part of their split when it is their training data."""
    manifest = classifier.manifest
    clean = extract(corpus.paths, "clean", identity_view)
    valid = ~np.isnan(clean.styles).any(axis=1)
    if corpus.data["files_sha256"] == manifest["data"]["files_sha256"]:
        groups = near_duplicate_groups(clean.pooled[valid])
        rows = np.flatnonzero(valid)[split_indices(corpus.labels[valid], groups, manifest["split"]["seed"])["test"]]
        return rows, "held-out test part of the training split"
    rows = np.flatnonzero(valid)
    log.warning("%s is not the training data of these heads: scoring all %d images", corpus.data["name"], len(rows))
    return rows, "every image (not the data the heads were trained on)"


def held_out_paths(classifier: Classifier, root: Path, cache_dir: Path | None = CACHE_DIR,
                   progress: Progress | None = None) -> list[Path]:
    corpus = labelled_corpus(root)
    rows, _ = held_out_rows(classifier, corpus, _extractor(classifier, cache_dir, progress))
    return [corpus.paths[r] for r in rows]


def evaluate_heads(classifier: Classifier, root: Path, unknown: str | None = None, out: Path | None = None,
                   progress: Progress | None = None, cache_dir: Path | None = CACHE_DIR) -> dict:
    bundle, manifest = classifier.bundle, classifier.manifest
    corpus = labelled_corpus(root)
    extract = _extractor(classifier, cache_dir, progress)
    rows, scope = held_out_rows(classifier, corpus, extract)
    seed = manifest["split"]["seed"]
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


def bench_predict_latency(classifier: Classifier, images: list, repeats: int = 3) -> dict:
    """One image at a time with the model resident: `predict_images` vs the plain backbone forward
    on the same, already preprocessed input (what the issue's 15% budget is measured against)."""
    import time

    import torch

    extractor = classifier.extractor
    tensors = [extractor.preprocess(image)[None] for image in images]
    classifier.predict_images(images[:1])  # warm-up
    forward, predict = [], []
    for image, tensor in zip(images * repeats, tensors * repeats):
        started = time.perf_counter()
        with torch.inference_mode():
            extractor.net.extract_features(tensor).mean(dim=(2, 3))
        forward.append(time.perf_counter() - started)
        started = time.perf_counter()
        classifier.predict_images([image])
        predict.append(time.perf_counter() - started)
    forward_ms, predict_ms = 1000 * float(np.median(forward)), 1000 * float(np.median(predict))
    return {"images": len(images), "forward_p50_ms": round(forward_ms, 2), "predict_p50_ms": round(predict_ms, 2),
            "predict_over_forward": round(predict_ms / forward_ms - 1, 3)}
