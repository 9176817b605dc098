"""`museum train`: features -> split -> heads -> calibration -> unknown rule -> metrics -> bundle.

Every stage is fitted on its own part of the data. The Kaggle images are split by artwork (near-copies
kept together), the other painters' paintings by painter: heads on the train parts (the other painters'
as outlier exposure), temperature and the unknown rule on the validation parts, and the reported
figures on the test parts; the Met's photographs, used for nothing else, are a second check.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np

from classifier.calibration import calibrated, expected_calibration_error, fit_temperature
from classifier.features import CorpusFeatures, cached_extract, flip_view, identity_view, small_jpeg_view
from classifier.heads import Standardizer, balanced_weights, fit_artist_head, fit_genre_head, fit_known_head
from classifier.labels import artist_genres, match_artist
from classifier.metrics import artist_metrics, unknown_metrics
from classifier.model import HeadBundle, unknown_signals
from classifier.photo import found_view, photo_found_view, visitor_photo_found_view
from classifier.split import DUPLICATE_COSINE, near_duplicate_groups, split_by_painter, split_indices
from classifier.unknown import DistanceModel, fit_rule
from data.corpora import CorpusError, load_best_artworks, load_folder, load_met
from data.files import sha256_bytes
from data.records import Artwork
from retrieval.style_features import FeatureConfig, StyleExtractor

log = logging.getLogger(__name__)

MIN_IMAGES = 8  # an artist needs a few images on each side of the split
UNKNOWN_EXCLUDED = {"", "unidentified artist"}
# Training views of each image: itself, its mirror, a simulated gallery photo and a simulated visitor's
# photo (steeper angle, gallery light, reflection, cut-off edges) as `predict` sees them (painting found),
# so walls and light are learnt as noise, and the image as a small JPEG (the other painters' format), so
# the format is not. Validation and test figures of each choice: docs/classifier.md.
VIEWS = {"clean": identity_view, "flip": flip_view, "photo-found": photo_found_view,
         "visitor-photo-found": visitor_photo_found_view, "small-jpeg": small_jpeg_view}
# The other painters' paintings as they are and as simulated gallery photos (as `predict` sees them).
OTHER_VIEWS = {"other-painters": identity_view, "other-painters-photo-found": photo_found_view}
Progress = Callable[[str, int], Callable[[int], None]]  # (stage, total) -> on_batch(n)


@dataclass
class LabelledCorpus:
    paths: list[Path]
    labels: np.ndarray  # index into artists
    artists: list[str]
    genres: list[str]
    membership: np.ndarray  # [artist, genre]
    data: dict  # name, image count, sha of the sorted file list

    @property
    def genre_truth(self) -> np.ndarray:
        return self.membership[self.labels]

    def subset(self, keep: np.ndarray) -> "LabelledCorpus":
        return LabelledCorpus([p for p, k in zip(self.paths, keep) if k], self.labels[keep], self.artists,
                              self.genres, self.membership, self.data)


def labelled_corpus(root: Path, min_images: int = MIN_IMAGES) -> LabelledCorpus:
    """Best-artworks images with artist labels; artists with too few images are left out, with a warning."""
    corpus = load_best_artworks(root)
    names, genres, membership = artist_genres(corpus.artists)
    counts = {name: 0 for name in names}
    for record in corpus.records:
        counts[record.artist] += 1
    kept = [name for name in names if counts[name] >= min_images]
    if len(kept) < len(names):
        log.warning("left out artists with fewer than %d images: %s", min_images,
                    ", ".join(f"{n} ({counts[n]})" for n in names if n not in kept))
    rows = [names.index(name) for name in kept]
    membership = membership[rows]
    used = membership.any(axis=0)
    records = [r for r in corpus.records if r.artist in kept]
    files = sorted(r.image_path.name for r in records)
    return LabelledCorpus(
        paths=[r.image_path for r in records], labels=np.array([kept.index(r.artist) for r in records]),
        artists=kept, genres=[g for g, u in zip(genres, used) if u], membership=membership[:, used],
        data={"name": Path(root).name, "images": len(records), "files_sha256": sha256_bytes("\n".join(files).encode())},
    )


def met_paintings(artists: list[str]) -> tuple[list[Path], list[Path], list[str]]:
    """The Met paintings (sorted by id) as a second, differently photographed check: (paths by named
    painters outside `artists`, paths by one of `artists`, which one of `artists` each is by)."""
    others, by_known, known_names = [], [], []
    for record in load_met():
        name = match_artist(record.artist, artists)
        if name is not None:
            by_known.append(record.image_path)
            known_names.append(name)
        elif record.artist.strip().casefold() not in UNKNOWN_EXCLUDED:
            others.append(record.image_path)
    return others, by_known, known_names


@dataclass
class OtherPainters:
    """Paintings by painters outside the 50, split by painter: outlier exposure (train), the unknown
    rule's threshold (val), the reported figures (test)."""
    paths: list[Path]
    painters: list[str]
    parts: dict[str, np.ndarray]
    data: dict


