"""How well the collection match (`CATALOGUE_MATCH`, app/paintings.py) tells the collection's paintings from others,
with the vectors the app compares: the classifier's pooled vector of the painting found in a picture against the
collection's index of the same vectors (`Resources.match_index`).

    python -m app.matchbench --best-artworks PATH [--others 100]

Queries: a simulated gallery photo of every collection painting (should match it), and `--others` Kaggle
paintings and a simulated photo of each (should match nothing, unless the Kaggle image is a reproduction of a
collection painting: the five highest are printed to check by eye). Prints, per threshold, the photos named
from the right record, those named as another painting, and the other paintings that would be matched.
"""

from __future__ import annotations

import argparse
import random

import numpy as np

from app.paintings import CATALOGUE_MATCH
from app.resources import Resources
from app.settings import Settings
from classifier.photo import find_painting, simulate_gallery_photo
from data.corpora import load_best_artworks
from data.images import load_image
from retrieval.vector_index import search

THRESHOLDS = (0.65, 0.7, 0.75, 0.8, 0.85)
OTHER_SIDE = 1024  # Kaggle images are shrunk first: the classifier sees 256 px, the finder 160


def best_scores(resources: Resources, images, batch: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """(best cosine, its row) in the match index for each image, as app/vision.py computes them."""
    scores, rows = [], []
    for start in range(0, len(images), batch):
        predictions, _ = resources.classifier.predict_paintings([find_painting(i) for i in images[start:start + batch]])
        found, ids = search(resources.match_index.index, np.stack([p.embedding for p in predictions]), 1)
        scores.append(found[:, 0])
        rows.append(ids[:, 0])
    return np.concatenate(scores), np.concatenate(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.matchbench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--best-artworks", required=True, help="a Kaggle 'Best Artworks' folder (paintings not in it)")
    parser.add_argument("--others", type=int, default=100, help="Kaggle paintings to query (default 100)")
    args = parser.parse_args(argv)
    resources = Resources.from_settings(Settings())
    collection = resources.match_index
    if collection is None or resources.classifier is None:
        raise SystemExit(f"no match index or classifier: {resources.problems}")
    photos = [simulate_gallery_photo(load_image(r.image_path), seed) for seed, r in enumerate(collection.records)]
    photo_scores, photo_rows = best_scores(resources, photos)
    right = photo_rows == np.arange(len(photos))
    records = random.Random(0).sample(load_best_artworks(args.best_artworks).records, args.others)
    others = [load_image(r.image_path) for r in records]
    for image in others:
        image.thumbnail((OTHER_SIDE, OTHER_SIDE))
    others += [simulate_gallery_photo(image, 1_000 + seed) for seed, image in enumerate(others)]
    other_scores, other_rows = best_scores(resources, others)
    print(f"{len(photos)} gallery photos of collection paintings; {len(others)} pictures of other paintings "
          f"({args.others} Kaggle images and a photo of each); the app's threshold is {CATALOGUE_MATCH}")
    print("| threshold | photos named from the right record | named as another painting | others matched |")
    print("| --- | --- | --- | --- |")
    for threshold in THRESHOLDS:
        named = photo_scores >= threshold
        print(f"| {threshold} | {int((right & named).sum())} ({np.mean(right & named):.0%}) | "
              f"{int((~right & named).sum())} | {int((other_scores >= threshold).sum())} |")
    print("highest scores of other paintings (check by eye that none is a reproduction of a collection painting):")
    for index in np.argsort(-other_scores)[:5]:
        source = records[index % args.others]
        kind = "photo of " if index >= args.others else ""
        nearest = collection.records[other_rows[index]].title
        print(f"  {other_scores[index]:.3f} {kind}{source.image_path.name} ~ {nearest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
