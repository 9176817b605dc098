"""The style embedding for "similar paintings": the style features of one EfficientNet-Lite forward
(retrieval/style_features.py: block statistics and Gram matrices) projected linearly to a compact space
learnt on the Kaggle painters (standardise -> PCA -> LDA on artist labels, folded into one matrix).

The projection ships in retrieval/weights/<name>/ (projection.npz + manifest.json: version, fitting data
hash, dimensions, validation metrics); `museum style fit` writes it.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from data.files import atomic_write_bytes, atomic_write_json
from retrieval.encoder_names import STYLE_ENCODERS, WHOLE_ENCODERS, EncoderError, Preprocess
from retrieval.style_features import FeatureConfig, StyleExtractor

WEIGHTS_ROOT = Path(__file__).resolve().parent / "weights"
PROJECTION_FILE, MANIFEST_FILE = "projection.npz", "manifest.json"


@dataclass(frozen=True)
class StyleProjection:
    """style features [N, F] -> x @ matrix + offset [N, D] (L2-normalised by the encoder)."""

    matrix: np.ndarray  # float32[F, D]
    offset: np.ndarray  # float32[D]

    def __call__(self, styles: np.ndarray) -> np.ndarray:
        return np.asarray(styles, np.float32) @ self.matrix + self.offset

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.matrix.tobytes() + self.offset.tobytes()).hexdigest()[:16]

    def save(self, directory: Path, manifest: dict) -> None:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, matrix=self.matrix.astype(np.float32), offset=self.offset.astype(np.float32))
        atomic_write_bytes(Path(directory) / PROJECTION_FILE, buffer.getvalue())
        atomic_write_json(Path(directory) / MANIFEST_FILE, {**manifest, "projection_sha256_16": self.digest})

    @classmethod
    def load(cls, directory: Path) -> tuple["StyleProjection", dict]:
        try:
            manifest = json.loads((Path(directory) / MANIFEST_FILE).read_text(encoding="utf-8"))
            with np.load(Path(directory) / PROJECTION_FILE, allow_pickle=False) as saved:
                projection = cls(saved["matrix"].astype(np.float32), saved["offset"].astype(np.float32))
        except (OSError, ValueError, KeyError) as error:
            raise EncoderError(f"the style projection in {directory} cannot be read ({error}): "
                               "fit it with `museum style fit --best-artworks PATH`") from None
        if projection.digest != manifest.get("projection_sha256_16"):
            raise EncoderError(f"the style projection in {directory} does not match its manifest: "
                               "fit it again with `museum style fit --best-artworks PATH`")
        return projection, manifest


class StyleEmbedder(torch.nn.Module):
    """Lite backbone -> style features -> learnt projection, in one forward."""

    def __init__(self, extractor: StyleExtractor, projection: StyleProjection):
        super().__init__()
        self.extractor = extractor
        self.register_buffer("matrix", torch.from_numpy(projection.matrix))
        self.register_buffer("offset", torch.from_numpy(projection.offset))

    @property
    def embedding_dim(self) -> int:  # read by retrieval.encoders.load_encoder instead of a trial forward
        return self.matrix.shape[1]

    @torch.inference_mode()
    def forward(self, batch: torch.Tensor) -> torch.Tensor:
        styles, _ = self.extractor(batch)
        return styles @ self.matrix + self.offset


def weights_dir(name: str) -> Path:
    return WEIGHTS_ROOT / name


class PooledEmbedder(torch.nn.Module):
    """Lite backbone -> the pooled vector of the style forward: what the classifier's forward gives besides
    its style features (the whole image at the style size, no centre crop)."""

    def __init__(self, extractor: StyleExtractor):
        super().__init__()
        self.extractor = extractor

    @torch.inference_mode()
    def forward(self, batch: torch.Tensor) -> torch.Tensor:
        return self.extractor(batch)[1]


def load_projection(name: str) -> tuple[StyleProjection, FeatureConfig, dict]:
    """The shipped projection of a style encoder, the style features it was fitted on, and its manifest."""
    projection, manifest = StyleProjection.load(weights_dir(name))
    return projection, FeatureConfig.from_json(manifest["features"]), manifest


def load_whole_model(name: str) -> tuple[torch.nn.Module, Preprocess, str]:
    """(model, preprocess, version) for a whole-image encoder name of retrieval.encoders.WHOLE_ENCODERS: an index
    of these vectors is one the classifier's own forward can query."""
    config = FeatureConfig(encoder=WHOLE_ENCODERS[name])
    extractor = StyleExtractor(config)
    return PooledEmbedder(extractor), extractor.preprocess, f"{name}: pooled, whole image at {config.image_size} px; " \
        f"{extractor.version}"


def load_style_model(name: str) -> tuple[torch.nn.Module, Preprocess, str]:
    """(model, preprocess, version) for a style encoder name of retrieval.encoders.STYLE_ENCODERS."""
    projection, config, manifest = load_projection(name)
    if config.encoder != STYLE_ENCODERS[name]:
        raise EncoderError(f"the {name} projection was fitted on {config.encoder} features, not {STYLE_ENCODERS[name]}")
    extractor = StyleExtractor(config)
    version = (f"{name} projection {projection.digest} ({manifest['method']}, {projection.matrix.shape[1]}-d); "
               f"style features v{config.version}; {extractor.version}")
    return StyleEmbedder(extractor, projection), extractor.preprocess, version