def outside_painters(root: Path, known_artists: list[str]) -> tuple[list[Artwork], str]:
    """The paintings of a folder by painters other than `known_artists` (folder slugs such as "claude-monet"
    matched too), and the sha256 of their file list: what a manifest names them by, so that `museum eval`
    finds the folder the heads were trained on again."""
    records = load_folder(root)
    known = {r.artist for r in records if match_artist(r.artist.replace("-", " "), known_artists) is not None}
    if known:
        log.warning("left out the paintings of %s: painters the heads know", ", ".join(sorted(known)))
    outside = [r for r in records if r.artist not in known]
    files = sorted(r.image_path.relative_to(root).as_posix() for r in outside)
    return outside, sha256_bytes("\n".join(files).encode())


def other_painters(root: Path, known_artists: list[str], seed: int) -> OtherPainters:
    """A folder of paintings labelled by painter (a sidecar with an `artist` column, as other-painters/
    has), without the known artists' paintings, split by painter."""
    records, files_sha256 = outside_painters(root, known_artists)
    unlabelled = [r for r in records if not r.artist]
    if unlabelled:
        raise CorpusError(f"{root}: {len(unlabelled)} images have no painter (e.g. {unlabelled[0].image_path.name}); "
                          "its sidecar (manifest.csv or metadata.csv) needs an `artist` column")
    painters = [r.artist for r in records]
    if len(set(painters)) < 10:
        raise CorpusError(f"{root} has paintings by fewer than 10 other painters: too few to learn "
                          "what an unknown painter looks like")
    return OtherPainters([r.image_path for r in records], painters, split_by_painter(painters, seed),
                         {"name": Path(root).name, "images": len(records), "painters": len(set(painters)),
                          "files_sha256": files_sha256})


def fit_bundle(styles_by_view: dict[str, np.ndarray], corpus: LabelledCorpus, parts: dict[str, np.ndarray],
               others_by_view: dict[str, np.ndarray], rule_unknown: np.ndarray, config: FeatureConfig,
               seed: int) -> tuple[HeadBundle, dict]:
    """Train on parts["train"] (all views as augmentation); the known head on the same rows against
    `others_by_view` (other painters' paintings, as they are and photographed, so being a photo tells
    nothing); calibrate on parts["val"], and fit the unknown rule on those validation paintings as small
    JPEGs against `rule_unknown` (paintings by painters none of the heads has seen)."""
    train = parts["train"]
    x = np.concatenate([styles_by_view[view][train] for view in styles_by_view])
    y = np.tile(corpus.labels[train], len(styles_by_view))
    standardizer = Standardizer.fit(x)
    standard = standardizer(x)
    del x
    n = len(corpus.artists)
    artist_head = fit_artist_head(standard, y, n, seed=seed)
    genre_head = fit_genre_head(standard, corpus.membership[y], balanced_weights(y, n), seed=seed)
    known_head = fit_known_head(standard, standardizer(np.concatenate(list(others_by_view.values()))), seed=seed)
    distance = DistanceModel.fit(standard, y)
    del standard
    val_clean = styles_by_view["clean"][parts["val"]]
    val_logits = artist_head(standardizer(val_clean))
    temperature = fit_temperature(val_logits, corpus.labels[parts["val"]])
    bundle = HeadBundle(corpus.artists, corpus.genres, config, standardizer, artist_head, genre_head, known_head,
                        temperature, distance, rule=None)

    def signals(styles: np.ndarray) -> np.ndarray:
        standard = standardizer(styles)
        logits = artist_head(standard)
        return unknown_signals(known_head(standard), logits, calibrated(logits, temperature), distance, standard)

    bundle.rule, fit_aurocs = fit_rule(signals(styles_by_view["small-jpeg"][parts["val"]]), signals(rule_unknown))
    if not bundle.rule.uses_distance:
        # The distance model's 16k x 128 basis was most of the heads' size and load time.
        bundle.distance = None
    val_labels = corpus.labels[parts["val"]]
    fitting = {"temperature": temperature, "unknown_rule_auroc_on_fit": fit_aurocs,
               "unknown_fit_images": int(len(rule_unknown)),
               "known_head_other_images": {view: int(len(rows)) for view, rows in others_by_view.items()},
               "val_ece_uncalibrated": expected_calibration_error(calibrated(val_logits, 1.0), val_labels),
               "val_ece_calibrated": expected_calibration_error(calibrated(val_logits, temperature), val_labels)}
    return bundle, fitting


