"""Encoders: the offline EfficientNet-Lite default and the open_clip loading path."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from data.images import load_image
from retrieval.embed import embed_paths
from retrieval.encoders import LITE_MEAN, LITE_STD, EncoderError, load_encoder, load_model
from retrieval.style_features import FeatureConfig, StyleExtractor


def test_lite0_embeds_normalised_float32(lite0, met_records):
    images = [load_image(r.image_path) for r in met_records[:4]]
    vectors = lite0.encode_images(images)
    assert vectors.shape == (4, 1280) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # The same painting twice is the same vector; different paintings are not.
    again = lite0.encode_images(images[:1])
    np.testing.assert_allclose(again[0], vectors[0], atol=1e-5)
    assert float(vectors[0] @ vectors[1]) < 0.99


def test_each_load_is_a_model_of_its_own_from_weights_read_once(met_records):
    first, second = load_model("efficientnet-lite0")[0], load_model("efficientnet-lite0")[0]
    assert first.net is not second.net  # the style extractors hook their own backbones
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        assert torch.equal(a, b) and a.data_ptr() != b.data_ptr()
    image = load_image(met_records[0].image_path)
    for name in ("efficientnet-lite0", "style-lite0"):  # the dimension they declare is the one they give
        encoder = load_encoder(name)
        assert encoder.encode_images([image]).shape == (1, encoder.dim)


def test_load_model_is_in_eval_mode():
    model, preprocess = load_model("efficientnet-lite1")
    assert not model.training
    assert preprocess(load_image_like()).shape == (3, 240, 240)


def load_image_like():
    return Image.new("RGB", (300, 200), (120, 80, 40))


def test_preprocessing_is_torchvisions_value_for_value():
    """retrieval/pixels.py stands in for torchvision's transforms (whose import costs a second at start-up)."""
    from torchvision import transforms

    extractor = StyleExtractor(FeatureConfig())
    size = extractor.config.image_size
    bilinear, bicubic = transforms.InterpolationMode.BILINEAR, transforms.InterpolationMode.BICUBIC
    as_tensor = [transforms.ToTensor(), transforms.Normalize(LITE_MEAN, LITE_STD)]
    cropped = transforms.Compose([transforms.Resize(224, interpolation=bilinear), transforms.CenterCrop(224),
                                  *as_tensor])
    squeezed = transforms.Compose([transforms.Resize((size, size), interpolation=bicubic), *as_tensor])
    for width, height in [(300, 200), (200, 300), (224, 224), (225, 224), (97, 301), (1000, 751)]:
        image = Image.fromarray(np.random.default_rng(width).integers(0, 256, (height, width, 3), np.uint8))
        assert torch.equal(load_model("efficientnet-lite0")[1](image), cropped(image))
        assert torch.equal(extractor.preprocess(image), squeezed(image))


def test_unknown_encoder_name_lists_choices():
    with pytest.raises(EncoderError, match="efficientnet-lite0"):
        load_encoder("resnet-9000")


def test_pipeline_reports_bad_files_without_failing_the_batch(lite0, met_records, tmp_path):
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    paths = [met_records[0].image_path, tmp_path / "broken.jpg", met_records[1].image_path]
    result = embed_paths(lite0, paths, batch_size=2)
    assert result.ok == [0, 2] and list(result.failed) == [1]
    assert "broken.jpg" in result.failed[1]
    np.testing.assert_allclose(result.vectors, lite0.encode_images([load_image(p) for p in paths[::2]]), atol=1e-4)


def test_open_clip_local_checkpoint_loads_its_weights(tiny_clip_dir, met_records):
    directory, reference = tiny_clip_dir
    encoder = load_encoder(f"open_clip:{directory}")
    assert encoder.dim == 32 and encoder.has_text and encoder.image_size == 32 and not encoder.model.training
    image = load_image(met_records[0].image_path)
    vector = encoder.encode_images([image])
    with torch.no_grad():
        expected = reference.eval().encode_image(encoder.preprocess(image)[None]).numpy()
    np.testing.assert_allclose(vector[0], expected[0] / np.linalg.norm(expected[0]), atol=1e-5)
    text = encoder.encode_text(["a painting of irises", "a portrait"])
    assert text.shape == (2, 32)
    np.testing.assert_allclose(np.linalg.norm(text, axis=1), 1.0, atol=1e-5)


def test_open_clip_checkpoint_file_as_pretrained(tiny_clip_dir, tmp_path):
    import open_clip

    directory, _ = tiny_clip_dir
    # A named architecture + a checkpoint file: register the tiny config under a name, as a user's config would be.
    name = "tiny-test-clip"
    architecture = json.loads((directory / "open_clip_config.json").read_text())["model_cfg"]
    (tmp_path / f"{name}.json").write_text(json.dumps(architecture))
    open_clip.add_model_config(str(tmp_path / f"{name}.json"))
    encoder = load_encoder(f"open_clip:{name}:{directory / 'open_clip_pytorch_model.bin'}")
    assert encoder.dim == 32


def test_open_clip_without_weights_offline_says_how_to_provide_them():
    with pytest.raises(EncoderError, match="open_clip:/path/to/dir"):
        load_encoder("open_clip:ViT-B-32:laion2b_s34b_b79k")
