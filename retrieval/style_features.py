"""Style features from ONE EfficientNet-Lite forward: pooled statistics of intermediate blocks.

Artist style lives in brushwork and texture as much as in content, so besides the
final pooled vector we keep, from block outputs captured by forward hooks, the
per-channel mean and standard deviation of every block and the channel
correlations (Gram matrices, as in Gatys et al.'s style representation) of three
mid-level blocks. The images are encoded whole at `image_size` (no centre crop).

Shared by the classifier (its heads read these features) and by retrieval (a
style embedding for similar-painting search).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from PIL import Image

from retrieval.encoder_names import LITE_MEAN, LITE_RESOLUTION, LITE_STD
from retrieval.lite import load_lite
from retrieval.pixels import Pixels

FEATURE_VERSION = 2


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
        pooled, _, version = load_lite(config.encoder)  # a copy of its own: the hooks below land on it alone
        self.config, self.version = config, version
        self.net = pooled.net.requires_grad_(False)
        self._captured: dict[int, torch.Tensor] = {}
        for index in config.hooked_blocks:
            self.net._blocks[index].register_forward_hook(
                lambda _m, _i, out, index=index: self._captured.__setitem__(index, out))
        self.preprocess = Pixels(config.image_size, LITE_MEAN, LITE_STD, Image.Resampling.BICUBIC, crop=False)
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
