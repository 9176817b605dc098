"""Explanations on real paintings: the torch head equals the numpy heads, heatmaps and
LIME masks have the right shapes and ranges, LIME beats random in the deletion test,
the cache, the ViT attention path, the chat entry point and the CLI's bad input.

The classifier's shipped heads are used when present; otherwise a small stand-in
head is trained here, in seconds, on real best-artworks features (4 artists).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from app.bench.explain import deletion_drops
from app.cli import main
from app.cli.commands.shared import EXIT_USAGE
from app.settings import WEIGHTS_ROOT
from classifier.explain import ExplainError, ExplainResources, explain_for_chat, resolve_label
from classifier.explain.cam import _attention_recorder, heatmap, vit_attention_map
from classifier.explain.examples import examples_by_artist
from classifier.explain.lime_regions import LimeCache, LimeSettings, cached_lime, run_lime
from classifier.explain.model import ExplainModel
from classifier.features import extract
from classifier.labels import match_artist
from classifier.model import HeadBundle, HeadsError, load_bundle, save_bundle
from data.images import load_image
from retrieval.style_features import FeatureConfig, StyleExtractor

FAST_LIME = LimeSettings(n_segments=12, num_samples=48)


def _standin_bundle(root) -> HeadBundle:
    from classifier.heads import Standardizer, balanced_weights, fit_artist_head, fit_genre_head
    from classifier.labels import artist_genres
    from classifier.unknown import DistanceModel, UnknownRule
    from data.corpora import load_best_artworks

    corpus = load_best_artworks(root)
    names, genres, membership = artist_genres(corpus.artists)
    artists = ["Vincent van Gogh", "Albrecht Dürer", "Rembrandt", "Pablo Picasso"]
    train = [r for a in artists for r in sorted((r for r in corpus.records if r.artist == a), key=lambda r: r.id)[:8]]
    extractor = StyleExtractor(FeatureConfig())
    styles = extract(extractor, [r.image_path for r in train]).styles
    labels = np.array([artists.index(r.artist) for r in train])
    rows = membership[[names.index(a) for a in artists]]
    used = rows.any(axis=0)
    standardizer = Standardizer.fit(styles)
    x = standardizer(styles)
    return HeadBundle(artists, [g for g, u in zip(genres, used) if u], extractor.config, standardizer,
                      fit_artist_head(x, labels, len(artists)),
                      fit_genre_head(x, rows[:, used][labels], balanced_weights(labels, len(artists))), 1.0,
                      DistanceModel.fit(x, labels, dim=8), UnknownRule("probability", -np.inf, np.zeros(2), np.ones(2)))


@pytest.fixture(scope="session")
def bundle(best_artworks_root) -> HeadBundle:
    try:
        return load_bundle(WEIGHTS_ROOT / "efficientnet-lite0", "efficientnet-lite0")[0]
    except HeadsError:
        return _standin_bundle(best_artworks_root)


@pytest.fixture(scope="session")
def model(bundle) -> ExplainModel:
    return ExplainModel.from_classifier(bundle)


@pytest.fixture(scope="session")
def paintings(best_artworks_root) -> list[Image.Image]:
    """Held-out real paintings (past the stand-in's first 8 per artist)."""
    names = ["Vincent_van_Gogh_300.jpg", "Albrecht_Durer_250.jpg", "Rembrandt_200.jpg"]
    return [load_image(best_artworks_root / "images" / name) for name in names]


def test_torch_head_matches_the_classifiers_probabilities(model, bundle, paintings):
    styles, _ = StyleExtractor(bundle.feature_config).features_of(paintings)
    theirs = bundle(styles).probabilities
    mine = model.artist_probabilities(np.stack([model.prepare(p) for p in paintings]))
    np.testing.assert_allclose(mine, theirs, atol=1e-4)


def test_heatmap_shape_and_range(model, paintings):
    """(Its speed is measured by the benchmark, not asserted: the CPU is shared.)"""
    batch = model.to_batch(model.prepare(paintings[0])[None])
    size = model.image_size
    for target in ("head", 10):
        cam = heatmap(model.head, batch, 0, target=target)
        assert cam.shape == (size, size) and cam.dtype == np.float32
        assert cam.min() == 0.0 and cam.max() == pytest.approx(1.0)


@pytest.fixture(scope="session")
def lime_runs(model, paintings):
    """(picture as the classifier sees it, predicted label, LIME result) for each painting."""
    runs = []
    for painting in paintings:
        array = model.prepare(painting)
        label = int(model.artist_probabilities(array[None])[0].argmax())
        runs.append((array, label, run_lime(model.artist_probabilities, array, label, FAST_LIME)))
    return runs


def test_lime_masks_shapes_and_ranges(lime_runs):
    for array, _label, result in lime_runs:
        regions = int(result.segments.max()) + 1
        assert result.segments.shape == array.shape[:2] and result.segments.min() == 0
        assert set(np.unique(result.segments)) == set(range(regions))
        assert result.weights.shape == (regions,) and np.isfinite(result.weights).all()
        assert 0.0 <= result.probability <= 1.0
        assert sorted(result.ranked()) == list(range(regions))


def test_deletion_lime_beats_random(model, lime_runs):
    rng = np.random.default_rng(0)
    lime_area, random_area = [], []
    for array, label, result in lime_runs:
        drops = deletion_drops(model, array, result.segments, label,
                               {"lime": result.ranked(), "random": rng.permutation(result.weights.size)}, (1, 2, 3))
        lime_area.append(drops["lime"].mean())
        random_area.append(drops["random"].mean())
    assert np.mean(lime_area) > np.mean(random_area) + 0.02, (lime_area, random_area)


def test_lime_cache_second_call_is_the_cached_result(model, paintings, tmp_path):
    array = model.prepare(paintings[1])
    cache = LimeCache(directory=tmp_path)
    first = cached_lime(model.artist_probabilities, array, 1, model.fingerprint, cache, FAST_LIME)
    second = cached_lime(model.artist_probabilities, array, 1, model.fingerprint, cache, FAST_LIME)
    assert second is first  # the same object from memory: LIME did not run again
    # A fresh process (new LRU) reads the same result back from disk.
    from_disk = cached_lime(model.artist_probabilities, array, 1, model.fingerprint, LimeCache(directory=tmp_path),
                            FAST_LIME)
    np.testing.assert_array_equal(from_disk.weights, first.weights)
    np.testing.assert_array_equal(from_disk.segments, first.segments)
    # Another label or setting is another entry.
    key = LimeCache.key
    assert key(array, 2, model.fingerprint, FAST_LIME) != key(array, 1, model.fingerprint, FAST_LIME)


def test_vit_attention_rollout_on_a_tiny_open_clip_vit():
    from open_clip.transformer import VisionTransformer

    torch.manual_seed(0)
    visual = VisionTransformer(image_size=64, patch_size=16, width=64, layers=2, heads=2, mlp_ratio=2.0,
                               output_dim=32).eval()
    image = torch.randn(1, 3, 64, 64)
    with torch.no_grad():  # the recomputed attention is open_clip's own
        plain = visual(image)
        recorded, handles = _attention_recorder(list(visual.transformer.resblocks))
        hooked = visual(image)
        for handle in handles:
            handle.remove()
    torch.testing.assert_close(hooked, plain, atol=1e-5, rtol=1e-5)
    assert len(recorded) == 2 and recorded[0].shape == (1, 2, 17, 17)
    target = torch.nn.functional.normalize(torch.randn(32), dim=0)
    relevance = vit_attention_map(visual, image, target)
    assert relevance.shape == (64, 64) and relevance.min() == 0.0 and relevance.max() == pytest.approx(1.0)
    # The hooks are removed afterwards.
    assert not any(block.attn._forward_hooks for block in visual.transformer.resblocks)


def test_examples_are_by_the_artist_and_sorted(lite0, met_image_path):
    from app.settings import INDEX_ROOT
    from retrieval.store import load_store

    loaded = load_store(INDEX_ROOT / "met-efficientnet-lite0", "efficientnet-lite0")
    hits = examples_by_artist(loaded, lite0.encode_images([load_image(met_image_path)]), "Vincent van Gogh", 3)
    assert hits and all("Gogh" in hit.record.artist for hit in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert "Irises" not in [hit.record.title for hit in hits]  # the picture itself is no example


def test_explain_for_chat_heatmap_and_lime(model, paintings):
    resources = ExplainResources(model, lime_settings=FAST_LIME)
    seen = []
    answer = explain_for_chat(resources, paintings[0], progress=lambda f, d: seen.append(f))
    assert isinstance(answer.overlay, Image.Image) and answer.overlay.size[0] / answer.overlay.size[1] == \
        pytest.approx(paintings[0].width / paintings[0].height, rel=0.02)
    assert answer.data["label"] in model.artists and answer.data["label"] in answer.text
    assert seen[0] == 0.0 and seen[-1] == 1.0
    json.dumps(answer.data)
    lime = explain_for_chat(resources, paintings[0], label=model.artists[1].upper(), method="lime")
    assert lime.data["label"] == model.artists[1] and len(lime.data["lime"]["top_regions"]) == 5


def test_unknown_label_suggests_close_names(model):
    with pytest.raises(ExplainError, match="Did you mean Vincent van Gogh"):
        resolve_label("Vincent van Goh", model.artists)
    assert resolve_label("VINCENT VAN GOGH", model.artists) == "Vincent van Gogh"
    assert resolve_label("durer", model.artists) == "Albrecht Dürer"


@pytest.fixture(scope="session")
def heads_dir(bundle, tmp_path_factory):
    directory = tmp_path_factory.mktemp("heads")
    save_bundle(bundle, directory, {"encoder": "efficientnet-lite0"}, {})
    return directory


def test_cli_bad_input_exits_2_with_a_message(heads_dir, tmp_path, capsys, best_artworks_root):
    text = tmp_path / "notes.txt"
    text.write_text("not a picture")
    assert main(["explain", str(text), "--heads-dir", str(heads_dir)]) == EXIT_USAGE
    assert "notes.txt" in capsys.readouterr().err
    painting = str(best_artworks_root / "images" / "Rembrandt_200.jpg")
    assert main(["explain", painting, "--heads-dir", str(tmp_path / "none")]) == EXIT_USAGE
    assert "no prediction possible" in capsys.readouterr().err
    assert main(["explain", painting, "--heads-dir", str(heads_dir), "--label", "Rembrant"]) == EXIT_USAGE
    assert "Did you mean Rembrandt" in capsys.readouterr().err


def test_cli_writes_overlay_and_json(heads_dir, tmp_path, capsys, best_artworks_root):
    out = tmp_path / "why.png"
    painting = str(best_artworks_root / "images" / "Rembrandt_200.jpg")
    assert main(["explain", painting, "--heads-dir", str(heads_dir), "--out", str(out), "--json"]) == 0
    answer = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert answer["method"] == "heatmap" and answer["text"] and Image.open(out).size[0] > 0
    assert answer["label"] in answer["text"]
    assert all(match_artist(e["artist"], [answer["label"]]) for e in answer["examples"])
