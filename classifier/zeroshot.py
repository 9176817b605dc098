"""CLIP zero-shot fallback: artist and movement by similarity to text prompts.

Used when a CLIP encoder is active and no heads were trained on its features. The
artist and movement names come from the shipped manifest of the default heads, so
no dataset is needed. Probabilities are CLIP's softmax, not calibrated; the answers
say "method": "zero-shot".
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.special import softmax

from classifier.model import MANIFEST_FILE
from classifier.results import PathResult, Prediction, predictions_from
from retrieval.embed import embed_paths
from retrieval.encoders import Encoder, load_encoder

CLIP_LOGIT_SCALE = 100.0
KNOWN_MIN_PROBABILITY = 0.3  # uncalibrated: below this the top artist is not asserted
LABELS_SOURCE = Path(__file__).resolve().parent / "weights" / "efficientnet-lite0" / MANIFEST_FILE


class ZeroShotClassifier:
    def __init__(self, encoder: Encoder, artists: list[str], genres: list[str], batch_size: int = 32,
                 workers: int = 2):
        self.encoder, self.artists, self.genres = encoder, artists, genres
        self.batch_size, self.workers = batch_size, workers
        self.artist_text = encoder.encode_text([f"a painting by {artist}" for artist in artists])
        self.genre_text = encoder.encode_text([f"a {genre} painting" for genre in genres])

    @classmethod
    def load(cls, name: str, labels_source: Path = LABELS_SOURCE, **kwargs) -> "ZeroShotClassifier":
        manifest = json.loads(labels_source.read_text(encoding="utf-8"))
        return cls(load_encoder(name), manifest["artists"], manifest["genres"], **kwargs)

    def _answer(self, embeddings: np.ndarray) -> list[Prediction]:
        artists = softmax(CLIP_LOGIT_SCALE * embeddings @ self.artist_text.T, axis=1)
        genres = softmax(CLIP_LOGIT_SCALE * embeddings @ self.genre_text.T, axis=1)
        top = artists.max(axis=1)
        return predictions_from(artists, genres, top >= KNOWN_MIN_PROBABILITY, top, self.artists,
                                self.genres, embeddings, method="zero-shot")

    def predict_images(self, images: list[Image.Image]) -> list[Prediction]:
        return self._answer(self.encoder.encode_images(images)) if images else []

    def predict_paths(self, paths: list[Path], on_batch=None) -> list[PathResult]:
        result = embed_paths(self.encoder, list(paths), self.batch_size, self.workers, on_batch)
        answers = dict(zip(result.ok, self._answer(result.vectors))) if result.ok else {}
        return [PathResult(Path(p), answers.get(i), result.failed.get(i)) for i, p in enumerate(paths)]
