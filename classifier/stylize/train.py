"""Training an instant style: a transform network learns to paint any picture like a few works of one painter.

The style target is the painter's chosen works (STYLE_WORKS: picked by eye on a contact sheet of their Kaggle
paintings for what a visitor recognises of them); the content is random crops of paintings by painters outside
the 50 (other-painters), so the network learns to keep what is in a picture, not to copy the painter's subjects,
and never sees the photos `museum bench stylize` measures it on. Seeded: the same seed, works and settings give
the same network on one machine.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from PIL import Image

from classifier.stylize.losses import LossConfig, LossNetwork, style_targets, transfer_loss
from classifier.stylize.pictures import fitted, to_tensor
from classifier.stylize.transform import TransformNet
from data.images import load_image

# Kaggle file numbers of each painter's style works (`<Artist_Name>_<n>.jpg`).
STYLE_WORKS = {
    "Vincent van Gogh": (109, 102, 100),
    "Claude Monet": (1, 45, 32),
    "Edvard Munch": (12, 3, 4),
    "Vasiliy Kandinskiy": (10, 31, 34),
    "Gustav Klimt": (14, 106, 109),
    "Pablo Picasso": (102, 119, 131),
}


@dataclass(frozen=True)
class TrainConfig:
    iterations: int = 1000
    batch: int = 4
    crop: int = 192  # content crops (other-painters' images are 224 px)
    style_side: int = 256  # the style works' longer side (the Kaggle images' own size)
    learning_rate: float = 2e-3
    # Style weight 12 between 3 (the photo barely changed) and 30 (the subject lost), looked at on three photos.
    loss: LossConfig = field(default_factory=lambda: LossConfig(style_weight=12.0, smoothness_weight=20.0))

    def to_json(self) -> dict:
        return asdict(self)


def style_files(best_artworks: Path, painter: str) -> list[Path]:
    stem = painter.replace(" ", "_")
    return [best_artworks / "images" / f"{stem}_{number}.jpg" for number in STYLE_WORKS[painter]]


def _crop(image: Image.Image, side: int, rng: random.Random) -> Image.Image:
    if min(image.size) < side:
        image = fitted(image, round(side * max(image.size) / min(image.size)))
    left, top = rng.randint(0, image.width - side), rng.randint(0, image.height - side)
    crop = image.crop((left, top, left + side, top + side))
    return crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if rng.random() < 0.5 else crop


def train_instant_style(network: LossNetwork, styles: list[Image.Image], contents: list[Path], config: TrainConfig,
                        seed: int = 0, progress: Callable[[int, dict], None] | None = None) -> TransformNet:
    """A transform network trained to paint like `styles`; `progress(iteration, loss parts)` after each step."""
    rng = random.Random(seed)
    torch.manual_seed(seed)
    targets = style_targets(network, [to_tensor(fitted(style, config.style_side)) for style in styles],
                            config.loss.statistic)
    net = TransformNet().train()
    optimiser = torch.optim.Adam(net.parameters(), lr=config.learning_rate)
    for iteration in range(config.iterations):
        batch = torch.cat([to_tensor(_crop(load_image(rng.choice(contents)), config.crop, rng))
                           for _ in range(config.batch)])
        with torch.no_grad():
            content = network(batch)
        loss, parts = transfer_loss(config.loss, network, net(batch), content, targets)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if progress is not None:
            progress(iteration + 1, parts)
    return net.eval()
