"""Fitting the style projection, and judging an embedding as a visitor would: held-out paintings as queries
against the rest of the collection, scored on the painter and the movement of the top results.

Pure functions over arrays; `museum style fit` / `museum style bench` (app/cli/commands/style_commands.py) feed
them the cached style features and the near-duplicate-aware split.
"""

from __future__ import annotations

import numpy as np

from retrieval.encoders import normalize
from retrieval.style_encoder import StyleProjection

PCA_DIMS = 1024  # validation same-painter P@10 by PCA size before LDA: 128 0.622, 256 0.683, 512 0.722, 1024 0.762


def fit_projection(styles: np.ndarray, labels: np.ndarray, pca_dims: int = PCA_DIMS, seed: int = 0) -> StyleProjection:
    """standardise -> PCA(pca_dims) -> LDA on `labels` (n_classes - 1 dims), folded into one affine map."""
    from sklearn.decomposition import PCA
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    styles = np.asarray(styles, np.float64)
    mean, scale = styles.mean(axis=0), styles.std(axis=0) + 1e-6
    standard = (styles - mean) / scale
    pca = PCA(pca_dims, svd_solver="randomized", random_state=seed).fit(standard)
    lda = LinearDiscriminantAnalysis().fit(pca.transform(standard), labels)
    # x -> ((x - mean) / scale - pca.mean_) @ C.T -> (. - lda.xbar_) @ S, with C = pca.components_, S = lda.scalings_.
    lda_matrix = lda.scalings_[:, :len(lda.classes_) - 1]
    combined = pca.components_.T @ lda_matrix
    matrix = combined / scale[:, None]
    offset = -(mean / scale) @ combined - pca.mean_ @ combined - lda.xbar_ @ lda_matrix
    return StyleProjection(matrix.astype(np.float32), offset.astype(np.float32))


def retrieval_metrics(embeddings: np.ndarray, queries: np.ndarray, labels: np.ndarray, groups: np.ndarray,
                      movements: np.ndarray, k: int = 10) -> dict[str, float]:
    """Each query row against every other row except its own near-duplicate group (itself included).

    labels: painter per row; groups: near-duplicate group per row; movements: bool[n_painters, n_movements].
    Returns same-painter precision@k, same-movement precision@k (a shared movement) and same painter at rank 1.
    """
    unit = normalize(embeddings)
    similarity = unit[queries] @ unit.T
    similarity[groups[queries][:, None] == groups[None, :]] = -np.inf
    top = np.argsort(-similarity, axis=1, kind="stable")[:, :k]
    painter = labels[top] == labels[queries][:, None]
    movement = (movements[labels[top]] & movements[labels[queries]][:, None, :]).any(axis=-1)
    return {f"same_painter_p@{k}": float(painter.mean()), f"same_movement_p@{k}": float(movement.mean()),
            "same_painter_rank1": float(painter[:, 0].mean()), "queries": int(len(queries))}
