"""`museum bench match-scale`: the two-stage match of `museum bench match` against a collection of `paintings`
(100,000 by default) on this machine.

The collection is the default one's paintings (rows 0..n-1: the ones photographed) among distractors. Every Kaggle
painting (`--best-artworks`) and other painter's painting (`--other-painters`) is a real distractor: its local
features and global vector are extracted by the product's own code (the build rates reported). They are then
repeated until the collection holds `paintings`, each repeat with its keypoints moved by a random similarity
transform, thinned to 70-95 % and its global vector jittered (to a cosine near 0.9 with its source). The repeats
are synthetic: a repeat costs the shortlist and the verification what a real painting would, and it is no harder
to tell from the photographed paintings than its source is.

A distractor that is the same artwork as a collection painting is left out, so that naming it is not counted as
a wrong record: the Kaggle set holds its own photographs of several Met paintings (and of other versions of the
same composition), which a global cosine >= `SAME_ARTWORK` (the brief's grouping threshold, 89 % of known
near-copies) finds only in part; a distractor whose clean image the shipped rule verifies as a collection
painting is left out too. Both kinds are listed for a person to look at, and so is any record still named
wrongly.

The photos are measured twice: against the real paintings alone (the collection and every real distractor), and
against the whole collection with the repeats. The repeats make it harder than 100,000 distinct paintings would
be: a real distractor that shares words with a photo comes with its repeats, which take several places of the
shortlist at once.

The visual words are trained afresh on the real paintings (the repeats reuse their words), the store is written
with the product's writer (retrieval/local/store.py: file by file, an image at a time) and read with its loader,
the global vectors go into the index kind the product picks for that many (retrieval/vector_index.py), and the
photos are the ones
`museum bench match` takes of the same paintings with the same seed (app/bench/match.py), each measured with its
code: one Resources, its match index replaced by each large one in turn.
"""

from __future__ import annotations

import logging
import random
import resource
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from app.bench import match as match_bench
from app.serving.resources import Resources

log = logging.getLogger(__name__)

SAME_ARTWORK = 0.80  # pooled Lite0 cosine: the near-copy grouping threshold of the brief (89 % of known pairs)
HELD_OUT_PAINTERS = 0.1  # other painters kept out of the collection, photographed as "not in the collection"
REPEAT_COSINE = 0.9  # a repeat's global vector to its source's


@dataclass(frozen=True)
class Repeats(Sequence):
    """The collection's local features, row by row: `real` as extracted, then synthetic repeats of `sources`
    up to `total`, each made on demand from its row number (so writing the store never holds them all)."""

    real: list  # LocalFeatures of the photographed paintings, then of the real distractors
    sources: list  # indices into `real` that are repeated (the distractors)
    total: int
    seed: int

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, row: int):
        if not 0 <= row < self.total:
            raise IndexError(row)  # where iterating a Sequence stops
        return self.repeat(row)[0]

    def repeat(self, row: int):
        """(features of `row`, positions of its keypoints among its source's); all of them for a real row."""
        from retrieval.local.features import LocalFeatures

        if row < len(self.real):
            return self.real[row], slice(None)
        source = self.real[self.source_of(row)]
        rng = np.random.default_rng((self.seed, row))
        kept = np.flatnonzero(rng.random(len(source)) < rng.uniform(0.7, 0.95))
        width, height = source.size
        angle, scale = rng.uniform(-0.2, 0.2), rng.uniform(0.8, 1.2)
        turn = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
        centre = np.float32([width / 2, height / 2])
        xy = np.clip((source.xy[kept] - centre) @ turn.T + centre, 0, [width - 1, height - 1])
        return LocalFeatures(xy.astype(np.float32), source.descriptors[kept], source.size), kept

    def source_of(self, row: int) -> int:
        """The real row that `row` repeats (itself for a real row)."""
        return row if row < len(self.real) else self.sources[(row - len(self.real)) % len(self.sources)]

    def words(self, real_words: list[np.ndarray]) -> np.ndarray:
        """int32 [T]: every keypoint's word in row order, from the words of the real rows."""
        return np.concatenate([real_words[self.source_of(row)][self.repeat(row)[1]] for row in range(self.total)])


def _timed(function: Callable, *args, **kwargs):
    started = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - started


def distractor_paths(best_artworks: Path, other_painters: Path, seed: int) -> tuple[list, list]:
    """(records that join the collection, image paths of held-out painters' paintings to photograph)."""
    from data.corpora import load_best_artworks, load_folder

    kaggle = load_best_artworks(best_artworks).records
    others = load_folder(other_painters)
    painters = sorted({r.artist for r in others})
    random.Random(seed).shuffle(painters)
    held_out = set(painters[:max(1, int(len(painters) * HELD_OUT_PAINTERS))])
    return ([*kaggle, *(r for r in others if r.artist not in held_out)],
            [r.image_path for r in others if r.artist in held_out])


