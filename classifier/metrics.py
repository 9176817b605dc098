"""Metrics and plots for the artist, movement and known/unknown outputs."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from sklearn.metrics import balanced_accuracy_score, f1_score, precision_recall_fscore_support

from classifier.calibration import expected_calibration_error, reliability
from classifier.model import Outputs
from classifier.unknown import auroc
from data.files import atomic_write_bytes


def top_k_accuracy(probabilities: np.ndarray, labels: np.ndarray, k: int) -> float:
    top = np.argsort(-probabilities, axis=1)[:, :k]
    return float((top == labels[:, None]).any(axis=1).mean())


def genre_accuracy(genre_probabilities: np.ndarray, truth: np.ndarray) -> float:
    """Share of images whose highest-scored movement is one of their artist's movements."""
    return float(truth[np.arange(len(truth)), genre_probabilities.argmax(axis=1)].mean())


def artist_metrics(outputs: Outputs, labels: np.ndarray, genre_truth: np.ndarray, artists: list[str]) -> dict:
    probabilities = outputs.probabilities
    predicted = probabilities.argmax(axis=1)
    classes = np.arange(len(artists))
    precision, recall, _, support = precision_recall_fscore_support(labels, predicted, labels=classes,
                                                                    zero_division=0)
    return {
        "images": int(len(labels)),
        "top1": float((predicted == labels).mean()),
        "top3": top_k_accuracy(probabilities, labels, 3),
        "macro_f1": float(f1_score(labels, predicted, labels=classes, average="macro", zero_division=0)),
        "balanced_accuracy": float(balanced_accuracy_score(labels, predicted)),
        "genre_accuracy": genre_accuracy(outputs.genre_probabilities, genre_truth),
        "genre_micro_f1": float(f1_score(genre_truth, outputs.genre_probabilities >= 0.5, average="micro",
                                         zero_division=0)),
        "ece": expected_calibration_error(probabilities, labels),
        "known_answered": float(outputs.known.mean()),
        "per_artist": {artist: {"precision": float(p), "recall": float(r), "support": int(s)}
                       for artist, p, r, s in zip(artists, precision, recall, support)},
    }


def unknown_metrics(known: Outputs, unknown: Outputs) -> dict:
    return {"auroc": auroc(known.known_score, unknown.known_score),
            "known_answered": float(known.known.mean()),
            "unknown_rejected": float((~unknown.known).mean()),
            "unknown_images": int(len(unknown.known))}


def top_confusions(outputs: Outputs, labels: np.ndarray, artists: list[str], count: int = 10) -> list[dict]:
    """The most frequent (true artist, answered artist) mistakes, most frequent first."""
    predicted = outputs.probabilities.argmax(axis=1)
    wrong = predicted != labels
    pairs, counts = np.unique(np.column_stack([labels[wrong], predicted[wrong]]), axis=0, return_counts=True)
    order = np.argsort(-counts, kind="stable")[:count]
    return [{"artist": artists[pairs[i, 0]], "answered": artists[pairs[i, 1]], "images": int(counts[i]),
             "of": int((labels == pairs[i, 0]).sum())} for i in order]


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def write_plots(outputs: Outputs, labels: np.ndarray, artists: list[str], directory: Path) -> list[Path]:
    """confusion.png (row-normalised) and reliability.png in `directory`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(artists)
    confusion = np.zeros((n, n))
    np.add.at(confusion, (labels, outputs.probabilities.argmax(axis=1)), 1)
    confusion /= np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    figure, axis = plt.subplots(figsize=(13, 12))
    axis.imshow(confusion, cmap="viridis", vmin=0, vmax=1)
    axis.set_xticks(range(n), artists, rotation=90, fontsize=7)
    axis.set_yticks(range(n), artists, fontsize=7)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    axis.set_title("Artist confusion (row-normalised)")
    paths = [directory / "confusion.png", directory / "reliability.png"]
    atomic_write_bytes(paths[0], _png(figure))
    plt.close(figure)

    table = reliability(outputs.probabilities, labels)
    centres = (np.arange(len(table["count"])) + 0.5) / len(table["count"])
    used = table["count"] > 0
    figure, axis = plt.subplots(figsize=(5, 5))
    axis.plot([0, 1], [0, 1], "--", color="grey", label="perfect")
    axis.bar(centres[used], table["accuracy"][used], width=1 / len(centres), alpha=0.7, edgecolor="k",
             label="accuracy")
    axis.plot(table["confidence"][used], table["accuracy"][used], "o-", color="C3", label="confidence vs accuracy")
    axis.set_xlabel("confidence")
    axis.set_ylabel("accuracy")
    axis.set_title(f"Reliability (ECE {expected_calibration_error(outputs.probabilities, labels):.3f})")
    axis.legend(loc="upper left")
    atomic_write_bytes(paths[1], _png(figure))
    plt.close(figure)
    return paths
