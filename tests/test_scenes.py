"""Simulated visitors' photos (classifier/scenes.py): deterministic, outlines where the paintings are, the EXIF
round trip, and everyday photos without a painting read offline. Small photos (side 800) keep it fast."""

from __future__ import annotations

import io
import socket

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from classifier.scenes import (
    EXIF_ORIENTATION,
    hard_scene,
    mild_scene,
    no_painting_photos,
    phone_jpeg,
    two_scene,
    visible_share,
)

SIDE = 800


@pytest.fixture(scope="module")
def paintings(met_records):
    """Three Met paintings: Irises, and two others of different shapes."""
    irises = next(r for r in met_records if r.title == "Irises")
    others = [r for r in met_records if r.artist != irises.artist][:2]
    return [Image.open(r.image_path).convert("RGB") for r in (irises, *others)]


def _pixels(scene) -> np.ndarray:
    return np.asarray(scene.photo)


def _area(outline) -> float:
    return abs(cv2.contourArea(np.asarray(outline, np.float32)))


def _inside(outline, size, tolerance=0.5) -> bool:
    return bool((outline >= -tolerance).all() and (outline[:, 0] <= size[0] + tolerance).all()
                and (outline[:, 1] <= size[1] + tolerance).all())


def _unwarped(photo: Image.Image, outline: np.ndarray, size: tuple[int, int], with_view: bool = False):
    """The outlined quadrilateral of the photo as an upright image of `size`, grey (and, `with_view`, where
    it was inside the photo)."""
    width, height = size
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    # Edge coordinates (the outline's) to cv2's pixel centres, on both sides.
    matrix = cv2.getPerspectiveTransform(outline.astype(np.float32) - 0.5, target - 0.5)
    grey = cv2.cvtColor(np.asarray(photo), cv2.COLOR_RGB2GRAY)
    found = cv2.warpPerspective(grey, matrix, (width, height), flags=cv2.INTER_AREA).astype(float)
    if not with_view:
        return found
    inside = cv2.warpPerspective(np.full(grey.shape, 255, np.uint8), matrix, (width, height), flags=cv2.INTER_AREA)
    return found, inside == 255


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def test_scenes_are_deterministic_per_seed(paintings):
    irises, second, third = paintings
    for make in (lambda seed: mild_scene(irises, seed, side=SIDE),
                 lambda seed: hard_scene(irises, seed, side=SIDE, neighbour=second, neighbour_in_collection=True),
                 lambda seed: two_scene(irises, third, seed, side=SIDE)):
        once, again, other = make(3), make(3), make(4)
        assert np.array_equal(_pixels(once), _pixels(again))
        assert all(np.array_equal(a, b) for a, b in zip(once.outlines, again.outlines))
        assert not np.array_equal(_pixels(once), _pixels(other)) or once.photo.size != other.photo.size


