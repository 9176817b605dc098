"""Local features for an index build: reused by content hash from the previous build, resumed from the shards of
an interrupted one, extracted for the rest by the build's engine (`local`: a thread pool, as OpenCV releases the
GIL; `ray`: tasks on the cluster that encodes the vectors), a shard at a time.

A shard is one atomically written `local-shards/NNNNNN.npz` holding its images' content hashes and features
(the layout of retrieval/local/store.py) and the spec they were extracted with: a file present is whole, so
an interrupted build loses the shard in progress at most. The shards go once the index is written.
"""

from __future__ import annotations

import io
import logging
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from data.files import atomic_write_bytes
from data.images import ImageError, load_image
from retrieval.local.features import LocalFeatures
from retrieval.local.store import VOCABULARY, LocalFeatureStore, LocalSpec, pack, unpack

log = logging.getLogger(__name__)

LOCAL_SHARDS = "local-shards"
Extracted = tuple[dict[int, LocalFeatures], dict[int, str]]  # position -> features, position -> reason it failed


def extract_file(spec: LocalSpec, path: Path) -> LocalFeatures | str:
    try:
        return spec.extract(load_image(path))
    except ImageError as error:
        return str(error)
    except Exception as error:  # one odd file must not sink the build
        return f"{Path(path).name}: no local features ({type(error).__name__}: {error})"


def _split(outcomes: list[LocalFeatures | str], start: int) -> Extracted:
    found = {start + i: o for i, o in enumerate(outcomes) if not isinstance(o, str)}
    return found, {start + i: o for i, o in enumerate(outcomes) if isinstance(o, str)}


def extract_in_threads(spec: LocalSpec, paths: list[Path], shard_size: int, options: dict) -> Iterator[Extracted]:
    with ThreadPoolExecutor(max_workers=max(1, options.get("workers", 2))) as pool:
        for start in range(0, len(paths), shard_size):
            yield _split(list(pool.map(lambda p: extract_file(spec, p), paths[start:start + shard_size])), start)


def _extract_files(spec: LocalSpec, paths: list[str]) -> list:
    import cv2

    cv2.setNumThreads(1)  # one task per CPU: OpenCV's own threads would only contend
    return [extract_file(spec, Path(p)) for p in paths]


def extract_with_ray(spec: LocalSpec, paths: list[Path], shard_size: int, options: dict) -> Iterator[Extracted]:
    from retrieval.ray_embed import RayOptions, ray_session

    ray_options: RayOptions = options.get("ray", RayOptions())
    with ray_session(ray_options) as ray:
        task = ray.remote(num_cpus=1)(_extract_files)
        step = max(1, ray_options.batch_size)
        for start in range(0, len(paths), shard_size):
            shard = [str(p) for p in paths[start:start + shard_size]]
            parts = ray.get([task.remote(spec, shard[i:i + step]) for i in range(0, len(shard), step)])
            yield _split([outcome for part in parts for outcome in part], start)


EXTRACTION_ENGINES: dict[str, Callable[..., Iterator[Extracted]]] = {"local": extract_in_threads,
                                                                    "ray": extract_with_ray}


def previous_features(directory: Path, manifest: dict | None, hashes: list[str], spec: LocalSpec) \
        -> dict[str, LocalFeatures]:
    """Content hash -> features of the index already at `directory`, when it holds features of this spec."""
    recorded = (manifest or {}).get("local_features")
    if not recorded or not LocalSpec.from_json(recorded).same_features(spec):
        return {}
    try:
        store = LocalFeatureStore(directory, LocalSpec.from_json(recorded))
    except (OSError, ValueError) as error:
        log.warning("ignoring the damaged local features at %s (%s); extracting them again", directory, error)
        return {}
    if len(store) != len(hashes):
        return {}
    return {value: store.features(row) for row, value in enumerate(hashes)}


def _resumable(folder: Path, spec: LocalSpec) -> dict[str, LocalFeatures]:
    found = {}
    for path in sorted(folder.glob("*.npz")):
        try:
            with np.load(path, allow_pickle=False) as shard:
                if str(shard["spec"]) != repr(spec.features_only()):
                    continue
                hashes = [str(h) for h in shard["hashes"]]
                found.update(zip(hashes, unpack({name: shard[_key(name)] for name in pack([], spec.dim)})))
        except (OSError, ValueError, KeyError) as error:
            log.warning("ignoring local feature shard %s (%s)", path.name, error)
    return found


def _key(name: str) -> str:
    return name.replace("/", "_").removesuffix(".npy")


def _write_shard(folder: Path, number: int, hashes: list[str], features: list[LocalFeatures], spec: LocalSpec):
    buffer = io.BytesIO()
    np.savez(buffer, hashes=np.array(hashes), spec=np.array(repr(spec.features_only())),
             **{_key(name): array for name, array in pack(features, spec.dim).items()})
    atomic_write_bytes(folder / f"{number:06d}.npz", buffer.getvalue())


def gather_features(directory: Path, manifest: dict | None, previous_hashes: list[str], paths: list[Path],
                    hashes: list[str], spec: LocalSpec, engine: str, options: dict, shard_size: int,
                    on_images: Callable[[int, int], None] | None = None) -> tuple[list[LocalFeatures | None], dict]:
    """Features for each of `paths` (content `hashes`), aligned with them; None where extraction failed (the
    reason in the second value, keyed by position). Reuses, resumes, then extracts what is left."""
    known = previous_features(directory, manifest, previous_hashes, spec)
    folder = directory / LOCAL_SHARDS
    known.update(_resumable(folder, spec))
    features: list[LocalFeatures | None] = [known.get(value) for value in hashes]
    missing = [i for i, f in enumerate(features) if f is None]
    failed = {}
    if missing:
        run = EXTRACTION_ENGINES[engine]
        done, number = 0, len(list(folder.glob("*.npz")))
        for found, reasons in run(spec, [paths[i] for i in missing], shard_size, options):
            positions = sorted(found)
            if positions:
                _write_shard(folder, number, [hashes[missing[p]] for p in positions], [found[p] for p in positions],
                             spec)
                number += 1
            for local, value in found.items():
                features[missing[local]] = value
            failed.update({missing[local]: reason for local, reason in reasons.items()})
            done += len(found) + len(reasons)
            if on_images:
                on_images(done, len(missing))
    return features, failed


def visual_words(directory: Path, manifest: dict | None, features: list[LocalFeatures], spec: LocalSpec,
                 seed: int = 0) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(vocabulary, words of every keypoint in row order) for `features`; the previous build's vocabulary is kept
    when it has the size this collection would get (a new painting or two does not move the words), else trained
    afresh, seeded. (None, None) when the spec wants no words."""
    from retrieval.local.vocabulary import Vocabulary, train_vocabulary, vocabulary_size

    if not spec.has_words:
        return None, None
    descriptors = np.concatenate([f.descriptors for f in features])
    centroids = None
    if (manifest or {}).get("local_features", {}).get("words") == spec.words and (directory / VOCABULARY).is_file():
        try:
            previous = np.load(directory / VOCABULARY).astype(np.float32)
            if len(previous) == vocabulary_size(len(descriptors), spec.words):
                centroids = previous
        except (OSError, ValueError) as error:
            log.warning("training the visual words again: %s", error)
    if centroids is None:
        centroids = train_vocabulary(descriptors, spec.words, seed)
    return centroids, Vocabulary(centroids).words(descriptors)


def drop_shards(directory: Path) -> None:
    shutil.rmtree(directory / LOCAL_SHARDS, ignore_errors=True)
