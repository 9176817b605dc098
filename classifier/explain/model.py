"""The one adapter between the explanation methods and the classifier.

Everything the explainers need from the classifier goes through `ExplainModel`:
- `prepare(image)`: the picture as the classifier sees it (uint8 [S, S, 3], S = its input size);
- `outputs(arrays)`: the classifier's own answers (calibrated artist probabilities,
  movement probabilities, known/unknown) for uint8 [N, H, W, 3] images, batched;
- `head`: a differentiable torch path to the artist logits (classifier.explain.torch_head).

Only `bundle_of` knows where the trained heads live in a loaded classifier, so a
change on the classifier's side is a one-line fix there.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from classifier.explain.torch_head import TorchHead
from classifier.model import HeadBundle, HeadsError, Outputs, load_bundle
from retrieval.encoders import LITE_MEAN, LITE_STD

BATCH = 32


def bundle_of(classifier) -> HeadBundle:
    """The trained heads of a loaded classifier (or a bundle itself)."""
    if isinstance(classifier, HeadBundle):
        return classifier
    if not isinstance(getattr(classifier, "bundle", None), HeadBundle):
        raise HeadsError(f"explanations need trained heads; {type(classifier).__name__} has none "
                         "(the CLIP zero-shot fallback is not explained yet)")
    return classifier.bundle


@dataclass
class ExplainModel:
    bundle: HeadBundle
    head: TorchHead

    @classmethod
    def from_classifier(cls, classifier) -> "ExplainModel":
        bundle = bundle_of(classifier)
        return cls(bundle, TorchHead(bundle))

    @classmethod
    def load(cls, heads_dir: Path, encoder: str) -> "ExplainModel":
        """From the shipped/trained heads folder; raises classifier.model.HeadsError with the fix."""
        return cls.from_classifier(load_bundle(heads_dir, encoder)[0])

    @property
    def artists(self) -> list[str]:
        return self.bundle.artists

    @property
    def genres(self) -> list[str]:
        return self.bundle.genres

    @property
    def image_size(self) -> int:
        return self.head.image_size

    @property
    def fingerprint(self) -> str:
        """Identifies the trained heads, so cached explanations of other heads are never reused."""
        digest = hashlib.sha256(np.ascontiguousarray(self.bundle.artist_head.weight, np.float32).tobytes())
        digest.update(json.dumps(self.bundle.feature_config.to_json(), sort_keys=True).encode())
        return digest.hexdigest()[:16]

    def prepare(self, image: Image.Image) -> np.ndarray:
        """The classifier's view: the whole picture resized (bicubic, no crop) to S x S."""
        size = self.image_size
        return np.asarray(image.convert("RGB").resize((size, size), Image.BICUBIC), dtype=np.uint8)

    def to_batch(self, arrays: np.ndarray) -> torch.Tensor:
        """uint8 [N, S, S, 3] -> the normalised tensor the backbone takes (= ToTensor + Normalize)."""
        arrays = np.asarray(arrays)
        if arrays.shape[1:3] != (self.image_size, self.image_size):
            arrays = np.stack([self.prepare(Image.fromarray(a.astype(np.uint8))) for a in arrays])
        batch = torch.from_numpy(np.ascontiguousarray(arrays, dtype=np.float32)).permute(0, 3, 1, 2) / 255.0
        mean, std = (torch.tensor(v).view(1, 3, 1, 1) for v in (LITE_MEAN, LITE_STD))
        return (batch - mean) / std

    def styles(self, arrays: np.ndarray, batch_size: int = BATCH) -> np.ndarray:
        parts = []
        with torch.inference_mode():
            for start in range(0, len(arrays), batch_size):
                parts.append(self.head.run(self.to_batch(arrays[start:start + batch_size])).styles.numpy())
        return np.concatenate(parts) if parts else np.zeros((0, 0), np.float32)

    def outputs(self, arrays: np.ndarray, batch_size: int = BATCH) -> Outputs:
        """The classifier's own answers (its numpy heads) for a batch of images."""
        return self.bundle(self.styles(arrays, batch_size))

    def artist_probabilities(self, arrays: np.ndarray) -> np.ndarray:
        """uint8 [N, H, W, 3] -> float [N, n_artists]: LIME's classifier_fn."""
        return self.outputs(arrays).probabilities

    def genre_probabilities(self, arrays: np.ndarray) -> np.ndarray:
        """uint8 [N, H, W, 3] -> float [N, n_movements] (independent sigmoids)."""
        return self.outputs(arrays).genre_probabilities

    def label_index(self, label: str) -> int:
        return self.artists.index(label)
