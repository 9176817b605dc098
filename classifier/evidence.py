"""Independent evidence for a confident style guess: is the painting's nearest style prototype one of the named
painter's?

The artist head's top probability alone made "fairly sure" wrong one time in four on validation (and, in issue 20,
a Hokusai print "fairly sure ... van Gogh (96%)"). A second, differently made judgement must agree: the painting's
style vector (retrieval/style_encoder's projection of the same style features, no extra forward) is compared with a few
prototypes per painter (k-means centres of the training paintings' style vectors; no painting's own vector is
shipped), and the guess is "fairly sure" only when the nearest prototype belongs to the same painter.
`python docs/experiments/tiers.py val` measured it: 'fairly sure' right 0.760 -> 0.810 over validation paintings
by the 50 and by other painters, clean and as simulated visitors' photos, and the Met's photographs.

The prototypes live beside the heads (prototypes.npz, prototypes.json naming the projection and the heads'
painters); heads without them answer as before, from the probability alone.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from data.files import atomic_write_bytes, atomic_write_json
from retrieval.encoders import normalize

PROTOTYPES_FILE, PROTOTYPES_MANIFEST = "prototypes.npz", "prototypes.json"
PER_PAINTER = 8  # set before measuring (not tuned): enough for a painter's periods, few enough for 20 paintings


@dataclass(frozen=True)
class StylePrototypes:
    vectors: np.ndarray  # [P, D] unit vectors in the projection's style space
    owners: np.ndarray  # [P] index of the painter (the heads' artist order) each prototype belongs to
    projection: object  # retrieval.style_encoder.StyleProjection: style features [N, F] -> [N, D]

    def nearest_painter(self, styles: np.ndarray) -> np.ndarray:
        """[N] the painter whose prototype is nearest each painting's style vector."""
        similarity = normalize(self.projection(styles)) @ self.vectors.T
        return self.owners[similarity.argmax(axis=1)]


def fit_prototypes(vectors: np.ndarray, labels: np.ndarray, per_painter: int = PER_PAINTER,
                   seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(prototype vectors [P, D], owners [P]): k-means centres of each painter's unit style vectors."""
    from sklearn.cluster import KMeans

    vectors = normalize(vectors)
    centres, owners = [], []
    for painter in range(int(labels.max()) + 1):
        own = vectors[labels == painter]
        if len(own) == 0:
            continue
        k = min(per_painter, len(own))
        found = own.mean(axis=0, keepdims=True) if k == 1 else \
            KMeans(k, n_init=4, random_state=seed).fit(own).cluster_centers_
        centres.append(normalize(found))
        owners += [painter] * len(found)
    return np.concatenate(centres).astype(np.float32), np.array(owners, np.int16)


def save_prototypes(directory: Path, vectors: np.ndarray, owners: np.ndarray, manifest: dict) -> None:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, vectors=vectors.astype(np.float16), owners=owners.astype(np.int16))
    atomic_write_bytes(Path(directory) / PROTOTYPES_FILE, buffer.getvalue())
    atomic_write_json(Path(directory) / PROTOTYPES_MANIFEST, manifest)


class PrototypesError(ValueError):
    """Prototypes that do not belong to these heads or this projection."""


def load_prototypes(directory: Path, artists: list[str]) -> StylePrototypes | None:
    """The prototypes beside the heads in `directory`; None when there are none. PrototypesError when they were
    made for other painters or another projection than the shipped one."""
    directory = Path(directory)
    if not (directory / PROTOTYPES_MANIFEST).is_file():
        return None
    from retrieval.style_encoder import load_projection

    manifest = json.loads((directory / PROTOTYPES_MANIFEST).read_text(encoding="utf-8"))
    projection, _, _ = load_projection(manifest["projection"])
    if manifest.get("projection_digest") != projection.digest:
        raise PrototypesError(f"{directory / PROTOTYPES_FILE} was made with another {manifest['projection']} "
                              "projection: refit it (python docs/experiments/tiers.py fit)")
    if manifest.get("artists") != artists:
        raise PrototypesError(f"{directory / PROTOTYPES_FILE} was made for other painters than these heads': "
                              "refit it (python docs/experiments/tiers.py fit)")
    with np.load(directory / PROTOTYPES_FILE, allow_pickle=False) as data:
        vectors, owners = data["vectors"].astype(np.float32), data["owners"].astype(np.int64)
    if len(vectors) != len(owners) or vectors.shape[1] != projection.matrix.shape[1]:
        raise PrototypesError(f"{directory / PROTOTYPES_FILE} does not match its manifest: refit it")
    return StylePrototypes(vectors, owners, projection)
