"""The trained heads rebuilt in torch, so explanations can take gradients.

`classifier.model.HeadBundle` is pure numpy (fast, small) but a saliency map needs
d(artist logit)/d(activation). `TorchHead` runs the same `StyleExtractor`
backbone and hooks (its own instance, so explanations never disturb the
predictor's hook buffers) with autograd on, recomputes the same style statistics
and applies the bundle's standardiser, artist head and temperature as tensors.
tests/test_explain.py checks its probabilities equal the bundle's.

Gradients start at one chosen layer (`target`): the hook on that layer returns a
detached copy that requires grad, so nothing before it is recorded and a
heatmap costs about one forward.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import torch

from classifier.model import HeadBundle
from retrieval.style_features import StyleExtractor, style_statistics

HEAD = "head"  # the final 1x1 conv (1280 channels); otherwise a block index of the backbone


@dataclass
class Forward:
    styles: torch.Tensor  # [N, F] the bundle's style features
    artist_logits: torch.Tensor  # [N, A] calibrated logits (divided by the temperature)
    pooled: torch.Tensor  # [N, 1280] the pooled final features (the retrieval embedding, unnormalised)
    activation: torch.Tensor | None  # [N, C, h, w] the target layer's output (requires grad), when asked


class TorchHead(torch.nn.Module):
    def __init__(self, bundle: HeadBundle, extractor: StyleExtractor | None = None):
        super().__init__()
        self.bundle = bundle
        self.extractor = extractor or StyleExtractor(bundle.feature_config)
        self.net = self.extractor.net
        tensor = lambda a: torch.from_numpy(np.asarray(a, dtype=np.float32))
        self.register_buffer("mean", tensor(bundle.standardizer.mean))
        self.register_buffer("scale", tensor(bundle.standardizer.scale))
        self.register_buffer("weight", tensor(bundle.artist_head.weight))
        self.register_buffer("bias", tensor(bundle.artist_head.bias))
        self.temperature = float(bundle.temperature)
        self._blocks: dict[int, torch.Tensor] = {}
        self._target: int | str | None = None
        self._activation: torch.Tensor | None = None
        # One explanation at a time per head: the hook buffers are per instance.
        self.lock = threading.Lock()
        for index in bundle.feature_config.hooked_blocks:
            self.net._blocks[index].register_forward_hook(self._capture(index))
        self.eval()

    @property
    def image_size(self) -> int:
        return self.bundle.feature_config.image_size

    def _capture(self, index: int):
        def hook(_module, _inputs, output):
            if self._target == index:
                output = output.detach().requires_grad_(True)
                self._activation = output
            self._blocks[index] = output
            return output
        return hook

    def run(self, batch: torch.Tensor, target: int | str | None = None) -> Forward:
        """One forward; with a `target`, autograd records everything after that layer."""
        with self.lock:
            self._blocks, self._target, self._activation = {}, target, None
            try:
                with torch.set_grad_enabled(target is not None):
                    head = self.net.extract_features(batch)
                    if target == HEAD:
                        head = head.detach().requires_grad_(True)
                        self._activation = head
                    styles, pooled = style_statistics(self.bundle.feature_config, self._blocks, head)
                    logits = ((styles - self.mean) / self.scale) @ self.weight + self.bias
                    return Forward(styles, logits / self.temperature, pooled, self._activation)
            finally:
                self._blocks, self._target, self._activation = {}, None, None

    def probabilities(self, batch: torch.Tensor) -> np.ndarray:
        with torch.inference_mode():
            return torch.softmax(self.run(batch).artist_logits, dim=1).numpy()
