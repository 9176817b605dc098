"""The loss network of style transfer: EfficientNet-Lite0 block outputs, and the style statistics over them.

No VGG weights exist offline, so the shipped Lite0 backbone is the loss network. Its ReLU6 activations are
sparse and peaky, and a plain Gram matrix over them is dominated by a few extreme positions, which gives flat,
noisy stylisations (Wang et al., "Rethinking and Improving the Robustness of Image Style Transfer", CVPR 2021).
Their fix, a softmax over each feature map before the Gram matrix, is the `softmax-gram` statistic here; the
plain `gram` stays in the registry so that the two can be measured side by side (`museum bench stylize`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from retrieval.encoder_names import LITE_MEAN, LITE_STD
from retrieval.lite import load_lite

# Block outputs the losses read: strides 2, 4, 8, 16, 16 of the image (16, 24, 40, 80, 112 channels).
STYLE_BLOCKS = (0, 2, 4, 7, 10)
CONTENT_BLOCK = 7
# Pixels of reflected image around every input: the network's zero padding otherwise shows in the losses as a
# bright seam that the optimisation paints along the border.
MARGIN = 16

STATISTICS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {}


def register_statistic(name: str):
    def add(function):
        STATISTICS[name] = function
        return function
    return add


@register_statistic("gram")
def gram(activation: torch.Tensor) -> torch.Tensor:
    """[N, C, h, w] -> [N, C, C]: Gatys et al.'s channel correlations, normalised by the number of positions."""
    n, c, h, w = activation.shape
    flat = activation.reshape(n, c, h * w)
    return flat @ flat.transpose(1, 2) / (h * w)


@register_statistic("softmax-gram")
def softmax_gram(activation: torch.Tensor) -> torch.Tensor:
    """The Gram matrix of the activation after one softmax over all its channels and positions (Wang et al.
    2021, "SWAG"): the softmax flattens the few extreme ReLU6 peaks that a plain Gram matrix is ruled by.
    Rescaled by the number of elements, so that its size does not depend on the image's."""
    n, c, h, w = activation.shape
    smooth = torch.softmax(activation.reshape(n, -1), dim=1).reshape(n, c, h * w) * (c * h * w)
    return smooth @ smooth.transpose(1, 2) / (h * w)


@register_statistic("mean-std")
def mean_std(activation: torch.Tensor) -> torch.Tensor:
    """[N, C, h, w] -> [N, 2C]: each channel's mean and standard deviation (the statistics AdaIN transfers)."""
    return torch.cat([activation.mean(dim=(2, 3)), activation.std(dim=(2, 3))], dim=1)


@dataclass(frozen=True)
class LossConfig:
    statistic: str = "gram"
    content_weight: float = 1.0
    style_weight: float = 1.0
    smoothness_weight: float = 1.0  # total variation: keeps the flat areas flat

    def __post_init__(self):
        if self.statistic not in STATISTICS:
            raise ValueError(f"unknown style statistic {self.statistic!r}; choose one of {sorted(STATISTICS)}")


class LossNetwork(torch.nn.Module):
    """Lite0 up to its last style block, frozen: images in [0, 1] -> {block: activation}."""

    def __init__(self):
        super().__init__()
        pooled, _, self.version = load_lite("efficientnet-lite0")
        net = pooled.net
        last = max(*STYLE_BLOCKS, CONTENT_BLOCK)
        self.stem = torch.nn.Sequential(net._conv_stem, net._bn0, net._swish)
        self.blocks = torch.nn.ModuleList(net._blocks[: last + 1])
        self.register_buffer("mean", torch.tensor(LITE_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(LITE_STD).view(1, 3, 1, 1))
        self.requires_grad_(False)
        self.eval()

    def forward(self, images: torch.Tensor) -> dict[int, torch.Tensor]:
        padded = torch.nn.functional.pad(images, (MARGIN,) * 4, mode="reflect")
        x = self.stem((padded - self.mean) / self.std)
        out = {}
        for index, block in enumerate(self.blocks):
            x = block(x)
            out[index] = x
        return out


def style_targets(network: LossNetwork, styles: list[torch.Tensor], statistic: str) -> list[torch.Tensor]:
    """The style statistics of one or more style images (each [1, 3, H, W], of any size), averaged over them:
    one per style block."""
    with torch.no_grad():
        per_image = [network(style) for style in styles]
        return [torch.cat([STATISTICS[statistic](activations[b]) for activations in per_image]).mean(dim=0)
                for b in STYLE_BLOCKS]


def total_variation(images: torch.Tensor) -> torch.Tensor:
    return ((images[..., 1:, :] - images[..., :-1, :]).abs().mean()
            + (images[..., :, 1:] - images[..., :, :-1]).abs().mean())


def transfer_loss(config: LossConfig, network: LossNetwork, images: torch.Tensor, content: dict[int, torch.Tensor],
                  targets: list[torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
    """The weighted sum of content, style and smoothness losses of `images` [N, 3, H, W] (with gradients),
    against the content images' activations and the style targets; and its parts, for progress and logs."""
    activations = network(images)
    statistic = STATISTICS[config.statistic]
    statistics = [statistic(activations[b]) for b in STYLE_BLOCKS]
    content_loss = torch.nn.functional.mse_loss(activations[CONTENT_BLOCK], content[CONTENT_BLOCK])
    # Each block's loss relative to its target's size, so that fine and coarse blocks pull alike.
    style_loss = sum(torch.nn.functional.mse_loss(value, target.expand_as(value)) / target.pow(2).mean()
                     for value, target in zip(statistics, targets))
    smoothness = total_variation(images)
    loss = (config.content_weight * content_loss + config.style_weight * style_loss
            + config.smoothness_weight * smoothness)
    parts = {"content": content_loss, "style": style_loss, "smoothness": smoothness}
    return loss, {name: float(value.detach()) for name, value in parts.items()}
