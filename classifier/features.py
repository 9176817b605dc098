"""Style features from ONE backbone forward: pooled statistics of intermediate blocks.

Artist style lives in brushwork and texture as much as in content, so besides the
final pooled vector we keep, from block outputs captured by forward hooks, the
per-channel mean and standard deviation of every block and the channel
correlations (Gram matrices, as in Gatys et al.'s style representation) of three
mid-level blocks. The images are encoded whole at `image_size` (no centre crop).

Features of a whole corpus are cached under the cache dir, keyed by the encoder,
the feature layout, the view (clean, flipped, simulated photo) and the file list.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from PIL import Image, ImageOps
from torchvision import transforms

from data.images import ImageError, load_image
from retrieval.encoders import LITE_MEAN, LITE_STD, LITE_RESOLUTION, load_encoder

log = logging.getLogger(__name__)

CACHE_DIR = Path(os.environ.get("MUSEUM_CACHE_DIR", "/tmp/museum-cache"))
FEATURE_VERSION = 2

View = Callable[[Image.Image, int], Image.Image]  # (image, position in corpus) -> image


@dataclass(frozen=True)
class FeatureConfig:
    encoder: str = "efficientnet-lite0"
    image_size: int = 256
    # Blocks whose per-channel mean and std are kept: all 16 of EfficientNet-Lite0.
    blocks: tuple[int, ...] = tuple(range(16))
    # Blocks whose Gram matrix is kept (40, 80, 112 channels: 780 + 3,160 + 6,216 numbers).
    # Top-1 on the validation (test) part: all blocks' mean/std over the six stage-final ones +5 (+3)
    # points, these Grams +3 (+4) more; block 14's Gram (192 channels, 18k numbers) lost 1.8 (1.5) on the 6-block base.
    gram_blocks: tuple[int, ...] = (4, 7, 10)
    version: int = FEATURE_VERSION

    def to_json(self) -> dict:
        return {**asdict(self), "blocks": list(self.blocks), "gram_blocks": list(self.gram_blocks)}

    @classmethod
    def from_json(cls, value: dict) -> "FeatureConfig":
        return cls(**{**value, "blocks": tuple(value["blocks"]), "gram_blocks": tuple(value["gram_blocks"])})

    @property
    def hooked_blocks(self) -> tuple[int, ...]:
        return tuple(sorted(set(self.blocks) | set(self.gram_blocks)))


def gram_features(activation: torch.Tensor) -> torch.Tensor:
    """[N, C, h, w] -> [N, C(C-1)/2]: off-diagonal channel covariances, signed square root.

    The diagonal is left out (it is the variance, already kept as the std); the signed
    square root tames the heavy tail of co-activations before standardisation.
    """
    n, c, h, w = activation.shape
    flat = activation.reshape(n, c, h * w)
    flat = flat - flat.mean(dim=2, keepdim=True)
    gram = flat @ flat.transpose(1, 2) / (h * w)
    rows, cols = torch.triu_indices(c, c, 1, device=activation.device)
    upper = gram[:, rows, cols]
    return torch.sign(upper) * torch.sqrt(upper.abs() + 1e-12)


def style_statistics(config: FeatureConfig, captured: dict[int, torch.Tensor],
                     head: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Hooked block outputs + final feature map -> (style features [N, F], pooled [N, 1280]).

    The one definition of the feature layout, shared by the extractor and the
    differentiable head used for explanations.
    """
    mean_std = lambda m: torch.cat([m.mean(dim=(2, 3)), m.std(dim=(2, 3))], dim=1)
    pooled = head.mean(dim=(2, 3))
    parts = [mean_std(captured[index]) for index in config.blocks]
    parts.append(torch.cat([pooled, head.std(dim=(2, 3))], dim=1))
    parts.extend(gram_features(captured[index]) for index in config.gram_blocks)
    return torch.cat(parts, dim=1), pooled


class StyleExtractor(torch.nn.Module):
    """Lite backbone -> (style features [N, F], pooled embedding [N, 1280]) in one forward."""

    def __init__(self, config: FeatureConfig):
        super().__init__()
        if config.encoder not in LITE_RESOLUTION:
            raise ValueError(f"style features need an EfficientNet-Lite encoder, not {config.encoder}")
        encoder = load_encoder(config.encoder)
        self.config, self.version = config, encoder.version
        self.net = encoder.model.net
        self._captured: dict[int, torch.Tensor] = {}
        for index in config.hooked_blocks:
            self.net._blocks[index].register_forward_hook(
                lambda _m, _i, out, index=index: self._captured.__setitem__(index, out))
        self.preprocess = transforms.Compose([
            transforms.Resize((config.image_size, config.image_size),
                              interpolation=transforms.InterpolationMode.BICUBIC),
            transforms.ToTensor(),
            transforms.Normalize(LITE_MEAN, LITE_STD),
        ])
        self.eval()

    @torch.inference_mode()
    def forward(self, batch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        self._captured.clear()
        try:
            return style_statistics(self.config, self._captured, self.net.extract_features(batch))
        finally:
            self._captured.clear()

    def features_of(self, images: list[Image.Image]) -> tuple[np.ndarray, np.ndarray]:
        styles, pooled = self(torch.stack([self.preprocess(image) for image in images]))
        return styles.numpy().astype(np.float32), pooled.numpy().astype(np.float32)


def identity_view(image: Image.Image, _position: int) -> Image.Image:
    return image


def flip_view(image: Image.Image, _position: int) -> Image.Image:
    return ImageOps.mirror(image)


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


def cache_key(config: FeatureConfig, view_name: str, paths: list[Path]) -> str:
    digest = hashlib.sha256(json.dumps([config.to_json(), view_name, [str(p) for p in paths]]).encode())
    return f"{config.encoder}-{config.image_size}-{view_name}-{digest.hexdigest()[:16]}"


def cached_extract(extractor: StyleExtractor, paths: list[Path], view_name: str, view: View,
                   cache_dir: Path | None = CACHE_DIR, **kwargs) -> CorpusFeatures:
    """`extract` with an on-disk cache (float16) so repeated training runs skip the forward passes."""
    path = cache_dir / f"{cache_key(extractor.config, view_name, paths)}.npz" if cache_dir else None
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
        from io import BytesIO

        from data.files import atomic_write_bytes

        buffer = BytesIO()
        np.savez(buffer, styles=result.styles.astype(np.float16), pooled=result.pooled.astype(np.float16),
                 failed=json.dumps(result.failed))
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, buffer.getvalue())
    return result
