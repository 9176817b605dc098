"""Corpus loaders and robust image decoding, on real files."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from data.corpora import (
    CorpusError,
    ascii_key,
    load_best_artworks,
    load_corpus,
    load_folder,
    parse_years,
    split_multi,
)
from data.images import ImageError, load_image


def test_met_corpus_has_all_174_paintings_with_metadata(met_records):
    assert len(met_records) == 174
    irises = next(r for r in met_records if r.title == "Irises")
    assert irises.artist == "Vincent van Gogh" and irises.date == "1890"
    assert irises.licence.startswith("CC0") and irises.url.startswith("https://www.metmuseum.org/")
    assert irises.image_path.is_file() and "dimensions" in irises.extra


def test_kaggle_quirks_are_parsed():
    assert parse_years("1853 – 1890") == (1853, 1890)
    assert parse_years("1841 - 1919") == (1841, 1919)
    assert split_multi("Symbolism,Post-Impressionism") == ["Symbolism", "Post-Impressionism"]
    assert ascii_key("Albrecht Dürer") == "Albrecht_Durer"


def test_best_artworks_flat_layout(best_artworks_root):
    corpus = load_best_artworks(best_artworks_root)
    assert len(corpus.records) == 6684 and not corpus.unknown_files
    assert len({r.artist for r in corpus.records}) == 50
    durer = [r for r in corpus.records if r.image_path.name.startswith("Albrecht_Durer_")]
    assert durer and all(r.artist == "Albrecht Dürer" for r in durer)
    klee = corpus.artists.set_index("name").loc["Paul Klee"]
    assert klee.genres == ["Expressionism", "Abstractionism", "Surrealism"] and klee.born == 1879


def test_best_artworks_per_artist_folders_and_unknown_names(best_artworks_root, tmp_path):
    shutil.copy(best_artworks_root / "artists.csv", tmp_path / "artists.csv")
    for name, folder in (("Albrecht_Durer_1.jpg", "Albrecht_Dürer"), ("Claude_Monet_2.jpg", "Claude_Monet")):
        (tmp_path / "images" / folder).mkdir(parents=True)
        shutil.copy(best_artworks_root / "images" / name, tmp_path / "images" / folder / name)
    (tmp_path / "images" / "Nobody_Known_1.jpg").write_bytes(
        (best_artworks_root / "images" / "Claude_Monet_2.jpg").read_bytes()
    )
    corpus = load_best_artworks(tmp_path)
    assert sorted(r.artist for r in corpus.records) == ["Albrecht Dürer", "Claude Monet"]
    assert [p.name for p in corpus.unknown_files] == ["Nobody_Known_1.jpg"]


def test_folder_corpus_reads_sidecars(tmp_path, met_image_path):
    (tmp_path / "room1").mkdir()
    shutil.copy(met_image_path, tmp_path / "room1" / "irises.jpg")
    shutil.copy(met_image_path, tmp_path / "other.jpg")
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "metadata.csv").write_text("file,title,artist,room\nroom1/irises.jpg,Irises,Vincent van Gogh,1\n")
    (tmp_path / "other.jpg.json").write_text(json.dumps({"title": "Copy", "date": "1890"}))
    records = {r.image_path.name: r for r in load_folder(tmp_path)}
    assert set(records) == {"irises.jpg", "other.jpg"}
    assert records["irises.jpg"].artist == "Vincent van Gogh" and records["irises.jpg"].extra == {"room": "1"}
    assert records["other.jpg"].title == "Copy" and records["other.jpg"].date == "1890"


def test_painter_labelled_folder_reads_its_manifest(tmp_path, met_image_path):
    # The other-painters layout: <painter>/<Style>__<title>.jpg listed in manifest.csv.
    (tmp_path / "ad-reinhardt").mkdir()
    shutil.copy(met_image_path, tmp_path / "ad-reinhardt" / "Minimalism__abstract-painting.jpg")
    (tmp_path / "manifest.csv").write_text("file,artist,style,sha256\n"
                                           "ad-reinhardt/Minimalism__abstract-painting.jpg,ad-reinhardt,Minimalism,x\n")
    [record] = load_folder(tmp_path)
    assert record.artist == "ad-reinhardt" and record.extra["style"] == "Minimalism"


def test_missing_corpus_is_a_clear_error(tmp_path):
    with pytest.raises(CorpusError, match="no such folder"):
        load_corpus("folder", tmp_path / "absent")
    with pytest.raises(CorpusError, match="artists.csv"):
        load_best_artworks(tmp_path)


@pytest.mark.parametrize("mode", ["L", "CMYK", "P", "RGBA", "LA", "I;16", "F", "1"])
def test_every_pixel_mode_decodes_to_rgb(tmp_path, mode):
    image = Image.new("RGB", (40, 30), (200, 100, 50))
    if mode == "I;16":
        converted = Image.fromarray((np.arange(1200).reshape(30, 40) * 50).astype(np.uint16))
    elif mode == "F":
        converted = image.convert("L").convert("F")
    else:
        converted = image.convert(mode)
    path = tmp_path / ("image.tif" if mode in ("CMYK", "I;16", "F") else "image.png")
    converted.save(path)
    decoded = load_image(path)
    assert decoded.mode == "RGB" and decoded.size == (40, 30)


def test_exif_orientation_is_applied(tmp_path):
    image = Image.new("RGB", (60, 20), (255, 0, 0))
    exif = image.getexif()
    exif[0x0112] = 6  # rotated 90°: the stored landscape is shown as portrait
    image.save(tmp_path / "rotated.jpg", exif=exif)
    assert load_image(tmp_path / "rotated.jpg").size == (20, 60)


def test_transparent_areas_become_white(tmp_path):
    Image.new("RGBA", (8, 8), (0, 0, 0, 0)).save(tmp_path / "clear.png")
    assert load_image(tmp_path / "clear.png").getpixel((0, 0)) == (255, 255, 255)


def test_bad_files_raise_clear_errors(tmp_path, met_image_path):
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "text.jpg").write_text("hello, I am not a painting")
    (tmp_path / "truncated.jpg").write_bytes(met_image_path.read_bytes()[:5000])
    with pytest.raises(ImageError, match="empty"):
        load_image(tmp_path / "empty.jpg")
    with pytest.raises(ImageError, match="not an image"):
        load_image(tmp_path / "text.jpg")
    with pytest.raises(ImageError, match="damaged or truncated"):
        load_image(tmp_path / "truncated.jpg")
    with pytest.raises(ImageError, match="no such file"):
        load_image(tmp_path / "absent.jpg")


def test_decompression_bomb_is_refused(tmp_path):
    Image.new("L", (4000, 4000)).save(tmp_path / "big.png")
    with pytest.raises(ImageError, match="too large"):
        load_image(tmp_path / "big.png", max_pixels=1_000_000)


def test_bytes_upload_decodes(met_image_path):
    assert load_image(met_image_path.read_bytes()).mode == "RGB"


def test_a_phone_photo_is_told_from_a_reproduction_by_the_camera_in_its_exif(met_image_path):
    import io

    from classifier.scenes import phone_jpeg
    from data.images import taken_by_camera

    painting = load_image(met_image_path)
    assert not taken_by_camera(painting)  # a museum's reproduction names no camera
    photo = load_image(phone_jpeg(painting, orientation=6))
    assert taken_by_camera(photo) and photo.size == painting.size  # the camera survives decoding and turning

    def jpeg(exif: Image.Exif | bytes) -> bytes:
        buffer = io.BytesIO()
        painting.save(buffer, format="JPEG", exif=exif if isinstance(exif, bytes) else exif.tobytes())
        return buffer.getvalue()

    blank = Image.Exif()
    blank[0x010F] = "  "  # a maker's tag left empty by an editing app
    assert not taken_by_camera(load_image(jpeg(blank)))
    damaged = load_image(jpeg(b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff"))  # an EXIF block cut short
    assert damaged.size == painting.size and not taken_by_camera(damaged)