def extract_all(spec, paths: list[Path], progress=None) -> tuple[list, list[int]]:
    """(features of the paths that could be read, their positions), with the build's thread pool."""
    from retrieval.local.build import extract_in_threads

    features, positions = [], []
    for found, failed in extract_in_threads(spec, paths, 256, {"workers": 2}):
        for position in sorted(found):
            features.append(found[position])
            positions.append(position)
        if progress:
            progress(len(found) + len(failed))
    return features, positions


def same_artworks(resources: Resources, features: list, cosines: np.ndarray, progress=None) -> dict[int, tuple]:
    """{position: (collection row, evidence)} of the distractors that are a collection painting in another
    photograph: a global cosine >= SAME_ARTWORK, or the clean image verified as that painting with the shipped
    rule against the collection's own candidates for it (its best words and nearest vectors). The verification
    here is of two clean images, not of a visitor's photo; the pairs are listed for a person to look at."""
    from app.conversation.paintings import candidate_rows
    from retrieval.local import recognise

    settings, store = resources.settings, resources.match_index.local
    same = {}
    for position, (found, row_cosines) in enumerate(zip(features, cosines)):
        nearest = int(row_cosines.argmax())
        if row_cosines[nearest] >= SAME_ARTWORK:
            same[position] = (nearest, f"cosine {row_cosines[nearest]:.3f}")
        else:
            by_vector = [int(r) for r in np.argsort(-row_cosines)[:settings.match_global]]
            verified = recognise(found, store, candidate_rows(settings, store, found, by_vector),
                                 settings.match_rule())
            if verified:
                same[position] = (verified[0].row, f"{verified[0].verification.inliers} inliers")
        if progress:
            progress(1)
    return same


def jittered(vectors: np.ndarray, rows: np.ndarray, seed: int) -> np.ndarray:
    """Unit vectors at a cosine near REPEAT_COSINE to `vectors[rows]`."""
    rng = np.random.default_rng(seed)
    dim = vectors.shape[1]
    sigma = np.sqrt((1 / REPEAT_COSINE ** 2 - 1) / dim)
    moved = vectors[rows] + rng.normal(0, sigma, (len(rows), dim)).astype(np.float32)
    return moved / np.linalg.norm(moved, axis=1, keepdims=True)


