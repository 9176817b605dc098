"""Recognising the collection's own painting in a visitor's photo (retrieval/local): real Met paintings photographed
at an angle, in part, two to a wall, or not in the collection at all, matched against the shipped Met index's
stored keypoints, and the store that holds them (built, reused, damaged)."""

import io
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from app.conversation.engine import Message, SessionState, respond
from app.serving.resources import Resources
from app.settings import PROJECT_ROOT, Settings
from retrieval.local import MatchRule, extract, recognise
from retrieval.store import BuildOptions, Corpus, IndexCorruptError, build_store, load_store

WHOLE_INDEX = PROJECT_ROOT / "index" / "met-efficientnet-lite0-whole"
RULE = MatchRule()


@pytest.fixture(scope="module")
def met():
    return load_store(WHOLE_INDEX)


def painting(met, row: int) -> Image.Image:
    return Image.open(met.records[row].image_path).convert("RGB")


def on_wall(paintings: list[Image.Image], places: list[np.ndarray], size=(1600, 1200), dim: float = 1.0,
            wall=(200, 190, 170)) -> Image.Image:
    """A photo of `paintings` hanging on a wall, each warped onto its quadrilateral `places` [4, 2] (tl, tr, br,
    bl), dimmed by `dim`, with sensor noise: what a phone sees. `wall`: a colour, or a picture of the photo's size."""
    photo = wall.copy() if isinstance(wall, np.ndarray) else np.full((size[1], size[0], 3), wall, np.uint8)
    for image, place in zip(paintings, places):
        source = np.array(image)
        h, w = source.shape[:2]
        warp = cv2.getPerspectiveTransform(np.float32([[0, 0], [w, 0], [w, h], [0, h]]), np.float32(place))
        warped = cv2.warpPerspective(source, warp, size)
        mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), warp, size) > 0
        photo[mask] = warped[mask]
    noisy = photo.astype(np.float32) * dim + np.random.default_rng(0).normal(0, 3, photo.shape)
    return Image.fromarray(noisy.clip(0, 255).astype(np.uint8))


def candidates(met, photo_features):
    """The shortlist the app verifies (by visual words; the global vector adds a few more in the app)."""
    return met.local.shortlist(photo_features, 15)[1]


def test_a_painting_photographed_at_a_steep_angle_in_a_dim_room_is_recognised_with_its_outline(met):
    row = 40
    place = np.float32([[300, 150], [1250, 320], [1250, 900], [300, 1080]])  # seen from the left, about 35 degrees
    photo = on_wall([painting(met, row)], [place], dim=0.45)
    features = extract(photo, "sift", 1024, 2000)
    found = recognise(features, met.local, candidates(met, features), RULE)
    assert found and found[0].row == row, [(f.row, f.verification.inliers) for f in found]
    assert found[0].verification.inliers >= 3 * RULE.min_inliers
    assert np.abs(found[0].verification.outline - place).max() < 0.03 * 1600  # the outline is where it hangs
    assert len(found) == 1


def test_a_painting_partly_out_of_view_and_partly_hidden_is_recognised(met):
    row = 101
    image = painting(met, row)
    w, h = image.size
    place = np.float32([[-0.35 * 1600, 100], [1300, 60], [1300, 1150], [-0.35 * 1600, 1100]])  # a third cut off
    photo = on_wall([image], [place])
    pixels = np.array(photo)
    cv2.ellipse(pixels, (700, 1150), (260, 420), 0, 0, 360, (25, 20, 20), -1)  # a visitor's head in front
    features = extract(Image.fromarray(pixels), "sift", 1024, 2000)
    found = recognise(features, met.local, candidates(met, features), RULE)
    assert found and found[0].row == row


def test_two_paintings_in_one_shot_are_both_recognised_the_central_one_first(met):
    left, right = 12, 77
    small = np.float32([[80, 400], [430, 410], [430, 820], [80, 830]])
    large = np.float32([[600, 200], [1400, 220], [1400, 1000], [600, 1020]])  # under the photo's centre
    photo = on_wall([painting(met, left), painting(met, right)], [small, large])
    features = extract(photo, "sift", 1024, 2000)
    found = recognise(features, met.local, candidates(met, features), RULE)
    assert [f.row for f in found] == [right, left]
    assert found[0].centred and not found[1].centred


