"""Is there a painting in this view at all? A visitor may show a cat, a friend, coins or a page of text, and the
artist head, which only ever saw paintings, names a painter for nearly any picture (a cat was "Frida Kahlo, 94%").

The head is a logistic regression over the same vector every image turn already has: the classifier's pooled
backbone embedding of the view `classifier.photo.find_painting` returns (`Prediction.embedding`), so it costs
no forward of its own. It was fitted on paintings (Kaggle and other painters, clean and as simulated visitors'
photos) against everyday photos and pictures that are not paintings, read from Debian packages at fitting time
(wallpaper photos, OpenCV's sample and documentation images, Tux Paint's object stamps) and rendered pages of text;
the images bundled with scikit-image and scikit-learn (`classifier.scenes.no_painting_photos`) are held out to
measure it. docs/experiments/presence.py fits it; its manifest says on what, and with which figures.

    head = load_presence()                       # None when no weights are shipped for the backbone
    head.probability(embeddings) -> float32[N]   # P(a painting is in view)
    head.threshold                               # below it: "I can't see a painting in this photo"

The threshold was chosen on validation so that at least 99% of the painting photos there stay paintings: saying
"no painting" to a painting is a worse answer than a style guess at a cat.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from data.files import atomic_write_bytes, atomic_write_json

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
KEEP_PAINTINGS = 0.99  # the share of validation painting photos the threshold keeps as paintings


def weights_path(backbone: str = "efficientnet-lite0") -> Path:
    return WEIGHTS_DIR / f"presence-{backbone}.npz"


@dataclass(frozen=True)
class PresenceHead:
    mean: np.ndarray  # float32[D]: the features are standardised before the linear layer
    scale: np.ndarray  # float32[D]
    weight: np.ndarray  # float32[D]
    bias: float
    threshold: float  # on the probability

    def probability(self, embeddings: np.ndarray) -> np.ndarray:
        """float32[N] probability that a painting is in view, for L2-normalised embeddings float32[N, D]."""
        logits = ((np.asarray(embeddings, np.float32) - self.mean) / self.scale) @ self.weight + self.bias
        return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)

    def sees_painting(self, embeddings: np.ndarray) -> np.ndarray:
        return self.probability(embeddings) >= self.threshold


def fit_presence(features: np.ndarray, is_painting: np.ndarray, c: float = 0.1, seed: int = 0) -> PresenceHead:
    """A head fitted on features float32[N, D] and labels bool[N] (threshold 0.5 until `with_threshold`)."""
    from sklearn.linear_model import LogisticRegression  # only where the head is fitted

    mean = features.mean(axis=0)
    scale = features.std(axis=0) + 1e-6
    model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced", random_state=seed)
    model.fit((features - mean) / scale, is_painting.astype(int))
    return PresenceHead(mean.astype(np.float32), scale.astype(np.float32), model.coef_[0].astype(np.float32),
                        float(model.intercept_[0]), 0.5)


def keeping_threshold(head: PresenceHead, painting_features: np.ndarray, keep: float = KEEP_PAINTINGS) -> float:
    """The highest threshold that still keeps `keep` of these paintings as paintings."""
    return float(np.quantile(head.probability(painting_features), 1.0 - keep))


def save_presence(head: PresenceHead, path: Path, manifest: dict) -> None:
    """The weights (.npz) and the manifest beside them (.json), each written atomically."""
    import io

    buffer = io.BytesIO()
    np.savez(buffer, mean=head.mean, scale=head.scale, weight=head.weight, bias=np.float32(head.bias),
             threshold=np.float32(head.threshold))
    atomic_write_bytes(path, buffer.getvalue())
    atomic_write_json(path.with_suffix(".json"), manifest)


def load_presence(path: Path | None = None, backbone: str = "efficientnet-lite0") -> PresenceHead | None:
    """The shipped head for the backbone, or None where there is none (the app then never says "no painting")."""
    path = path or weights_path(backbone)
    if not path.exists():
        return None
    with np.load(path) as saved:
        head = PresenceHead(saved["mean"], saved["scale"], saved["weight"], float(saved["bias"]),
                            float(saved["threshold"]))
    manifest = path.with_suffix(".json")
    if manifest.exists() and json.loads(manifest.read_text()).get("dim") not in (None, len(head.weight)):
        raise ValueError(f"{path} does not match its manifest's feature size")
    return head
