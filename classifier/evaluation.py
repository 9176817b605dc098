"""`museum eval`: the shipped (or any) heads measured on a best-artworks folder, through the same
`predict` path a user takes (painting finder, then features, then heads).

When the folder is the one the heads were trained on (same file-list hash), the test part of the
training split is rebuilt (same seed, same near-duplicate groups) so no training or validation image is
scored; on any other folder every image is. Likewise for the paintings by other painters: when the
folder is the one the unknown rule was trained and fitted on, only its test painters are scored.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from classifier.features import cached_extract, identity_view, small_jpeg_view
from classifier.metrics import artist_metrics, top_confusions, unknown_metrics, write_plots
from classifier.photo import found_view, photo_found_view, visitor_photo_found_view
from classifier.predict import Classifier
from classifier.split import near_duplicate_groups, split_indices
from classifier.train import Progress, labelled_corpus, met_paintings, outside_painters

log = logging.getLogger(__name__)

MET_UNKNOWN = "met"


def unknown_paths(source: str, classifier: Classifier) -> tuple[list[Path], str]:
    """Paintings by painters outside the heads' artists, and what they are: "met" (the Met's, none of
    which is used in training), or a folder (only its test painters when the heads were trained on it)."""
    if source == MET_UNKNOWN:
        return met_paintings(classifier.artists)[0], "Met paintings by other painters"
    records, files_sha256 = outside_painters(Path(source), classifier.artists)
    trained_on = classifier.manifest.get("other_painters", {})
    if trained_on.get("files_sha256") == files_sha256:
        test = set(trained_on["test_painters"])
        return ([r.image_path for r in records if r.artist in test],
                f"the {len(test)} test painters of the folder the rule was fitted on")
    return [r.image_path for r in records], "every painting in the folder"


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
        split = manifest["split"]
        groups = near_duplicate_groups(clean.pooled[valid], split["duplicate_cosine"])
        rows = np.flatnonzero(valid)[split_indices(corpus.labels[valid], groups, split["seed"])["test"]]
        return rows, "held-out test part of the training split"
    rows = np.flatnonzero(valid)
    log.warning("%s is not the training data of these heads: scoring all %d images", corpus.data["name"], len(rows))
    return rows, "every image (not the data the heads were trained on)"


def held_out_paths(classifier: Classifier, root: Path, cache_dir: Path | None = None,
                   progress: Progress | None = None) -> list[Path]:
    corpus = labelled_corpus(root)
    rows, _ = held_out_rows(classifier, corpus, _extractor(classifier, cache_dir, progress))
    return [corpus.paths[r] for r in rows]


def evaluate_heads(classifier: Classifier, root: Path, unknown: str | None = None, out: Path | None = None,
                   progress: Progress | None = None, cache_dir: Path | None = None) -> dict:
    bundle = classifier.bundle
    corpus = labelled_corpus(root)
    extract = _extractor(classifier, cache_dir, progress)
    rows, scope = held_out_rows(classifier, corpus, extract)
    names = [corpus.artists[corpus.labels[r]] for r in rows]
    labels = np.array([bundle.artists.index(n) if n in bundle.artists else -1 for n in names])
    scored = labels >= 0  # artists the heads do not know cannot be scored
    rows, labels = rows[scored], labels[scored]
    movements = {a: {g for g, m in zip(corpus.genres, corpus.membership[i]) if m} for i, a in enumerate(corpus.artists)}
    truth = np.array([[g in movements[bundle.artists[label]] for g in bundle.genres] for label in labels], dtype=float)
    # Score what `predict` sees: the painting found in each image (a no-op on most clean images).
    scored_paths = [corpus.paths[r] for r in rows]
    outputs = bundle(extract(scored_paths, "found", found_view).styles)
    summary = lambda out: {k: v for k, v in artist_metrics(out, labels, truth, bundle.artists).items()
                           if k != "per_artist"}
    clean = artist_metrics(outputs, labels, truth, bundle.artists)
    photo = extract(scored_paths, "photo-found", photo_found_view).styles
    visitor_photo = extract(scored_paths, "visitor-photo-found", visitor_photo_found_view).styles
    report = {"scope": scope, "images": int(len(rows)), "clean": clean,
              "confusions": top_confusions(outputs, labels, bundle.artists),
              "photo": summary(bundle(photo)), "visitor_photo": summary(bundle(visitor_photo))}
    if classifier.photo is not None:  # the same views as a phone's photos are answered (a camera in the EXIF)
        as_camera = lambda styles: summary(bundle(styles, np.ones(len(styles), bool), classifier.photo))
        report["photo_as_camera"], report["visitor_photo_as_camera"] = as_camera(photo), as_camera(visitor_photo)
    if unknown:
        paths, what = unknown_paths(unknown, classifier)
        others = extract(paths, f"unknown-{Path(unknown).name}", found_view).styles
        others = bundle(others[~np.isnan(others).any(axis=1)])
        small = bundle(extract(scored_paths, "small-jpeg", small_jpeg_view).styles)
        report["unknown"] = {"source": unknown, "what": what, "threshold": bundle.rule.threshold,
                             **unknown_metrics(outputs, others),
                             "known_as_small_jpeg": unknown_metrics(small, others)}
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