def held_out_metrics(bundle: HeadBundle, corpus: LabelledCorpus, rows: np.ndarray,
                     styles: dict[str, np.ndarray], others: np.ndarray) -> dict:
    """Figures of one held-out part: clean, simulated photos, and known vs other painters' paintings
    (the known ones as small JPEGs, the others' format, and as they are)."""
    labels, truth = corpus.labels[rows], corpus.genre_truth[rows]
    clean = bundle(styles["clean"][rows])
    other_outputs = bundle(others)
    photo = lambda view: {k: v for k, v in artist_metrics(bundle(styles[view][rows]), labels, truth,
                                                          corpus.artists).items() if k != "per_artist"}
    return {"clean": artist_metrics(clean, labels, truth, corpus.artists),
            "photo": photo("photo-found"), "visitor_photo": photo("visitor-photo-found"),
            "unknown": unknown_metrics(bundle(styles["small-jpeg"][rows]), other_outputs),
            "unknown_as_they_are": unknown_metrics(clean, other_outputs)}


def met_metrics(bundle: HeadBundle, known_test: np.ndarray, others: np.ndarray, by_known: np.ndarray,
                by_known_labels: np.ndarray) -> dict:
    """The second check, on the Met's photographs: its paintings by other painters against the test part,
    and its paintings by the 50 (top-1, and how many are answered as known)."""
    outputs = bundle(by_known)
    return {"unknown": unknown_metrics(bundle(known_test), bundle(others)),
            "by_the_50": {"images": int(len(by_known_labels)),
                          "top1": float((outputs.probabilities.argmax(axis=1) == by_known_labels).mean()),
                          "known_answered": float(outputs.known.mean())}}


def train(root: Path | LabelledCorpus, other_root: Path, config: FeatureConfig = FeatureConfig(), seed: int = 0,
          progress: Progress | None = None, batch_size: int = 32, workers: int = 2,
          cache_dir: Path | None = None) -> tuple[HeadBundle, dict]:
    """Train the heads on a best-artworks folder (or a ready corpus: classifier/folder_corpus.py) and a
    folder of other painters' paintings; returns the bundle and its manifest (validation and test figures)."""
    started = time.time()
    corpus = root if isinstance(root, LabelledCorpus) else labelled_corpus(root)
    extractor = StyleExtractor(config)

    def features(paths: list[Path], name: str, view) -> CorpusFeatures:
        result = cached_extract(extractor, paths, name, view, cache_dir, batch_size=batch_size, workers=workers,
                                on_batch=progress(f"features ({name})", len(paths)) if progress else None)
        for reason in result.failed.values():
            log.warning("skipping unreadable image: %s", reason)
        return result

    views = {name: features(corpus.paths, name, VIEWS[name]) for name in VIEWS}
    valid = np.all([~np.isnan(v.styles).any(axis=1) for v in views.values()], axis=0)
    corpus = corpus.subset(valid)
    styles = {name: v.styles[valid] for name, v in views.items()}
    groups = near_duplicate_groups(views["clean"].pooled[valid])
    parts = split_indices(corpus.labels, groups, seed)

    others = other_painters(other_root, corpus.artists, seed)
    other_views = {name: features(others.paths, name, view).styles for name, view in OTHER_VIEWS.items()}
    readable = np.all([~np.isnan(v).any(axis=1) for v in other_views.values()], axis=0)
    other_part = {name: rows[readable[rows]] for name, rows in others.parts.items()}
    other_clean = other_views["other-painters"]
    bundle, fitting = fit_bundle(
        styles,
        corpus,
        parts,
        {name: v[other_part["train"]] for name, v in other_views.items()},
        other_clean[other_part["val"]],
        config,
        seed,
    )

    met_others, met_known, met_known_names = met_paintings(corpus.artists)
    met_known_labels = np.array([corpus.artists.index(name) for name in met_known_names])
    met = features(met_others + met_known, "met-found", found_view).styles
    metrics = {
        part: held_out_metrics(bundle, corpus, parts[part], styles, other_clean[other_part[part]])
        for part in ("val", "test")}
    metrics["met"] = met_metrics(bundle, styles["clean"][parts["test"]], met[:len(met_others)],
                                 met[len(met_others):], met_known_labels)
    metrics["fitting"] = fitting
    sizes = np.bincount(groups)
    manifest = {
        "encoder": config.encoder,
        "encoder_version": extractor.version,
        "data": corpus.data,
        "split": {
            "seed": seed,
            "duplicate_cosine": DUPLICATE_COSINE,
            "sizes": {k: int(len(v)) for k, v in parts.items()},
            "images_in_duplicate_groups": int(sizes[sizes > 1].sum()),
            "largest_group": int(sizes.max()),
        },
        "other_painters": {
            **others.data,
            "split": "by painter, seed as above",
            "images": {k: int(len(v)) for k, v in other_part.items()},
            "painters": {k: len({others.painters[i] for i in v}) for k, v in other_part.items()},
            "test_painters": sorted({others.painters[i] for i in other_part["test"]}),
        },
        "metrics": metrics,
        "train_seconds": round(time.time() - started, 1),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    return bundle, manifest
