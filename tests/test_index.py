"""The index store: build, search, incremental update, resume, corruption and mismatch."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from data.corpora import load_folder
from data.images import load_image
from retrieval.engines import ENGINES, LOCAL, encode_locally
from retrieval.query import metadata_search, similar_to_image, year_range
from retrieval.shards import ShardRow, ShardSet
from retrieval.store import (
    SHARDS_DIR,
    BuildOptions,
    Corpus,
    IndexCorruptError,
    IndexMismatchError,
    IndexMissingError,
    build_store,
    load_store,
    read_manifest,
)
from retrieval.vector_index import FLAT, HNSW, IVFPQ, IvfPqParams, build_index, describe, search


@pytest.fixture()
def small_folder(tmp_path, met_records):
    """Six real Met paintings and one broken file in a folder corpus."""
    root = tmp_path / "corpus"
    root.mkdir()
    for record in met_records[:6]:
        shutil.copy(record.image_path, root / record.image_path.name)
    (root / "zero.jpg").write_bytes(b"")
    return root


def build(root, directory, encoder, **kwargs):
    return build_store(load_folder(root), encoder, directory, Corpus("folder", root), {"test": True}, **kwargs)


def test_build_then_search_finds_the_painting_itself(small_folder, tmp_path, lite0):
    report = build(small_folder, tmp_path / "index", lite0)
    assert (report.encoded, report.count) == (6, 6)
    assert list(report.skipped.values()) == ["zero.jpg: the file is empty"]
    loaded = load_store(tmp_path / "index", "efficientnet-lite0")
    manifest = read_manifest(tmp_path / "index")
    assert manifest["encoder"]["dim"] == 1280 and manifest["count"] == 6 and manifest["index_kind"] == FLAT
    assert json.loads((tmp_path / "index" / "settings.json").read_text()) == {"test": True}
    query = loaded.records[3]
    hits = similar_to_image(lite0, loaded, load_image(query.image_path), k=3)
    assert hits[0].record.id == query.id and hits[0].score > 0.99
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_rebuild_reuses_unchanged_and_encodes_only_changes(small_folder, tmp_path, lite0):
    build(small_folder, tmp_path / "index", lite0)
    again = build(small_folder, tmp_path / "index", lite0)
    assert again.encoded == 0 and again.reused == 6
    first = sorted(small_folder.glob("*.jpg"))[0]
    first.unlink()
    Image.new("RGB", (64, 64), (10, 200, 30)).save(small_folder / "new.jpg")
    changed = build(small_folder, tmp_path / "index", lite0)
    assert (changed.encoded, changed.reused, changed.removed, changed.count) == (1, 5, 1, 6)
    ids = {r.image_path.name for r in load_store(tmp_path / "index").records}
    assert "new.jpg" in ids and first.name not in ids


def test_touched_but_identical_file_is_not_re_encoded(small_folder, tmp_path, lite0):
    build(small_folder, tmp_path / "index", lite0)
    path = sorted(small_folder.glob("*.jpg"))[1]
    path.write_bytes(path.read_bytes())  # new mtime, same content
    report = build(small_folder, tmp_path / "index", lite0)
    assert report.encoded == 0 and report.reused == 6


def test_interrupted_build_resumes_from_saved_shards(small_folder, tmp_path, lite0, monkeypatch, interrupted):
    options = BuildOptions(shard_size=2)
    monkeypatch.setitem(ENGINES, LOCAL, interrupted(2, encode_locally))
    with pytest.raises(KeyboardInterrupt):
        build(small_folder, tmp_path / "index", lite0, options=options)
    assert not (tmp_path / "index" / "manifest.json").exists()
    assert ShardSet(tmp_path / "index" / SHARDS_DIR, lite0.name, lite0.dim).count() == 4
    monkeypatch.setitem(ENGINES, LOCAL, encode_locally)
    report = build(small_folder, tmp_path / "index", lite0, options=options)
    assert (report.resumed, report.encoded, report.count) == (4, 2, 6)
    assert not (tmp_path / "index" / SHARDS_DIR).exists()  # a flat index holds its vectors: shards are gone


def test_shards_are_listed_only_when_whole(tmp_path):
    shards = ShardSet(tmp_path, "enc", 4)
    vectors = np.arange(12, dtype=np.float32).reshape(3, 4)
    first = shards.write(["a", "b", "c"], vectors)
    (tmp_path / "shard-000001.npy").write_bytes(b"torn")  # a shard whose writer was killed before the manifest
    assert shards.count() == 3 and set(shards.locations()) == {"a", "b", "c"}
    assert shards.write(["d"], vectors[:1]) == "shard-000001"  # the torn file is simply replaced
    located = shards.locations()
    np.testing.assert_array_equal(shards.gather([located["d"], located["b"]]), vectors[[0, 1]])
    assert located["c"] == ShardRow(first, 2)
    assert ShardSet(tmp_path, "another-encoder", 4).locations() == {}
    with pytest.raises(ValueError):
        shards.write(["e"], vectors)


def test_ivfpq_index_round_trip_through_the_store(small_folder, tmp_path, lite0):
    """A tiny IVF-PQ (2 lists, 16 two-bit codes: six images train no more), re-ranked by 8-bit scalar codes,
    stands in for a large one."""
    params = IvfPqParams(pca=0, nlist=2, m=16, nbits=2, nprobe=2, refine="SQ8", k_factor=3)
    options = BuildOptions(kind=IVFPQ, ivfpq=params, shard_size=4)
    report = build(small_folder, tmp_path / "index", lite0, options=options)
    manifest = read_manifest(tmp_path / "index")
    assert report.count == 6 and manifest["index_kind"] == IVFPQ
    assert manifest["index"] == {"kind": IVFPQ, "pca": 0, "nlist": 2, "m": 16, "nbits": 2, "nprobe": 2,
                                 "refine": "SQ8", "k_factor": 3, "train_size": 6}
    loaded = load_store(tmp_path / "index", lite0.name, nprobe=1, k_factor=2)
    assert describe(loaded.index) | {"nprobe": 1, "k_factor": 2} == describe(loaded.index)  # overridden on load
    query = loaded.records[2]
    hits = similar_to_image(lite0, loaded, load_image(query.image_path), k=3)
    assert hits[0].record.id == query.id
    assert ShardSet(tmp_path / "index" / SHARDS_DIR, lite0.name, lite0.dim).count() == 6  # kept for rebuilds
    again = build(small_folder, tmp_path / "index", lite0, options=options)
    assert (again.encoded, again.reused) == (0, 6)


def test_encoder_mismatch_is_explained_and_nothing_is_overwritten(small_folder, tmp_path, lite0):
    build(small_folder, tmp_path / "index", lite0)
    before = (tmp_path / "index" / "index.faiss").read_bytes()
    with pytest.raises(IndexMismatchError, match="museum index build --encoder efficientnet-lite2"):
        load_store(tmp_path / "index", "efficientnet-lite2")
    from retrieval.encoders import load_encoder

    with pytest.raises(IndexMismatchError):
        build(small_folder, tmp_path / "index", load_encoder("efficientnet-lite2"))
    assert (tmp_path / "index" / "index.faiss").read_bytes() == before


def test_damaged_index_is_detected(small_folder, tmp_path, lite0):
    build(small_folder, tmp_path / "index", lite0)
    with open(tmp_path / "index" / "index.faiss", "r+b") as stream:
        stream.seek(200)
        stream.write(b"\x00\x01\x02\x03")
    with pytest.raises(IndexCorruptError, match="does not match its manifest"):
        load_store(tmp_path / "index")
    (tmp_path / "index" / "manifest.json").write_text("{not json")
    with pytest.raises(IndexCorruptError, match="unreadable"):
        load_store(tmp_path / "index")
    with pytest.raises(IndexMissingError, match="museum index build"):
        load_store(tmp_path / "nowhere")


def test_committed_default_index_matches_the_met_corpus(met_records, lite0, met_image_path):
    from app.settings import Settings

    loaded = load_store(Settings().resolved_index_dir(), "efficientnet-lite0")
    assert len(loaded) == 174 and {r.id for r in loaded.records} == {r.id for r in met_records}
    hits = similar_to_image(lite0, loaded, load_image(met_image_path), k=1)
    assert hits[0].record.title == "Irises" and hits[0].score > 0.99


def test_hnsw_recall_against_exact_on_clustered_vectors():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(50, 64))
    vectors = centres[rng.integers(0, 50, 4000)] + 0.3 * rng.normal(size=(4000, 64))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    exact, approx = build_index(vectors, FLAT), build_index(vectors, HNSW)
    _, truth = search(exact, vectors[:100], 10)
    _, found = search(approx, vectors[:100], 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(truth, found)])
    assert recall >= 0.95
    assert search(exact, vectors[:1], 10_000)[1].shape == (1, 4000)


def test_metadata_search_words_decades_and_accents(met_records):
    assert year_range("paintings from the 1880s") == (1880, 1889)
    assert year_range("17th century portraits") == (1600, 1699)
    by_van_gogh = metadata_search(met_records, "paintings by Van Gogh", k=10)
    assert by_van_gogh and all(h.record.artist == "Vincent van Gogh" for h in by_van_gogh)
    assert {h.record.artist for h in metadata_search(met_records, "durer", k=5)} == {"Albrecht Dürer"}
    eighties = metadata_search(met_records, "from the 1880s", k=50)
    assert eighties and all(
        h.record.extra["begin_year"] <= 1889 and h.record.extra["end_year"] >= 1880 for h in eighties
    )
    assert metadata_search(met_records, "zzqx nonsense", k=5) == []


def test_ivfpq_factory_fits_the_code_to_the_dimension():
    """PQ cuts a vector into m equal parts: the 49-d style embedding gets 49 four-bit codes, the 1280-d one 64."""
    assert IvfPqParams().factory(49, 10_000_000) == "IVF16384_HNSW32,PQ49x4,Refine(SQfp16)"
    assert IvfPqParams(nbits=8, refine="").factory(1280, 1_000_000) == "IVF4096_HNSW32,PQ64x8"
    with_pca = IvfPqParams(pca=48, m=16, nbits=8, refine="SQ8").factory(49, 100_000)
    assert with_pca == "PCAR48,IVF1024_HNSW32,PQ16x8,Refine(SQ8)"
