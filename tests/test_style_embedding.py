"""The style embedding of `similar`: the folded projection, the retrieval metrics, the shipped encoder."""

from __future__ import annotations

import numpy as np

from retrieval.style_fit import fit_projection, retrieval_metrics


def test_folded_projection_equals_the_sklearn_pipeline():
    from sklearn.decomposition import PCA
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), 30)
    styles = rng.normal(size=(120, 40)) * rng.uniform(0.5, 3, 40) + labels[:, None] * rng.normal(size=40)
    projection = fit_projection(styles, labels, pca_dims=12)
    standard = (styles - styles.mean(0)) / (styles.std(0) + 1e-6)
    pca = PCA(12, svd_solver="randomized", random_state=0).fit(standard)
    expected = LinearDiscriminantAnalysis().fit(pca.transform(standard), labels).transform(pca.transform(standard))
    assert projection.matrix.shape == (40, 3)
    np.testing.assert_allclose(projection(styles), expected, rtol=1e-3, atol=1e-3)


def test_retrieval_metrics_leave_out_the_query_and_its_duplicates():
    # Rows 0 and 1 are copies of one painting (a group); 2 is by the same painter, 3 by another of its movement.
    embeddings = np.array([[1, 0], [1, 0.01], [0.9, 0.2], [0.5, 0.6], [0, 1]], dtype=np.float32)
    labels, groups = np.array([0, 0, 0, 1, 2]), np.array([0, 0, 1, 2, 3])
    movements = np.array([[True, False], [True, False], [False, True]])
    metrics = retrieval_metrics(embeddings, np.array([0]), labels, groups, movements, k=2)
    assert metrics["same_painter_rank1"] == 1.0  # row 2, not the copy in row 1
    assert metrics["same_painter_p@2"] == 0.5 and metrics["same_movement_p@2"] == 1.0


def test_shipped_projection_and_the_committed_style_index_agree():
    from app.settings import Settings
    from retrieval.store import read_manifest
    from retrieval.style_encoder import StyleProjection, weights_dir

    projection, manifest = StyleProjection.load(weights_dir("style-lite0"))
    assert projection.matrix.shape == (16_332, manifest["dim"]) and manifest["validation"]["style"]["queries"] > 0
    index = read_manifest(Settings(encoder="style-lite0").resolved_index_dir())
    assert index["encoder"]["name"] == "style-lite0" and projection.digest in index["encoder"]["version"]


def test_similar_ranks_by_style_by_default(met_image_path, capsys):
    import json

    from app.cli import main

    assert main(["similar", str(met_image_path), "-k", "3", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["encoder"] == "style-lite0" and result["results"][0]["title"] == "Irises"
    assert main(["similar", str(met_image_path), "-k", "3", "--json", "--encoder", "efficientnet-lite0"]) == 0
    assert json.loads(capsys.readouterr().out)["encoder"] == "efficientnet-lite0"
