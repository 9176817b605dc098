"""Explanations drawn on the painting, at its own aspect ratio (the maps live at S x S)."""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from PIL import Image

MAX_SIDE = 640
UP, DOWN = np.array([40, 200, 70]), np.array([220, 40, 40])  # green: pushed the artist up; red: down


def _display(image: Image.Image, max_side: int) -> Image.Image:
    image = image.convert("RGB")
    scale = min(1.0, max_side / max(image.size))
    return image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.BICUBIC)


def _resized(values: np.ndarray, size: tuple[int, int], resample) -> np.ndarray:
    return np.asarray(Image.fromarray(values).resize(size, resample))


def heatmap_overlay(image: Image.Image, cam: np.ndarray, alpha: float = 0.5, max_side: int = MAX_SIDE) -> Image.Image:
    """`cam` float [S, S] in [0, 1] as a colour map over the picture (stronger where it is hotter)."""
    shown = _display(image, max_side)
    cam = np.clip(_resized(cam.astype(np.float32), shown.size, Image.BILINEAR), 0, 1)
    colour = colormaps["inferno"](cam)[..., :3] * 255
    weight = (alpha * (0.25 + 0.75 * cam))[..., None]
    return Image.fromarray((np.asarray(shown) * (1 - weight) + colour * weight).astype(np.uint8))


def regions_overlay(image: Image.Image, segments: np.ndarray, weights: np.ndarray, top: int = 3,
                    negative: bool = False, alpha: float = 0.35, max_side: int = MAX_SIDE) -> Image.Image:
    """The `top` regions that raised the label's probability in green (and, if asked, the
    `top` that lowered it in red), outlined, the rest of the picture dimmed slightly."""
    from skimage.segmentation import find_boundaries  # LIME pictures only: see lime_regions.segment

    shown = _display(image, max_side)
    labels = _resized(segments.astype(np.int32), shown.size, Image.NEAREST)
    order = np.argsort(-weights, kind="stable")
    up = [r for r in order[:top] if weights[r] > 0]
    down = [r for r in order[::-1][:top] if weights[r] < 0] if negative else []
    pixels = np.asarray(shown).astype(np.float32)
    out = pixels * 0.8
    for regions, colour in ((up, UP), (down, DOWN)):
        mask = np.isin(labels, regions)
        out[mask] = pixels[mask] * (1 - alpha) + colour * alpha
    chosen = np.where(np.isin(labels, up + down), labels, -1)
    out[find_boundaries(chosen, mode="inner") & (chosen >= 0)] = (255, 230, 0)
    return Image.fromarray(out.clip(0, 255).astype(np.uint8))