def test_a_patterned_wall_does_not_outvote_the_painting_in_the_shortlist(met):
    """The wall is papered with one small patch of another collection painting, repeated: its visual words occur
    hundreds of times in the photo. Counted once per image (burstiness), they do not push the painting actually
    photographed, small and dim at an angle, out of the shortlist's first place."""
    row, papered_with = 40, 12
    patch = np.array(painting(met, papered_with).resize((256, 256)))[64:128, 64:128]
    wallpaper = np.tile(patch, (1200 // 64 + 1, 1600 // 64 + 1, 1))[:1200, :1600]
    place = np.float32([[900, 420], [1400, 480], [1400, 860], [900, 900]])
    photo = on_wall([painting(met, row)], [place], dim=0.7, wall=wallpaper)
    features = extract(photo, "sift", 1024, 2000)
    assert candidates(met, features)[0] == row


def test_a_painting_the_museum_does_not_hold_matches_no_record(met, best_artworks_root):
    path = sorted((best_artworks_root / "images").rglob("*.jpg"))[123]
    photo = on_wall([Image.open(path).convert("RGB").resize((700, 600))],
                    [np.float32([[400, 250], [1200, 280], [1200, 950], [400, 980]])])
    features = extract(photo, "sift", 1024, 2000)
    verified = recognise(features, met.local, range(len(met.local)), RULE)  # every painting, not a shortlist
    assert verified == []


@pytest.fixture(scope="module")
def tiny_index(tmp_path_factory, met, lite0):
    """An index of eight Met paintings, built with their keypoints."""
    folder = tmp_path_factory.mktemp("tiny-collection")
    for record in met.records[:8]:
        shutil.copy(record.image_path, folder)
    from data.corpora import load_folder

    directory = tmp_path_factory.mktemp("tiny-index")
    report = build_store(load_folder(folder), lite0, directory, Corpus("folder", folder), options=BuildOptions())
    return folder, directory, report


def test_an_index_build_stores_keypoints_beside_the_vectors_and_reuses_them(tiny_index, lite0, met):
    from data.corpora import load_folder

    folder, directory, report = tiny_index
    loaded = load_store(directory)
    assert report.count == 8 and loaded.local is not None and len(loaded.local) == 8
    described = loaded.manifest["local_features"]
    assert described["extractor"] == "sift" and 0 < described["bytes_per_painting"] < 60_000
    assert "local/descriptors.npy" in loaded.manifest["files"]
    ninth = met.records[8]
    shutil.copy(ninth.image_path, folder)
    again = build_store(load_folder(folder), lite0, directory, Corpus("folder", folder), options=BuildOptions())
    assert again.encoded == 1 and again.reused == 8
    grown = load_store(directory)
    assert len(grown.local) == 9
    first = loaded.local.features(0)
    assert np.array_equal(grown.local.features(0).descriptors, first.descriptors)  # reused, not re-extracted
    photo = on_wall([Image.open(ninth.image_path).convert("RGB")],
                    [np.float32([[300, 200], [1200, 260], [1200, 1000], [300, 1060]])])
    features = extract(photo, "sift", 1024, 2000)
    ninth_row = next(i for i, r in enumerate(grown.records) if Path(r.image_path).name == Path(ninth.image_path).name)
    assert [f.row for f in recognise(features, grown.local, range(9), RULE)] == [ninth_row]


def test_a_damaged_descriptor_file_is_detected_and_the_fix_named(tmp_path):
    damaged = tmp_path / "index"
    shutil.copytree(WHOLE_INDEX, damaged)
    path = damaged / "local" / "descriptors.npy"
    data = bytearray(path.read_bytes())
    data[-100:] = bytes(100)
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match=r"local/descriptors.npy .* does not match .*museum index build"):
        load_store(damaged)


def test_the_store_is_written_an_image_at_a_time_and_a_short_write_leaves_the_old_file(met, tmp_path):
    from retrieval.local.store import DESCRIPTORS, LocalFeatureStore, write_local_features, write_npy

    features = [met.local.features(row) for row in range(5)]
    write_local_features(tmp_path, features, met.local.spec)
    written = LocalFeatureStore(tmp_path, met.local.spec)
    assert len(written) == 5 and np.array_equal(written.features(4).descriptors, features[4].descriptors)
    before = (tmp_path / DESCRIPTORS).read_bytes()
    short = [f.descriptors for f in features[:2]]  # a build that stopped half way through its images
    with pytest.raises(ValueError, match="bytes written for an array of shape"):
        write_npy(tmp_path / DESCRIPTORS, (sum(len(f) for f in features), 128), np.uint8, short)
    assert (tmp_path / DESCRIPTORS).read_bytes() == before and len(list(tmp_path.glob("local/.*"))) == 0


def test_a_scale_bench_repeat_is_its_source_moved_and_thinned_and_the_store_reads_it_back(met, tmp_path):
    from app.bench.match_scale import Repeats
    from retrieval.local.store import LocalFeatureStore, write_local_features

    real = [met.local.features(row) for row in range(3)]
    rows = Repeats(real, sources=[1, 2], total=7, seed=0)
    repeat, kept = rows.repeat(4)  # the second repeat: of real row 2
    source = real[2]
    assert 0.6 * len(source) < len(repeat) < len(source)
    assert np.array_equal(repeat.descriptors, source.descriptors[kept])
    assert not np.allclose(repeat.xy, source.xy[kept]) and (repeat.xy >= 0).all()
    assert (repeat.xy <= np.array(source.size) - 1).all()
    words = rows.words([np.arange(len(f)) for f in real])
    assert len(words) == sum(len(f) for f in rows) and len(list(rows)) == 7
    write_local_features(tmp_path, rows, met.local.spec)
    stored = LocalFeatureStore(tmp_path, met.local.spec)
    assert len(stored) == 7 and np.array_equal(stored.features(4).descriptors, repeat.descriptors)


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def test_the_assistant_names_the_record_of_a_photo_at_an_angle_and_outlines_it(resources, met):
    row = next(i for i, r in enumerate(met.records) if r.title == "Irises")
    place = np.float32([[250, 200], [1300, 330], [1300, 900], [250, 1020]])
    state, reply = respond(resources, SessionState(), Message(image=_jpeg(on_wall([painting(met, row)], [place]))))
    match = reply.data["match"]
    assert match["title"] == "Irises" and match["method"] == "verified" and match["inliers"] >= 15
    assert "in the collection" in reply.text and reply.overlay is not None
    assert "not in this collection" not in reply.text


def test_a_twelve_megapixel_phone_photo_held_sideways_is_read_reduced_and_recognised(resources, met):
    from classifier.scenes import phone_jpeg
    from data.images import load_image

    row = next(i for i, r in enumerate(met.records) if r.title == "Irises")
    place = np.float32([[900, 600], [3200, 800], [3200, 2300], [900, 2500]])
    photo = phone_jpeg(on_wall([painting(met, row)], [place], size=(4032, 3024)), orientation=6, quality=90)
    assert load_image(photo, at_least=1024).size == (2016, 1512)  # decoded at half size, upright
    state, reply = respond(resources, SessionState(), Message(image=photo))
    assert reply.data["match"]["title"] == "Irises" and reply.data["match"]["inliers"] >= 15
    assert max(state.image.size) == 1024 and reply.overlay is not None
    assert reply.data["prediction"]["photographed"]  # its camera's EXIF: answered with a photo's doubt


def test_the_assistant_says_a_painting_is_not_in_the_collection_then_gives_the_style_guess(resources,
                                                                                         best_artworks_root):
    path = sorted((best_artworks_root / "images").rglob("*.jpg"))[321]
    photo = on_wall([Image.open(path).convert("RGB").resize((700, 600))],
                    [np.float32([[400, 250], [1200, 280], [1200, 950], [400, 980]])])
    _, reply = respond(resources, SessionState(), Message(image=_jpeg(photo)))
    assert reply.data["match"] is None and reply.overlay is None
    assert reply.text.startswith("This painting is not in this collection")
    assert reply.data["prediction"]["top"]  # the style guess follows


def test_and_the_other_one_turns_to_the_second_painting_in_the_photo(resources, met):
    left, right = 12, 77
    small = np.float32([[80, 400], [430, 410], [430, 820], [80, 830]])
    large = np.float32([[600, 200], [1400, 220], [1400, 1000], [600, 1020]])
    photo = on_wall([painting(met, left), painting(met, right)], [small, large])
    state, first = respond(resources, SessionState(), Message(image=_jpeg(photo)))
    assert first.data["match"]["row"] == right and "and the other one?" in first.text
    state, other = respond(resources, state, Message(text="and the other one?"))
    assert other.data["match"]["row"] == left and other.data["match"]["title"] in other.text
    _, again = respond(resources, state, Message(text="and the other one?"))
    assert again.data["match"]["row"] == right  # back to the first: both stay reachable


def test_the_matched_points_shown_on_why_lie_where_the_painting_is_in_the_photo(met):
    """Each pair drawn on "why?" joins a point of the photo (as shown, 1024 px) to the same point of the museum's
    image: carried through the warp that made the photo, the painting's point lands on the photo's."""
    row = 40
    image = painting(met, row)
    place = np.float32([[300, 150], [1250, 320], [1250, 900], [300, 1080]])
    photo = on_wall([image], [place], dim=0.8)
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", quality=90)
    resources = Resources.from_settings(Settings())
    _, reply = respond(resources, SessionState(), Message(image=buffer.getvalue()))
    match = reply.data["match"]
    assert match["title"] == met.records[row].title and 10 <= len(match["points"]) <= 40
    warp = cv2.getPerspectiveTransform(np.float32([[0, 0], [1, 0], [1, 1], [0, 1]]), place)
    shown_scale = 1024 / 1600
    for (x, y), (u, v) in match["points"]:
        expected = cv2.perspectiveTransform(np.float32([[[u, v]]]), warp)[0, 0] * shown_scale
        assert np.hypot(x - expected[0], y - expected[1]) < 0.01 * 1024, ((x, y), expected)


def test_the_candidates_are_the_shortlist_by_words_then_the_nearest_by_vector_each_once(met):
    from app.conversation.paintings import candidate_rows

    row = 40
    place = np.float32([[300, 150], [1250, 320], [1250, 900], [300, 1080]])
    features = extract(on_wall([painting(met, row)], [place], dim=0.45), "sift", 1024, 2000)
    settings = Settings(match_shortlist=4, match_global=3)
    by_words = [int(r) for r in met.local.shortlist(features, 4)[1]]
    elsewhere = [r for r in range(len(met.local)) if r not in by_words][:3]
    by_vector = [by_words[1], *elsewhere]  # one already shortlisted by words: verified once
    rows = candidate_rows(settings, met.local, features, by_vector)
    assert rows[0] == row and rows == [*by_words, *elsewhere[:2]]
