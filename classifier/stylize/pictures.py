"""Pictures in and out of the stylisers: PIL images <-> [1, 3, H, W] tensors in [0, 1], at a chosen size."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

# Smaller than this on its shorter side, a picture has too little in it to paint (and the loss network's
# reflected margin needs room).
MIN_SIDE = 64


class StylizeError(ValueError):
    """A picture the stylisers cannot use, or a style they do not have; the message is for a person."""


def fitted(image: Image.Image, side: int) -> Image.Image:
    """`image` with its longer side `side` (smaller pictures are enlarged: the output is always that size)."""
    if min(image.size) < MIN_SIDE:
        raise StylizeError(f"the picture is too small to paint ({image.width}x{image.height} pixels; "
                           f"at least {MIN_SIDE} on each side)")
    scale = side / max(image.size)
    size = (max(MIN_SIDE, round(image.width * scale)), max(MIN_SIDE, round(image.height * scale)))
    return image.convert("RGB").resize(size, Image.Resampling.LANCZOS) if size != image.size else image.convert("RGB")


def to_tensor(image: Image.Image) -> torch.Tensor:
    return torch.from_numpy(np.asarray(image.convert("RGB")).copy()).permute(2, 0, 1).float().div(255)[None]


def to_image(tensor: torch.Tensor) -> Image.Image:
    pixels = tensor.detach()[0].clamp(0, 1).permute(1, 2, 0).mul(255).round().to(torch.uint8).numpy()
    return Image.fromarray(pixels)
