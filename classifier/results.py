"""What the classifiers answer: one `Prediction` per image (shared by the trained heads and
the CLIP zero-shot fallback, so neither imports the other)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

TOP_ARTISTS, TOP_GENRES = 5, 3


@dataclass
class Prediction:
    artist: str | None  # None exactly when not known
    known: bool
    # The score behind `known` (higher = more likely one of the artists the heads know); paintings can be
    # ranked by it, and `known` is this score at or above the shipped threshold.
    known_score: float
    confidence: float  # calibrated probability of the top artist
    top: list[tuple[str, float]]
    genres: list[tuple[str, float]]
    embedding: np.ndarray = field(repr=False)  # L2-normalised pooled backbone vector, for similarity search
    method: str = "trained"
    # Whether the nearest style prototype is the top artist's (classifier/evidence.py): a "fairly sure" needs it;
    # None without prototypes.
    style_agrees: bool | None = None
    # Answered as a camera's photo (its own temperature and threshold: classifier/photo_calibration.py).
    photographed: bool = False

    def to_json(self, image: str) -> dict:
        answer = {"image": image, "artist": self.artist, "known": self.known,
                  "known_score": round(self.known_score, 4), "confidence": round(self.confidence, 4),
                  "top": [{"artist": a, "probability": round(p, 4)} for a, p in self.top],
                  "genres": [{"genre": g, "probability": round(p, 4)} for g, p in self.genres]}
        if self.style_agrees is not None:
            answer["style_agrees"] = self.style_agrees
        answer["photographed"] = self.photographed
        if self.method != "trained":
            answer["method"] = self.method
        return answer


@dataclass
class PathResult:
    path: Path
    prediction: Prediction | None
    error: str | None = None

    def to_json(self) -> dict:
        if self.prediction is None:
            return {"image": str(self.path), "error": self.error}
        return self.prediction.to_json(str(self.path))


def predictions_from(probabilities: np.ndarray, genre_probabilities: np.ndarray, known: np.ndarray,
                     known_score: np.ndarray, artists: list[str], genres: list[str], embeddings: np.ndarray,
                     method: str = "trained", agrees: np.ndarray | None = None,
                     photographed: np.ndarray | None = None) -> list[Prediction]:
    answers = []
    for row in range(len(probabilities)):
        order = np.argsort(-probabilities[row])[:TOP_ARTISTS]
        genre_order = np.argsort(-genre_probabilities[row])[:TOP_GENRES]
        is_known = bool(known[row])
        answers.append(Prediction(
            artist=artists[order[0]] if is_known else None, known=is_known,
            known_score=float(known_score[row]),
            confidence=float(probabilities[row, order[0]]),
            top=[(artists[i], float(probabilities[row, i])) for i in order],
            genres=[(genres[i], float(genre_probabilities[row, i])) for i in genre_order],
            embedding=embeddings[row], method=method,
            style_agrees=None if agrees is None else bool(agrees[row]),
            photographed=photographed is not None and bool(photographed[row])))
    return answers
