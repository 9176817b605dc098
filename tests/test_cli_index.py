"""`museum index build`, `museum similar`, `museum search` as a user runs them."""

from __future__ import annotations

import json
import shutil

from app.cli import main


def test_build_and_similar_on_a_folder(tmp_path, met_records, capsys):
    corpus = tmp_path / "photos"
    corpus.mkdir()
    for record in met_records[:5]:
        shutil.copy(record.image_path, corpus / record.image_path.name)
    (corpus / "readme.jpg").write_text("not an image")
    index_dir = tmp_path / "index"
    assert main(["index", "build", "--folder", str(corpus), "--index-dir", str(index_dir)]) == 0
    out = capsys.readouterr().out
    assert "5 artworks indexed" in out and "1 skipped" in out
    query = corpus / met_records[2].image_path.name
    assert main(["similar", str(query), "-k", "3", "--json", "--index-dir", str(index_dir)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result["results"]) == 3 and result["results"][0]["id"] == f"folder:{query.name}"
    assert set(result["results"][0]) >= {"id", "title", "artist", "score", "image_path", "rank"}


def test_a_rebuild_loads_the_encoder_for_a_new_image_only(tmp_path, met_records, capsys):
    corpus, index_dir = tmp_path / "photos", tmp_path / "index"
    corpus.mkdir()
    for record in met_records[:3]:
        shutil.copy(record.image_path, corpus / record.image_path.name)
    build = ["index", "build", "--folder", str(corpus), "--index-dir", str(index_dir)]
    assert main(build) == 0
    added = corpus / met_records[3].image_path.name
    shutil.copy(met_records[3].image_path, added)
    assert main(build) == 0  # the encoder is loaded on demand, for the one new painting
    assert "1 encoded, 3 reused" in capsys.readouterr().out.splitlines()[-1]
    assert main(["similar", str(added), "-k", "1", "--json", "--index-dir", str(index_dir)]) == 0
    assert json.loads(capsys.readouterr().out)["results"][0]["id"] == f"folder:{added.name}"


def test_similar_on_default_index_names_the_painting(met_image_path, capsys):
    assert main(["similar", str(met_image_path), "-k", "2"]) == 0
    assert "Irises — Vincent van Gogh" in capsys.readouterr().out


def test_similar_rejects_a_non_image_with_nonzero_exit(tmp_path, capsys):
    (tmp_path / "notes.jpg").write_text("hello")
    assert main(["similar", str(tmp_path / "notes.jpg")]) == 2
    assert "not an image" in capsys.readouterr().err


def test_similar_takes_several_images_one_json_line_each(met_records, tmp_path, capsys):
    (tmp_path / "notes.jpg").write_text("hello")
    images = [str(met_records[0].image_path), str(tmp_path / "notes.jpg"), str(met_records[1].image_path)]
    assert main(["similar", *images, "-k", "2", "--json"]) == 1  # one of three failed
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["image"] for line in lines] == images
    assert lines[0]["results"][0]["id"] == met_records[0].id and lines[2]["results"][0]["id"] == met_records[1].id
    assert "not an image" in lines[1]["error"] and lines[0]["encoder"] == "style-lite0"


def test_search_json_by_artist(capsys):
    assert main(["search", "paintings by Rembrandt", "--no-meaning", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["method"] == "metadata" and result["results"]
    assert all("Rembrandt" in r["artist"] for r in result["results"])


def test_missing_corpus_and_index_are_clear(tmp_path, capsys):
    assert main(["index", "build", "--folder", str(tmp_path / "absent"), "--index-dir", str(tmp_path / "i")]) == 2
    assert "no such folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["index", "build", "--folder", str(tmp_path / "empty"), "--index-dir", str(tmp_path / "i")]) == 2
    assert "no images" in capsys.readouterr().err
    assert main(["search", "monet", "--index-dir", str(tmp_path / "nothing")]) == 2
    assert "museum index build" in capsys.readouterr().err
    assert not (tmp_path / "i").exists()


def test_encoder_mismatch_from_the_command_line(met_image_path, capsys):
    from app.settings import Settings

    default_index = str(Settings().resolved_index_dir())
    assert main(["similar", str(met_image_path), "--encoder", "efficientnet-lite1", "--index-dir", default_index]) == 2
    assert "was built with encoder 'efficientnet-lite0'" in capsys.readouterr().err
    assert main(["similar", str(met_image_path), "--encoder", "efficientnet-lite1"]) == 2
    assert "museum index build --encoder efficientnet-lite1" in capsys.readouterr().err


def test_clip_encoder_index_and_text_to_image_search(tmp_path, met_records, tiny_clip_dir, capsys):
    """With a CLIP encoder the index is built with its image tower and search adds text-to-image matches."""
    directory, _ = tiny_clip_dir
    corpus = tmp_path / "photos"
    corpus.mkdir()
    for record in met_records[:4]:
        shutil.copy(record.image_path, corpus / record.image_path.name)
    flags = ["--encoder", f"open_clip:{directory}", "--index-dir", str(tmp_path / "clip-index")]
    assert main(["index", "build", "--folder", str(corpus), *flags]) == 0
    capsys.readouterr()
    assert main(["search", "a vase of blue flowers", "-k", "3", "--no-meaning", "--json", *flags]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["method"] == "metadata+clip" and len(result["results"]) == 3
    assert main(["similar", str(corpus / met_records[1].image_path.name), "-k", "1", "--json", *flags]) == 0
    assert json.loads(capsys.readouterr().out)["results"][0]["id"] == f"folder:{met_records[1].image_path.name}"
