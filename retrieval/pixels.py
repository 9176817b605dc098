"""An image as the EfficientNet-Lite encoders take it: resized, cropped, scaled to a normalised tensor.

The steps are torchvision's Resize, CenterCrop, ToTensor and Normalize on a PIL image, value for value
(tests/test_encoders.py compares them), written with PIL and torch alone: importing torchvision loads
torch._dynamo through its detection ops, 1.2 s of every `museum predict` and `museum index build` start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image


@dataclass(frozen=True)
class Pixels:
    """PIL image -> float32 tensor [3, image_size, image_size].

    crop=True: the shorter side to `image_size`, then the centre square (the encoders' view);
    crop=False: the whole image squeezed to the square (the style features' view).
    """

    image_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    resample: Image.Resampling = Image.Resampling.BILINEAR
    crop: bool = True

    def __call__(self, image: Image.Image) -> torch.Tensor:
        image = image if image.mode == "RGB" else image.convert("RGB")
        image = self._centre_square(image) if self.crop else self._resized(image, (self.image_size, self.image_size))
        scaled = torch.from_numpy(np.array(image, np.uint8, copy=True)).permute(2, 0, 1).contiguous().float().div(255)
        return scaled.sub_(torch.tensor(self.mean).view(-1, 1, 1)).div_(torch.tensor(self.std).view(-1, 1, 1))

    def _resized(self, image: Image.Image, size: tuple[int, int]) -> Image.Image:
        return image if image.size == size else image.resize(size, self.resample)

    def _centre_square(self, image: Image.Image) -> Image.Image:
        width, height = image.size
        short, long = sorted((width, height))
        # The long side truncated, as torchvision computes it; an image already at size is left as it is.
        scaled_long = int(self.image_size * long / short)
        size = (self.image_size, scaled_long) if width <= height else (scaled_long, self.image_size)
        image = self._resized(image, size)
        width, height = image.size
        top, left = int(round((height - self.image_size) / 2.0)), int(round((width - self.image_size) / 2.0))
        return image.crop((left, top, left + self.image_size, top + self.image_size))
