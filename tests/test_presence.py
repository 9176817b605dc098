"""Is there a painting in the photo at all? The shipped presence head (classifier/presence.py) on real images: the
Met's paintings, clean and photographed on a wall, against everyday photos scikit-image installs (none of which it
was fitted on), through the engine as a visitor meets it."""

import json

import numpy as np
import pytest
from PIL import Image, ImageOps

from app.conversation import paintings
from app.conversation.engine import Message, SessionState, respond
from app.serving import vision
from app.serving.resources import Resources
from app.settings import Settings
from classifier import scenes
from classifier.presence import PresenceHead, load_presence, save_presence, weights_path


def everyday(name: str) -> Image.Image:
    return dict(scenes.no_painting_photos())[name]


def chance(resources, image: Image.Image) -> float:
    return vision.look(resources, paintings.kept(image)).painting_probability


def test_the_shipped_head_matches_its_manifest_and_loads_with_the_app(resources):
    manifest = json.loads(weights_path().with_suffix(".json").read_text())
    head = resources.presence
    assert head is not None and "presence" not in resources.problems
    assert head.weight.shape == (manifest["dim"],)
    assert head.threshold == pytest.approx(manifest["threshold"], abs=1e-6)


@pytest.mark.parametrize("name", ["chelsea", "coffee", "astronaut", "coins", "text", "brick (phone)"])
def test_everyday_photos_are_not_paintings(resources, name):
    assert chance(resources, everyday(name)) < resources.presence.threshold


def test_paintings_clean_and_photographed_on_a_wall_are_paintings(resources, met_image_path):
    irises = Image.open(met_image_path).convert("RGB")
    for image in (irises, scenes.mild_scene(irises, 1).photo, scenes.hard_scene(irises, 2).photo):
        assert chance(resources, image) > 0.8


def test_a_cat_gets_no_painter_and_why_says_why(resources):
    state, cat = respond(resources, SessionState(), Message(image=everyday("chelsea")))
    assert cat.text.startswith("I can't see a painting in this photo")
    assert cat.data["no_painting"] and cat.data["prediction"] is None and cat.data["match"] is None
    # A photo with no painting in it can still be painted like one: the only follow-up besides help.
    assert cat.artist is None and cat.suggestions == ["Paint it like…", "Help"] and not cat.images
    state, who = respond(resources, state, Message(text="who painted this?"))
    assert who.text.startswith("I can't see a painting in this photo") and who.artist is None
    _, why = respond(resources, state, Message(text="why?"))
    assert "can't see a painting" in why.text and "%" in why.text


def test_a_painting_not_in_the_collection_still_gets_a_style_guess(resources, met_image_path):
    """Irises mirrored: no keypoint layout of the collection lines up with it, but it is plainly a painting."""
    photo = scenes.mild_scene(ImageOps.mirror(Image.open(met_image_path).convert("RGB")), 3).photo
    _, reply = respond(resources, SessionState(), Message(image=photo))
    assert not reply.data.get("no_painting") and reply.data["match"] is None
    assert "not in this collection" in reply.text and reply.data["prediction"] is not None
    assert reply.data["painting_probability"] > resources.presence.threshold


def test_the_collection_record_outranks_the_head(met_image_path):
    """A recognised painting is a painting, whatever the head says of it (here: a threshold above any)."""
    strict = Resources.from_settings(Settings(presence_threshold=1.0))
    photo = scenes.mild_scene(Image.open(met_image_path).convert("RGB"), 4).photo
    _, reply = respond(strict, SessionState(), Message(image=photo))
    assert reply.data["match"]["title"] == "Irises" and not reply.data.get("no_painting")


def test_the_threshold_is_a_setting_and_zero_never_says_no_painting():
    _, reply = respond(Resources.from_settings(Settings(presence_threshold=0.0)), SessionState(),
                       Message(image=everyday("chelsea")))
    assert not reply.data.get("no_painting") and reply.data["prediction"] is not None


def test_a_cat_in_french(resources):
    _, reply = respond(resources, SessionState(), Message(text="qui a peint ce tableau ?", image=everyday("chelsea")))
    assert reply.text.startswith("Je ne vois pas de tableau sur cette photo")


def test_a_head_whose_manifest_disagrees_is_refused_and_a_missing_one_is_none(tmp_path):
    head = PresenceHead(np.zeros(4, np.float32), np.ones(4, np.float32), np.ones(4, np.float32), 0.0, 0.5)
    path = tmp_path / "presence-x.npz"
    save_presence(head, path, {"dim": 5})
    with pytest.raises(ValueError, match="feature size"):
        load_presence(path)
    save_presence(head, path, {"dim": 4})
    assert load_presence(path).probability(np.zeros((2, 4), np.float32)).tolist() == [0.5, 0.5]
    assert load_presence(tmp_path / "none.npz") is None
