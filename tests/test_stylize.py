"""Style transfer (classifier/stylize): the optimisation, the shipped instant styles, their manifest, and
`museum stylize` / "paint it like ..." as a visitor meets them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from skimage import data

from app.conversation.engine import Message, SessionState, respond
from app.settings import Settings
from classifier.stylize import (
    STATISTICS,
    LossConfig,
    LossNetwork,
    OptimizeConfig,
    StylizeError,
    instant_styles,
    load_instant,
    paint_instantly,
    paint_like,
)
from classifier.stylize.losses import style_targets, transfer_loss
from classifier.stylize.pictures import fitted, to_tensor

STYLIZERS = Settings().resolved_stylizers_dir()
CAT = Image.fromarray(data.chelsea())


@pytest.fixture(scope="module")
def network():
    return LossNetwork()


def _style_loss(network, image, style, statistic="gram"):
    targets = style_targets(network, [to_tensor(fitted(style, 128))], statistic)
    photo = to_tensor(fitted(CAT, 128))
    content = network(photo)
    _, parts = transfer_loss(LossConfig(statistic=statistic), network, to_tensor(fitted(image, 128)), content,
                             targets)
    return parts["style"]


def test_the_optimisation_paints_towards_the_painting_and_is_seeded(network, met_image_path):
    irises = Image.open(met_image_path).convert("RGB")
    config = OptimizeConfig(side=128, steps=8)
    done = []
    painted = paint_like(network, CAT, [irises], config, seed=0, progress=lambda step, total: done.append(step))
    assert painted.size == (128, 85)  # the photo's proportions, at the longer side asked for
    assert done == list(range(1, 9))
    assert _style_loss(network, painted, irises) < 0.8 * _style_loss(network, CAT, irises)
    again = paint_like(network, CAT, [irises], config, seed=0)
    assert np.array_equal(np.asarray(painted), np.asarray(again))


def test_the_statistics_are_a_registry():
    assert {"gram", "softmax-gram", "mean-std"} <= set(STATISTICS)
    with pytest.raises(ValueError, match="unknown style statistic"):
        LossConfig(statistic="vgg")


def test_six_instant_styles_ship_small_and_paint_a_photo():
    painters = instant_styles(STYLIZERS)
    assert len(painters) >= 6 and "Vincent van Gogh" in painters
    manifest = json.loads((STYLIZERS / "stylizers.json").read_text())
    for painter in painters:
        assert (STYLIZERS / manifest["styles"][painter]["file"]).stat().st_size < 2_000_000
    painted = paint_instantly(load_instant(STYLIZERS, "Vincent van Gogh"), CAT, side=256)
    assert painted.size == (256, 170)
    difference = np.abs(np.asarray(painted, np.float32) - np.asarray(fitted(CAT, 256), np.float32)).mean()
    assert difference > 10  # painted, not copied


def test_a_damaged_style_file_is_refused_with_the_fix(tmp_path):
    copy = tmp_path / "stylizers"
    shutil.copytree(STYLIZERS, copy)
    manifest = json.loads((copy / "stylizers.json").read_text())
    weights = copy / manifest["styles"]["Claude Monet"]["file"]
    weights.write_bytes(weights.read_bytes()[:-100])
    with pytest.raises(StylizeError, match="museum train stylizer"):
        load_instant(copy, "Claude Monet")
    with pytest.raises(StylizeError, match="no instant style for Rembrandt"):
        load_instant(copy, "Rembrandt")


def test_a_tiny_picture_is_refused():
    with pytest.raises(StylizeError, match="too small to paint"):
        fitted(Image.new("RGB", (30, 200)), 512)


def _museum(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, cwd=cwd, timeout=600)


def test_museum_stylize_writes_the_painted_photo_and_refuses_clearly(tmp_path, met_image_path):
    photo = tmp_path / "cat.jpg"
    CAT.save(photo)
    out = tmp_path / "cat-like-monet.jpg"
    done = _museum("stylize", str(photo), "--like", "monet", "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["size"] == [512, 341]
    assert Image.open(out).size == (512, 341)
    unknown = _museum("stylize", str(photo), "--like", "Rembrandt")
    assert unknown.returncode == 2 and "no instant style for 'Rembrandt'" in unknown.stderr
    assert "Vincent van Gogh" in unknown.stderr  # says which there are
    a_photo = _museum("stylize", str(photo), "--style", str(photo))
    assert a_photo.returncode == 2 and "does not look like a painting" in a_photo.stderr
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg at all")
    refused = _museum("stylize", str(broken), "--like", "monet")
    assert refused.returncode == 2 and "the photo: broken.jpg" in refused.stderr
    like_irises = _museum("stylize", str(photo), "--style", met_image_path, "--stylize-side", "96",
                          "--stylize-steps", "2", "--out", str(tmp_path / "irises.jpg"))
    assert like_irises.returncode == 0, like_irises.stderr
    assert Image.open(tmp_path / "irises.jpg").size == (96, 64)


def test_paint_it_like_a_painter_then_like_the_painting_shown(resources, met_records, monkeypatch):
    monkeypatch.setattr(resources.settings, "stylize_steps", 2)
    monkeypatch.setattr(resources.settings, "stylize_side", 96)
    irises = next(r for r in met_records if r.title == "Irises")
    state, _ = respond(resources, SessionState(), Message(image=Image.open(irises.image_path).convert("RGB")))
    state, reply = respond(resources, state, Message(image=CAT))  # a selfie, as it were: no painting
    assert "Paint it like…" in reply.suggestions
    state, reply = respond(resources, state, Message(text="Paint it like…"))
    assert reply.painted is None and "Vincent van Gogh" in reply.suggestions
    assert "Like the painting I showed you" in reply.suggestions
    state, reply = respond(resources, state, Message(text="Vincent van Gogh"))  # the button, tapped
    assert reply.painted is not None and reply.painted.size == (96, 64)
    assert reply.data["painted"] == {**reply.data["painted"], "painter": "Vincent van Gogh", "style": "instant"}
    assert "imitation" in reply.text
    state, reply = respond(resources, state, Message(text="Like the painting I showed you"))
    assert reply.painted is not None and reply.data["painted"]["style"] == "painting shown"
    state, reply = respond(resources, state, Message(text="peins-la comme Rembrandt"))
    assert reply.painted is None and "Je ne sais pas encore peindre comme Rembrandt" in reply.text
    _, reply = respond(resources, SessionState(), Message(text="paint me like Monet"))
    assert reply.painted is None and "Show me a photo first" in reply.text
