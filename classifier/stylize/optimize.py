"""Any painting as the style: the picture itself is optimised against content and style losses (Gatys et al.).

Coarse to fine: the first half of the steps at half the size, where one step costs a quarter and the large
brush areas settle, then the rest at full size for the brushwork. Adam on the pixels, started from the photo
(not from noise), so a few hundred steps keep what is in it. Seeded; deterministic on one machine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from PIL import Image

from classifier.stylize.losses import LossConfig, LossNetwork, style_targets, transfer_loss
from classifier.stylize.pictures import fitted, to_image, to_tensor


@dataclass(frozen=True)
class OptimizeConfig:
    side: int = 512  # the output's longer side
    steps: int = 160
    learning_rate: float = 0.02
    loss: LossConfig = field(default_factory=lambda: LossConfig(style_weight=30.0, smoothness_weight=20.0))


def paint_like(network: LossNetwork, photo: Image.Image, styles: list[Image.Image], config: OptimizeConfig,
               seed: int = 0, progress: Callable[[int, int], None] | None = None) -> Image.Image:
    """`photo` painted in the style of `styles` (one painting or several: their statistics are averaged), with
    its longer side `config.side`. `progress(done, total)` is called after every step."""
    torch.manual_seed(seed)
    coarse = config.steps // 2
    result = None
    done = 0
    for side, steps in ((config.side // 2, coarse), (config.side, config.steps - coarse)):
        content_image = to_tensor(fitted(photo, side))
        # Style paintings at the same scale as the photo, so a brushstroke is as many pixels wide in both.
        targets = style_targets(network, [to_tensor(fitted(style, side)) for style in styles], config.loss.statistic)
        with torch.no_grad():
            content = network(content_image)
        start = content_image if result is None else torch.nn.functional.interpolate(
            result, size=content_image.shape[-2:], mode="bilinear", align_corners=False)
        pixels = start.clone().requires_grad_(True)
        optimiser = torch.optim.Adam([pixels], lr=config.learning_rate)
        for _ in range(steps):
            optimiser.zero_grad()
            loss, _parts = transfer_loss(config.loss, network, pixels, content, targets)
            loss.backward()
            optimiser.step()
            with torch.no_grad():
                pixels.clamp_(0, 1)
            done += 1
            if progress is not None:
                progress(done, config.steps)
        result = pixels.detach()
    return to_image(result)