def build(resources: Resources, directory: Path, best_artworks: Path, other_painters: Path, paintings: int,
          seed: int = 0, bar=None) -> tuple[dict, list, dict]:
    """({name: LoadedIndex} of the real paintings alone and of the whole collection, held-out photo paths, the
    build's figures)."""
    import pandas as pd

    from data.records import Artwork
    from retrieval.embed import embed_paths
    from retrieval.encoders import load_encoder
    from retrieval.local.build import visual_words
    from retrieval.local.store import LocalFeatureStore, local_description, write_local_features
    from retrieval.store import LoadedIndex
    from retrieval.vector_index import all_vectors, build_index, describe

    collection = resources.match_index
    spec = collection.local.spec
    figures: dict = {}
    records, held_out = distractor_paths(best_artworks, other_painters, seed)
    paths = [r.image_path for r in records]

    def stage(name: str, total: int):
        if bar is not None:
            bar.reset(total)
            bar.set_description(name)
        return bar.update if bar is not None else None

    (found, positions), seconds = _timed(extract_all, spec, paths, stage("keypoints", len(paths)))
    figures["keypoints"] = {"images": len(paths), "per_second": round(len(paths) / seconds, 1)}
    encoder = load_encoder(collection.encoder_name)
    embedded, seconds = _timed(embed_paths, encoder, [paths[p] for p in positions],
                               on_batch=stage("global vectors", len(positions)))
    figures["global_vectors"] = {"images": len(positions), "per_second": round(len(positions) / seconds, 1)}
    own = all_vectors(collection.index)
    cosines = embedded.vectors @ own.T
    same = same_artworks(resources, [found[i] for i in embedded.ok], cosines, stage("same artwork?", len(cosines)))
    kept = [i for i in range(len(embedded.ok)) if i not in same]
    figures["same_artwork_left_out"] = [{"source": str(paths[positions[embedded.ok[i]]]),
                                         "collection": collection.records[row].title, "evidence": evidence}
                                        for i, (row, evidence) in sorted(same.items())]
    real = [collection.local.features(row) for row in range(len(collection))] + \
           [found[embedded.ok[i]] for i in kept]
    real_records = list(collection.records) + [records[positions[embedded.ok[i]]] for i in kept]
    vectors = np.concatenate([own, embedded.vectors[kept]]).astype(np.float32)
    sources = list(range(len(collection), len(real)))
    rows = Repeats(real, sources, max(paintings, len(real)), seed)

    log.info("training %d visual words on %d images and giving every keypoint its word", spec.words, len(real))
    (centroids, flat), seconds = _timed(visual_words, directory, None, real, spec, seed)
    figures["visual_words"] = {"words": len(centroids), "images": len(real), "seconds": round(seconds, 1)}
    words = rows.words(np.split(flat, np.cumsum([len(f) for f in real])[:-1]))
    entries, seconds = _timed(write_local_features, directory, rows, spec, centroids, words)
    store_bytes = sum(entry["size"] for entry in entries.values())
    figures["store"] = {"write_seconds": round(seconds, 1), "bytes": store_bytes,
                        "bytes_per_painting": round(store_bytes / len(rows)),
                        "described": local_description(real, spec, centroids)}
    repeats = np.arange(len(real), len(rows))
    repeat_sources = np.array([rows.source_of(int(row)) for row in repeats], np.int64)
    vectors = np.concatenate([vectors, jittered(vectors, repeat_sources, seed)])
    index, seconds = _timed(build_index, vectors)
    figures["vector_index"] = {**describe(index), "build_seconds": round(seconds, 1)}
    repeat_records = [Artwork(f"{real_records[s].id}~{n}", real_records[s].image_path, real_records[s].title,
                              real_records[s].artist, source="synthetic repeat")
                      for n, s in zip(repeats, repeat_sources)]
    large = LoadedIndex(directory, index, real_records + repeat_records, pd.DataFrame(), collection.manifest,
                        LocalFeatureStore(directory, spec))
    alone = directory / "real"  # the real paintings alone, with the same words: how much the repeats cost
    write_local_features(alone, real, spec, centroids, flat)
    real_only = LoadedIndex(alone, build_index(vectors[:len(real)]), real_records, pd.DataFrame(),
                            collection.manifest, LocalFeatureStore(alone, spec))
    figures.update(paintings=len(rows), real=len(real), photographed=len(collection), repeats=len(repeats))
    return {"real paintings only": real_only, "with the synthetic repeats": large}, held_out, figures


def run(resources: Resources, directory: Path, best_artworks: Path, other_painters: Path, paintings: int,
        seed: int = 0, others: int = 100, limit: int | None = None, hard_views: int = match_bench.HARD_VIEWS,
        bar=None) -> dict:
    """Every figure of `museum bench match-scale` as one dict."""
    collections, held_out, figures = build(resources, directory, best_artworks, other_painters, paintings, seed, bar)
    photographed = len(resources.match_index)
    held_out = random.Random(seed).sample(held_out, min(others, len(held_out)))
    cases = match_bench.make_cases(resources, held_out, seed, limit, hard_views, photographed=photographed)
    figures["photos"] = len(cases)
    figures["min_inliers"] = resources.settings.match_min_inliers
    figures["collections"] = {}
    for name, collection in collections.items():
        resources.replace_part("match_index", collection)
        if bar is not None:
            bar.reset(len(cases))
            bar.set_description(f"photos, {len(collection):,} paintings")
        for case in cases:
            match_bench.measure(resources, case)
            if bar is not None:
                bar.update(1)
        figures["collections"][name] = {"paintings": len(collection),
                                        **measured(cases, collection, figures["min_inliers"])}
    figures["peak_rss_gb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 1)
    return figures


def measured(cases: list, collection, shipped: int) -> dict:
    """Right and wrong records per set and split, stage times, and every wrong record named (to look at)."""
    searched = [c.seconds["shortlist"] + c.seconds["verification"] for c in cases]
    wrong = [{"photo of": collection.records[case.truth[0]].title if case.truth else case.source,
              "named": collection.records[r].title, "source": str(collection.records[r].image_path),
              "inliers": v.inliers}
             for case in cases if match_bench.outcome(case, shipped) == "wrong"
             for r, v in case.candidates if v.inliers >= shipped and r not in case.truth]
    return {"results": [row for split in match_bench.SPLITS for row in match_bench.sweep(cases, split)
                        if row["min_inliers"] == shipped],
            "stages": match_bench.stage_times(cases),
            "shortlist_and_verification": {"p50": float(np.percentile(searched, 50)),
                                           "p95": float(np.percentile(searched, 95))},
            "wrong_records": wrong}
