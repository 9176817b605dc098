"""`museum train`: features -> split -> heads -> calibration -> unknown rule -> metrics -> bundle.

Every stage is fitted on its own part of the data: heads on train, temperature and
unknown threshold on validation (plus half of the Met paintings by other artists),
and the reported figures on the test part (plus the other half of those Met paintings).
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
from classifier.evaluate import artist_metrics, unknown_metrics
from classifier.features import CACHE_DIR, cached_extract, flip_view, identity_view
from classifier.heads import Standardizer, balanced_weights, fit_artist_head, fit_genre_head
from classifier.labels import artist_genres, match_artist
from classifier.model import HeadBundle, unknown_signals
from classifier.photo import photo_found_view, second_photo_found_view
from classifier.split import DUPLICATE_COSINE, near_duplicate_groups, split_indices
from classifier.unknown import DistanceModel, UnknownRule, fit_rule
from data.corpora import load_best_artworks, load_met
from data.files import sha256_bytes
from retrieval.style_features import FeatureConfig, StyleExtractor

log = logging.getLogger(__name__)

MIN_IMAGES = 8  # an artist needs a few images on each side of the split
UNKNOWN_EXCLUDED = {"", "unidentified artist"}
# Training views: each image, its mirror, and two simulated gallery photos of it (other walls,
# angles, glare) as `predict` sees them (painting found, then encoded), so walls and glare are
# learnt as noise. The second photo: photo top-1 +1.7 points, clean -0.3 (3 of 955 images).
VIEWS = {"clean": identity_view, "flip": flip_view, "photo-found": photo_found_view,
         "photo-found-second": second_photo_found_view}
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


def unknown_met(artists: list[str]) -> tuple[list[Path], list[str]]:
    """Met paintings by named artists outside `artists` (sorted by id)."""
    chosen = [r for r in load_met()
              if r.artist.strip().casefold() not in UNKNOWN_EXCLUDED and match_artist(r.artist, artists) is None]
    return [r.image_path for r in chosen], [r.artist for r in chosen]


def fit_bundle(styles_by_view: dict[str, np.ndarray], corpus: LabelledCorpus, parts: dict[str, np.ndarray],
               unknown_fit: np.ndarray, config: FeatureConfig, seed: int) -> tuple[HeadBundle, dict]:
    """Train on parts["train"] (all views as augmentation), calibrate and fit the unknown rule on parts["val"]."""
    train = parts["train"]
    x = np.concatenate([styles_by_view[view][train] for view in styles_by_view])
    y = np.tile(corpus.labels[train], len(styles_by_view))
    standardizer = Standardizer.fit(x)
    standard = standardizer(x)
    n = len(corpus.artists)
    artist_head = fit_artist_head(standard, y, n, seed=seed)
    genre_head = fit_genre_head(standard, corpus.membership[y], balanced_weights(y, n), seed=seed)
    distance = DistanceModel.fit(standard, y)
    val_clean = styles_by_view["clean"][parts["val"]]
    val_logits = artist_head(standardizer(val_clean))
    temperature = fit_temperature(val_logits, corpus.labels[parts["val"]])
    provisional = HeadBundle(corpus.artists, corpus.genres, config, standardizer, artist_head, genre_head,
                             temperature, distance, UnknownRule("probability", -np.inf, np.zeros(3), np.ones(3)))
    signals = lambda styles: unknown_signals(provisional(styles).probabilities, distance, standardizer(styles))
    rule, fit_aurocs = fit_rule(signals(val_clean), signals(unknown_fit))
    provisional.rule = rule
    val_labels = corpus.labels[parts["val"]]
    fitting = {"temperature": temperature, "unknown_rule_auroc_on_fit": fit_aurocs,
               "unknown_fit_images": int(len(unknown_fit)),
               "val_ece_uncalibrated": expected_calibration_error(calibrated(val_logits, 1.0), val_labels),
               "val_ece_calibrated": expected_calibration_error(calibrated(val_logits, temperature), val_labels)}
    return provisional, fitting


def train(root: Path | LabelledCorpus, config: FeatureConfig = FeatureConfig(), seed: int = 0,
          progress: Progress | None = None, batch_size: int = 32, workers: int = 2,
          cache_dir: Path | None = CACHE_DIR) -> tuple[HeadBundle, dict]:
    """Train the heads on a best-artworks folder, or on a ready corpus (classifier/folder_corpus.py);
    returns the bundle and its manifest (with test metrics)."""
    started = time.time()
    corpus = root if isinstance(root, LabelledCorpus) else labelled_corpus(root)
    extractor = StyleExtractor(config)
    views = {name: cached_extract(extractor, corpus.paths, name, VIEWS[name], cache_dir, batch_size=batch_size,
                                  workers=workers,
                                  on_batch=progress(f"features ({name})", len(corpus.paths)) if progress else None)
             for name in VIEWS}
    valid = np.all([~np.isnan(v.styles).any(axis=1) for v in views.values()], axis=0)
    for view in views.values():
        for position, reason in view.failed.items():
            log.warning("skipping unreadable image: %s", reason)
    corpus = corpus.subset(valid)
    styles = {name: v.styles[valid] for name, v in views.items()}
    groups = near_duplicate_groups(views["clean"].pooled[valid])
    parts = split_indices(corpus.labels, groups, seed)

    met_paths, _ = unknown_met(corpus.artists)
    met_styles = cached_extract(extractor, met_paths, "met-unknown", identity_view, cache_dir,
                                batch_size=batch_size, workers=workers).styles
    order = np.random.default_rng(seed).permutation(len(met_paths))
    unknown_fit, unknown_report = np.sort(order[: len(order) // 2]), np.sort(order[len(order) // 2:])

    bundle, fitting = fit_bundle(styles, corpus, parts, met_styles[unknown_fit], config, seed)
    test = parts["test"]
    test_paths = [corpus.paths[i] for i in test]
    photo_styles = cached_extract(extractor, test_paths, "photo-found", photo_found_view, cache_dir,
                                  batch_size=batch_size, workers=workers,
                                  on_batch=progress("features (photo)", len(test)) if progress else None).styles
    clean, photo = bundle(styles["clean"][test]), bundle(photo_styles)
    metrics = {
        "test": artist_metrics(clean, corpus.labels[test], corpus.genre_truth[test], corpus.artists),
        "test_photo": artist_metrics(photo, corpus.labels[test], corpus.genre_truth[test], corpus.artists),
        "unknown": unknown_metrics(clean, bundle(met_styles[unknown_report])),
        "fitting": fitting,
    }
    duplicates = np.bincount(groups)
    manifest = {
        "encoder": config.encoder, "encoder_version": extractor.version, "data": corpus.data,
        "split": {"seed": seed, "duplicate_cosine": DUPLICATE_COSINE, "sizes": {k: int(len(v)) for k, v in parts.items()},
                  "images_in_duplicate_groups": int(duplicates[duplicates > 1].sum())},
        "unknown_data": {"source": "met (artists outside the 50)", "fit": int(len(unknown_fit)),
                         "report": int(len(unknown_report))},
        "metrics": metrics, "train_seconds": round(time.time() - started, 1),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    return bundle, manifest
