"""The feed-forward transform network of an instant style (Johnson et al. 2016, made small for a 2-core CPU).

Down by two strided convolutions, residual blocks at a quarter of the resolution, up by nearest-neighbour
upsampling and a convolution (not a transposed convolution: no checkerboard), instance normalisation
throughout (Ulyanov et al.) and reflection padding at every convolution (no dark frame). Fully convolutional:
trained on 256-px crops, it paints a photo of any size.
"""

from __future__ import annotations

import torch
from torch import nn

# Channels at full, half and quarter resolution, and residual blocks at the quarter: chosen so that a 512-px
# photo takes a fraction of a second on two cores (`museum bench stylize`).
WIDTHS = (16, 32, 64)
RESIDUAL_BLOCKS = 5


def _conv(inputs: int, outputs: int, kernel: int, stride: int = 1, norm: bool = True, relu: bool = True):
    layers = [nn.ReflectionPad2d(kernel // 2), nn.Conv2d(inputs, outputs, kernel, stride)]
    if norm:
        layers.append(nn.InstanceNorm2d(outputs, affine=True))
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return layers


class _Residual(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(*_conv(channels, channels, 3), *_conv(channels, channels, 3, relu=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class _Up(nn.Module):
    def __init__(self, inputs: int, outputs: int):
        super().__init__()
        self.conv = nn.Sequential(*_conv(inputs, outputs, 3))

    def forward(self, x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        # Upsampled to the size of the matching downward layer, so odd photo sizes come back to their own size.
        return self.conv(nn.functional.interpolate(x, size=size, mode="nearest"))


class TransformNet(nn.Module):
    """Images [N, 3, H, W] in [0, 1] -> painted images of the same size, in [0, 1]."""

    def __init__(self):
        super().__init__()
        full, half, quarter = WIDTHS
        self.down0 = nn.Sequential(*_conv(3, full, 7))
        self.down1 = nn.Sequential(*_conv(full, half, 3, stride=2))
        self.down2 = nn.Sequential(*_conv(half, quarter, 3, stride=2))
        self.residual = nn.Sequential(*(_Residual(quarter) for _ in range(RESIDUAL_BLOCKS)))
        self.up1 = _Up(quarter, half)
        self.up0 = _Up(half, full)
        self.out = nn.Sequential(*_conv(full, 3, 7, norm=False, relu=False))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x0 = self.down0(images)
        x1 = self.down1(x0)
        x = self.residual(self.down2(x1))
        x = self.up0(self.up1(x, x1.shape[-2:]), x0.shape[-2:])
        return torch.sigmoid(self.out(x))
