"""Style features of whole corpora, with the image views used for training (clean,
mirrored, simulated photo) and an on-disk cache.

Features of a whole corpus are cached under the cache dir, keyed by the encoder,
the feature layout, the view and the file list. The features themselves are
defined in `retrieval.style_features`.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from PIL import Image, ImageOps

from data.images import ImageError, load_image
from retrieval.style_features import FeatureConfig, StyleExtractor

log = logging.getLogger(__name__)

View = Callable[[Image.Image, int], Image.Image]  # (image, position in corpus) -> image


def identity_view(image: Image.Image, _position: int) -> Image.Image:
    return image


def flip_view(image: Image.Image, _position: int) -> Image.Image:
    return ImageOps.mirror(image)


SMALL_JPEG_SIZE, SMALL_JPEG_QUALITY = 224, 75  # the format of the other-painters images


def small_jpeg_view(image: Image.Image, _position: int) -> Image.Image:
    """The image as a 224 px, quality-75 JPEG: known paintings in the format of the other-painters
    images, so neither the unknown rule nor the outlier-exposed head can learn "small JPEG = unknown"."""
    buffer = io.BytesIO()
    image.convert("RGB").resize((SMALL_JPEG_SIZE, SMALL_JPEG_SIZE), Image.BICUBIC).save(
        buffer, format="JPEG", quality=SMALL_JPEG_QUALITY)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


@dataclass
class CorpusFeatures:
    styles: np.ndarray  # float32[N, F] (NaN rows for files that failed)
    pooled: np.ndarray  # float32[N, 1280]
    failed: dict[int, str]


def _decode(path: Path, view: View, position: int, extractor: StyleExtractor) -> torch.Tensor | str:
    try:
        return extractor.preprocess(view(load_image(path), position))
    except ImageError as error:
        return str(error)


def extract(extractor: StyleExtractor, paths: list[Path], view: View = identity_view, batch_size: int = 32,
            workers: int = 2, on_batch: Callable[[int], None] | None = None) -> CorpusFeatures:
    """Features of every file, decoding (and the view's image work) in threads ahead of the model."""
    styles, pooled, failed = [None] * len(paths), [None] * len(paths), {}
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for start in range(0, len(paths), batch_size):
            chunk = range(start, min(start + batch_size, len(paths)))
            outcomes = list(pool.map(lambda i: _decode(paths[i], view, i, extractor), chunk))
            good = [i for i, o in zip(chunk, outcomes) if not isinstance(o, str)]
            failed.update({i: o for i, o in zip(chunk, outcomes) if isinstance(o, str)})
            if good:
                s, p = extractor(torch.stack([o for o in outcomes if not isinstance(o, str)]))
                for row, i in enumerate(good):
                    styles[i], pooled[i] = s[row].numpy(), p[row].numpy()
            if on_batch:
                on_batch(len(chunk))
    width_s = next((s.shape[0] for s in styles if s is not None), 0)
    width_p = next((p.shape[0] for p in pooled if p is not None), 0)
    fill = lambda rows, w: np.stack([r if r is not None else np.full(w, np.nan, np.float32) for r in rows]) \
        if rows else np.zeros((0, w), np.float32)
    return CorpusFeatures(fill(styles, width_s).astype(np.float32), fill(pooled, width_p).astype(np.float32), failed)


def cache_key(config: FeatureConfig, view_name: str, paths: list[Path], view: View = identity_view) -> str:
    """The cache file of a corpus's features: encoder, feature layout, view (and the version of the image work
    it does, such as the painting finder's, so a changed finder is not served stale features) and file list."""
    version = getattr(view, "cache_version", None)
    key = [config.to_json(), view_name, [str(p) for p in paths]] + ([version] if version else [])
    digest = hashlib.sha256(json.dumps(key).encode())
    return f"{config.encoder}-{config.image_size}-{view_name}-{digest.hexdigest()[:16]}"


def cached_extract(extractor: StyleExtractor, paths: list[Path], view_name: str, view: View,
                   cache_dir: Path | None = None, **kwargs) -> CorpusFeatures:
    """`extract` with an on-disk cache (float16) in `cache_dir`, so repeated training runs skip the forward
    passes; no cache when `cache_dir` is None."""
    path = cache_dir / f"{cache_key(extractor.config, view_name, paths, view)}.npz" if cache_dir else None
    if path and path.is_file():
        with np.load(path, allow_pickle=False) as data:
            failed = json.loads(str(data["failed"]))
            log.info("features %s from cache %s", view_name, path)
            return CorpusFeatures(data["styles"].astype(np.float32), data["pooled"].astype(np.float32),
                                  {int(k): v for k, v in failed.items()})
    result = extract(extractor, paths, view, **kwargs)
    # The cache keeps float16; a cold run uses the same rounded values, so it gives the same weights as a warm one.
    result.styles, result.pooled = (a.astype(np.float16).astype(np.float32) for a in (result.styles, result.pooled))
    if path:
        from data.files import atomic_write_bytes

        buffer = io.BytesIO()
        np.savez(buffer, styles=result.styles.astype(np.float16), pooled=result.pooled.astype(np.float16),
                 failed=json.dumps(result.failed))
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, buffer.getvalue())
    return result
