"""The encoders' names and the constants of their inputs, apart from the loaders: the Lite, style and
whole-image models (retrieval/lite.py, style_encoder.py, style_features.py) read them, and
retrieval/encoders.py imports those models, so the names live below both."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    import torch
    from PIL import Image

DEFAULT_ENCODER = "efficientnet-lite0"
LITE_RESOLUTION = {"efficientnet-lite0": 224, "efficientnet-lite1": 240, "efficientnet-lite2": 260}
# The TF-ported Lite weights expect pixels scaled to about [-1, 1].
LITE_MEAN, LITE_STD = (0.498, 0.498, 0.498), (0.502, 0.502, 0.502)
OPEN_CLIP_PREFIX = "open_clip:"
# Style embeddings (retrieval/style_encoder.py): name -> the Lite backbone whose style features they project.
STYLE_ENCODERS = {"style-lite0": "efficientnet-lite0"}
# The pooled vector of the classifier's own forward (retrieval/style_encoder.py): name -> its Lite backbone.
WHOLE_ENCODERS = {f"{name}-whole": name for name in LITE_RESOLUTION}

Preprocess = Callable[["Image.Image"], "torch.Tensor"]


class EncoderError(RuntimeError):
    """An encoder that cannot be loaded; the message says how to provide it."""