def test_a_mild_photo_shows_the_whole_painting_where_its_outline_says(paintings):
    irises = paintings[0]
    for seed in range(2):
        scene = mild_scene(irises, seed, side=SIDE)
        assert scene.kind == "mild" and scene.photo.mode == "RGB" and max(scene.photo.size) == SIDE
        (outline,) = scene.outlines
        assert outline.shape == (4, 2) and outline.dtype == np.float32
        assert _inside(outline, scene.photo.size)
        assert abs(scene.params["yaw"]) <= 5 and abs(scene.params["pitch"]) <= 5
        size = (irises.width // 4, irises.height // 4)
        found = _unwarped(scene.photo, outline, size)
        original = cv2.cvtColor(np.asarray(irises.resize(size, Image.BOX)), cv2.COLOR_RGB2GRAY).astype(float)
        assert _correlation(found, original) > 0.85  # the outline lies on the painting (glare and JPEG aside)
        shifted = _unwarped(scene.photo, outline + np.float32([0.15 * np.ptp(outline[:, 0]), 0]), size)
        assert _correlation(shifted, original) < _correlation(found, original) - 0.2


def test_a_hard_photo_cuts_the_painting_at_the_photos_edge(paintings):
    irises, second, _ = paintings
    for seed in range(3):
        scene = hard_scene(irises, seed, side=SIDE)
        (outline,) = scene.outlines
        params = scene.params
        assert not _inside(outline, scene.photo.size)  # partly outside the photo, as designed
        assert 0.58 <= visible_share(outline, scene.photo.size) <= 0.92
        assert 25 <= max(abs(params["yaw"]), abs(params["pitch"])) <= 45
        assert 0.08 <= params["hidden_by_visitor"] <= 0.27
        assert 3 <= params["motion_blur_px"] <= 9 and 0.35 <= params["exposure"] <= 0.7
        # What is in view lies where the outline says, dim, shaken and partly hidden as it is.
        size = (irises.width // 4, irises.height // 4)
        original = cv2.cvtColor(np.asarray(irises.resize(size, Image.BOX)), cv2.COLOR_RGB2GRAY).astype(float)
        found, seen = _unwarped(scene.photo, outline, size, with_view=True)
        right = _correlation(found[seen], original[seen])
        moved, seen = _unwarped(scene.photo, outline + np.float32([0.15 * np.ptp(outline[:, 0]), 0]), size, True)
        assert right > 0.5 and right > _correlation(moved[seen], original[seen]) + 0.2
    held = hard_scene(irises, 1, side=SIDE, neighbour=second, neighbour_in_collection=True)
    not_held = hard_scene(irises, 1, side=SIDE, neighbour=second)
    assert len(not_held.outlines) == 1 and np.array_equal(not_held.outlines[0], held.outlines[0])
    if held.params["neighbour_in_view"] > 0:
        first, neighbour = held.outlines
        size = held.photo.size
        assert _area(first) * visible_share(first, size) > _area(neighbour) * visible_share(neighbour, size)


def test_two_paintings_the_first_larger_and_central_both_outlined(paintings):
    irises, _, third = paintings
    for seed in range(3):
        scene = two_scene(irises, third, seed, side=SIDE)
        first, second = scene.outlines
        assert _inside(first, scene.photo.size) and _inside(second, scene.photo.size)
        assert _area(first) > _area(second)
        middle = np.array(scene.photo.size) / 2
        assert np.linalg.norm(first.mean(axis=0) - middle) < np.linalg.norm(second.mean(axis=0) - middle)
        left, right = sorted((first, second), key=lambda o: o[:, 0].min())
        assert left[:, 0].max() < right[:, 0].min()  # side by side, not overlapping


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_round_trip(paintings, orientation):
    photo = paintings[2].resize((120, 80))
    data = phone_jpeg(photo, orientation)
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.getexif()[EXIF_ORIENTATION] == orientation
        assert stored.size == (photo.size if orientation in (1, 2, 3, 4) else photo.size[::-1])
        upright = ImageOps.exif_transpose(stored).convert("RGB")
    assert upright.size == photo.size
    difference = np.abs(np.asarray(upright, float) - np.asarray(photo, float)).mean()
    assert difference < 4  # JPEG only
    if orientation != 1:
        assert np.abs(np.asarray(stored.convert("RGB").resize(photo.size), float)
                      - np.asarray(photo, float)).mean() > 2 * difference  # the stored pixels are turned


def test_no_painting_photos_need_no_network(monkeypatch):
    from skimage.data import _fetchers

    def refuse(*args, **kwargs):
        raise AssertionError("no_painting_photos went to the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    if _fetchers._image_fetcher is not None:
        monkeypatch.setattr(_fetchers._image_fetcher, "fetch", refuse)
    photos = no_painting_photos(side=256)
    names = [name for name, _ in photos]
    assert len(photos) == 36 and len(set(names)) == 36
    assert {"chelsea", "coffee", "astronaut", "coins", "page", "rocket", "china", "flower"} <= set(names)
    assert all(image.mode == "RGB" for _, image in photos)
    assert all(max(image.size) == 256 for name, image in photos if name.endswith("(phone)"))
    assert len(no_painting_photos(side=256, extra=True)) == 50
