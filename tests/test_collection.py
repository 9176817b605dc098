"""A museum's own collection: curator's files validated and merged, and the worked example of the whole path
(`museum collection init` on a small collection made from the Met paintings, then the assistant on it).

The worked example: four painters with four Met paintings each, their own Met metadata as the sidecar. The split
protocol (7 stratified folds) needs more than 4 works per painter, so FOR THIS TEST ONLY each painting also appears
as a mirrored copy (8 works per painter; a copy stays on the same side of the split as its original, being a near
duplicate) and the minimum is lowered to 8 with --min-works (MUSEUM_MIN_WORKS); the shipped minimum is 10.
"""

from __future__ import annotations

import csv
import json
import re
import shutil

import pytest
from PIL import Image, ImageOps

from app.cli import main
from app.cli.commands.shared import EXIT_OK, EXIT_USAGE
from app.conversation.engine import Message, SessionState, respond
from app.serving.resources import Resources
from app.settings import Settings
from data.curator import curated_knowledge, read_curator_file, store_entries
from data.knowledge import KnowledgeError, load_knowledge

PAINTERS = ("Paul Cézanne", "Vincent van Gogh", "El Greco (Domenikos Theotokopoulos)", "Auguste Renoir")
CURATOR_CSV = """name,aliases,gender,born,born_place,died,died_place,nationality,movements,notable_works,bio,source
Vincent van Gogh,Van Gogh;Vincent,male,1853-03-30,Zundert,1890-07-29,Auvers-sur-Oise,Dutch,Post-Impressionism,Irises; Wheat Field with Cypresses,Our curator's note: he painted Irises in the asylum garden at Saint-Rémy.,the curators of the Test Museum
Paul Cézanne,Cezanne,male,1839-01-19,Aix-en-Provence,1906-10-22,Aix-en-Provence,French,Post-Impressionism,,Our curator's note on Cézanne.,
"""


def _write_csv(path, text):
    path.write_text(text, encoding="utf-8")
    return path


# --- curator's files -------------------------------------------------------------------------------

def test_curator_csv_is_read_with_lists_dates_and_places(tmp_path):
    entries = read_curator_file(_write_csv(tmp_path / "artists.csv", CURATOR_CSV))
    gogh = entries[0]
    assert gogh.aliases == ("Van Gogh", "Vincent")
    assert gogh.notable_works == ("Irises", "Wheat Field with Cypresses")
    assert (gogh.born.year, gogh.born.date, gogh.born.place) == (1853, "1853-03-30", "Zundert")
    assert gogh.source == "the curators of the Test Museum"
    assert entries[1].source == "the museum's notes (artists.csv)"  # no source given: the file is named


def test_bad_rows_are_all_reported_by_line_painter_and_field(tmp_path):
    bad = _write_csv(tmp_path / "bad.csv", "name,born,died,gender\n"
                     "Ann Local,1801,1850,female\n"
                     "Dee Typo,18x5,1900,female\n"
                     "Bo Later,1900,1850,male\n"
                     "Cy Robot,1900,1950,robot\n"
                     ",1900,1950,male\n"
                     "Ann Local,1801,1850,female\n")
    with pytest.raises(KnowledgeError) as caught:
        read_curator_file(bad)
    message = str(caught.value)
    assert "5 problems" in message
    assert "line 3 (Dee Typo): born: '18x5' is not a year" in message
    assert "line 4 (Bo Later): entry: died (1850) before born (1900)" in message
    assert "line 5 (Cy Robot): gender: Input should be 'male', 'female' or 'other' (got 'robot')" in message
    assert "line 6: name: Field required" in message
    assert "line 7 (Ann Local): name: the same painter as line 2" in message


@pytest.mark.parametrize("content, suffix, reason", [
    ("name,nationalty\nAnn,French\n", ".csv", "unknown column nationalty"),
    ("{not json", ".json", "is not valid JSON"),
    ('{"painters": []}', ".json", "expected a list of painters"),
    ('[{"name": "Ann", "borne": 1900}]', ".json", "entry 1 (Ann): borne: unknown field"),
    ('[{"name": "Ann", "born": {"date": "1900-02-30"}}]', ".json", "not a real day"),
    ("name\n", ".csv", "holds no painters"),
    ("name\nAnn\n", ".txt", "is .json or .csv"),
])
def test_bad_files_get_clear_errors(tmp_path, content, suffix, reason):
    with pytest.raises(KnowledgeError, match=re.escape(reason)):
        read_curator_file(_write_csv(tmp_path / f"file{suffix}", content))


def test_museum_entry_wins_over_the_shipped_one_and_keeps_its_spellings(tmp_path):
    shipped = load_knowledge()
    kb = curated_knowledge([_write_csv(tmp_path / "artists.csv", CURATOR_CSV)])
    assert len(kb) == len(shipped)  # replaced, not added
    gogh = kb.find("van gough")
    assert gogh.bio.startswith("Our curator's note") and gogh.source == "the curators of the Test Museum"
    assert set(shipped.find("van gogh").names) <= set(gogh.names)  # every spelling that worked still does
    local = curated_knowledge([_write_csv(tmp_path / "local.json", json.dumps(
        [{"name": "Ann Local", "born": "c. 1901", "movements": ["Regional Realism"]}]))])
    assert len(local) == len(shipped) + 1 and local.find("ann local").born.approximate


def test_store_is_merged_and_rewritten_by_name(tmp_path):
    store = tmp_path / ".museum" / "artists.json"
    entries = read_curator_file(_write_csv(tmp_path / "artists.csv", CURATOR_CSV))
    assert store_entries(store, entries) == (2, 0, 2)
    assert store_entries(store, entries[:1]) == (0, 1, 2)
    assert [e.name for e in read_curator_file(store)] == ["Vincent van Gogh", "Paul Cézanne"]
    assert read_curator_file(store)[1].source == "the museum's notes (artists.csv)"  # the original file, kept


def test_knowledge_add_needs_a_collection_and_stores_into_it(tmp_path, capsys):
    curator = _write_csv(tmp_path / "artists.csv", CURATOR_CSV)
    assert main(["knowledge", "add", str(curator)]) == EXIT_USAGE
    assert "--collection" in capsys.readouterr().err
    assert main(["knowledge", "add", str(curator), "--collection", str(tmp_path)]) == EXIT_OK
    assert "2 painters added" in capsys.readouterr().out
    assert Settings(collection=tmp_path).curator_files() == [tmp_path / ".museum" / "artists.json"]


def test_no_collection_leaves_the_shipped_defaults(monkeypatch):
    for name in ("MUSEUM_COLLECTION", "MUSEUM_KNOWLEDGE_FILES", "MUSEUM_INDEX_DIR", "MUSEUM_HEADS_DIR"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.curator_files() == []
    assert settings.resolved_index_dir().parent.name == "index"
    assert settings.resolved_heads_dir().parent.name == "weights"
    assert Resources(settings).kb.entries == load_knowledge().entries


# --- the worked example --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def museum(tmp_path_factory, met_records):
    """A collection folder (Met images + their metadata as metadata.csv), a curator's file, `collection init`."""
    root = tmp_path_factory.mktemp("test-museum")
    rows = []
    for record in met_records:
        if record.artist not in PAINTERS:
            continue
        base = {"title": record.title, "artist": record.artist, "date": record.date, "medium": record.medium}
        shutil.copy(record.image_path, root / record.image_path.name)
        with Image.open(record.image_path) as image:
            ImageOps.mirror(image.convert("RGB")).save(root / f"mirrored-{record.image_path.name}", quality=92)
        rows += [{"file": record.image_path.name, **base},
                 {"file": f"mirrored-{record.image_path.name}", **base, "title": f"{record.title} (mirrored copy)"}]
    with open(root / "metadata.csv", "w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    curator = _write_csv(tmp_path_factory.mktemp("curator") / "artists.csv", CURATOR_CSV)
    return root, curator, _other_painters(tmp_path_factory.mktemp("other-painters"), met_records)


def _other_painters(root, met_records):
    """The known/unknown rule's other painters: the Met's named painters outside the collection, by painter."""
    rows = []
    for record in met_records:
        if record.artist in PAINTERS or record.artist.casefold() in ("", "unidentified artist"):
            continue
        shutil.copy(record.image_path, root / record.image_path.name)
        rows.append({"file": record.image_path.name, "artist": record.artist})
    with open(root / "metadata.csv", "w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=["file", "artist"])
        writer.writeheader()
        writer.writerows(rows)
    return root


@pytest.fixture(scope="module")
def initialised(museum):
    root, curator, others = museum
    code = main(["collection", "init", str(root), "--artists", str(curator), "--min-works", "8",
                 "--other-painters", str(others), "--json"])
    assert code == EXIT_OK
    return root


def test_collection_init_reports_what_the_assistant_knows(initialised, capsys):
    root = initialised
    assert (root / ".museum" / "index-efficientnet-lite0" / "manifest.json").is_file()
    assert (root / ".museum" / "index-efficientnet-lite0" / "local" / "descriptors.npy").is_file()  # recognition
    manifest = json.loads((root / ".museum" / "heads-efficientnet-lite0" / "manifest.json").read_text())
    assert sorted(manifest["artists"]) == sorted(PAINTERS)
    assert manifest["data"]["folder"]["works"] == {name: 8 for name in sorted(PAINTERS)}


def test_a_collection_painting_is_named_with_the_curators_facts_and_similar_paintings(initialised, met_records):
    root = initialised
    resources = Resources(Settings(collection=root))
    irises = next(r for r in met_records if r.title == "Irises")
    state, reply = respond(resources, SessionState(), Message(text="who painted this?", image=str(irises.image_path)))
    assert reply.data["match"]["artist"] == "Vincent van Gogh"  # the collection's own record names it
    assert reply.data["match"]["method"] == "verified"  # by the keypoints `collection init` stored
    assert (
        reply.data["prediction"]["top"][0]["artist"] == "Vincent van Gogh"
    )  # the heads trained on the collection agree
    assert set(resources.classifier.artists) == set(PAINTERS)
    assert reply.data["artist_card"]["source"] == "the curators of the Test Museum"
    assert all(str(path).startswith(str(root)) for path in reply.images) and reply.images  # similar: the collection
    state, reply = respond(resources, state, Message(text="tell me about him"))
    assert "Our curator's note" in reply.text and "Source: the curators of the Test Museum" in reply.text
    state, reply = respond(resources, state, Message(text="where was he born?"))
    assert "Zundert" in reply.text and "the curators of the Test Museum" in reply.text


def test_too_few_works_are_refused_by_name_with_counts(museum, capsys):
    root, _, _ = museum
    assert main(["train", "--folder", str(root), "--heads-dir", str(root / "unused")]) == EXIT_USAGE
    error = capsys.readouterr().err
    assert "Auguste Renoir (8)" in error and "10 or more works" in error
    assert not (root / "unused").exists()


# --- labels from a folder's sidecar (no image is decoded: the files only need to exist) -----------------------

def _labelled_folder(root, works: dict[str, int], unlabelled: int = 0):
    rows = [{"file": f"{name.replace(' ', '_')}-{n}.jpg", "artist": name} for name, count in works.items()
            for n in range(count)]
    rows += [{"file": f"unknown-{n}.jpg", "artist": "Unidentified artist" if n % 2 else ""} for n in range(unlabelled)]
    for row in rows:
        (root / row["file"]).write_bytes(b"")
    with open(root / "metadata.csv", "w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=["file", "artist"])
        writer.writeheader()
        writer.writerows(rows)
    return root


def test_folder_painters_below_the_minimum_are_named_with_their_counts(tmp_path):
    from classifier.folder_corpus import folder_corpus

    root = _labelled_folder(tmp_path, {"Ann Local": 12, "Bo Local": 10, "Cy Local": 3}, unlabelled=2)
    kb = curated_knowledge([_write_csv(tmp_path / "a.csv", "name,movements\nAnn Local,Naturalism;Realism\n")])
    corpus, labels = folder_corpus(root, kb, min_works=10)
    assert labels.works == {"Ann Local": 12, "Bo Local": 10, "Cy Local": 3}
    assert labels.refused == {"Cy Local": 3} and labels.unlabelled == 2
    assert corpus.artists == ["Ann Local", "Bo Local"] and len(corpus.paths) == 22
    assert corpus.genres == ["Naturalism", "Realism"]  # movements from the curator's file
    assert corpus.membership.tolist() == [[1, 1], [0, 0]]


def test_folder_painters_are_added_to_a_base_corpus(tmp_path):
    import numpy as np

    from classifier.folder_corpus import folder_corpus
    from classifier.train import LabelledCorpus

    base = LabelledCorpus(paths=[tmp_path / "k1.jpg", tmp_path / "k2.jpg"], labels=np.array([0, 1]),
                          artists=["Vincent van Gogh", "Claude Monet"], genres=["Impressionism", "Post-Impressionism"],
                          membership=np.array([[0, 1], [1, 0]], dtype=np.float32),
                          data={"name": "best-artworks", "images": 2, "files_sha256": "x"})
    (tmp_path / "museum").mkdir()
    root = _labelled_folder(tmp_path / "museum", {"Ann Local": 10, "Vincent van Gogh": 2})
    corpus, labels = folder_corpus(root, curated_knowledge([]), min_works=10, base=base)
    assert corpus.artists == ["Vincent van Gogh", "Claude Monet", "Ann Local"]
    assert labels.joined == {"Vincent van Gogh": "Vincent van Gogh"} and labels.refused == {}
    assert np.bincount(corpus.labels).tolist() == [3, 1, 10]
    assert corpus.membership.shape == (3, 2) and corpus.data["name"] == "best-artworks+museum"


# --- onboarding that finishes: few works per painter, no other painters -------------------------------

def _met_folder(root, met_records, painters: int, works: int):
    """`painters` Met painters with `works` paintings each (their own images and metadata) as a collection."""
    by_painter = {}
    for record in met_records:
        if record.artist.casefold() not in ("", "unidentified artist"):
            by_painter.setdefault(record.artist, []).append(record)
    chosen = [name for name, records in by_painter.items() if len(records) >= works][:painters]
    rows = []
    for name in chosen:
        for record in by_painter[name][:works]:
            shutil.copy(record.image_path, root / record.image_path.name)
            rows.append({"file": record.image_path.name, "title": record.title, "artist": name, "date": record.date})
    with open(root / "metadata.csv", "w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return root, chosen


def test_collection_init_with_one_work_per_painter_finishes_and_says_what_training_needs(tmp_path, met_records,
                                                                                        capsys):
    (tmp_path / "small-museum").mkdir()
    root, painters = _met_folder(tmp_path / "small-museum", met_records, painters=4, works=1)
    assert main(["collection", "init", str(root), "--json"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)  # stdout is the report alone
    assert (root / ".museum" / "index-efficientnet-lite0" / "manifest.json").is_file()
    assert (root / ".museum" / "index-efficientnet-lite0" / "local" / "descriptors.npy").is_file()  # recognition
    assert report["paintings_indexed"] == 4 and report["training"] is None
    assert not (root / ".museum" / "heads-efficientnet-lite0").exists()
    needs = report["training_needs"]
    assert needs["painters_short"] == {name: {"works": 1, "more_needed": 9} for name in sorted(painters)}
    assert needs["painters_ready"] == [] and needs["other_painters"] is None
    assert needs["command"] == f"museum train --folder {root} --other-painters OTHERS"
    assert any(item.startswith("no classifier trained: it needs 2 painters with 10 or more works each and a folder "
                               "of paintings by other painters") for item in report["missing"])

    assert main(["collection", "init", str(root)]) == EXIT_OK  # the words a person reads
    text = capsys.readouterr().out
    assert "To train the classifier later:" in text and f"{sorted(painters)[0]}: 1 (needs 9 more)" in text
    assert "known/unknown rule" in text and f"then run: museum train --folder {root} --other-painters OTHERS" in text


def test_collection_init_without_other_painters_indexes_and_names_the_command(tmp_path, met_records, capsys):
    (tmp_path / "museum").mkdir()
    root, painters = _met_folder(tmp_path / "museum", met_records, painters=2, works=2)
    assert main(["collection", "init", str(root), "--min-works", "2", "--json"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["training"] is None and report["paintings_indexed"] == 4
    needs = report["training_needs"]
    assert needs["enough_painters"] and needs["painters_ready"] == sorted(painters) and needs["painters_short"] == {}
    assert needs["command"] == f"museum train --folder {root} --min-works 2 --other-painters OTHERS"
    assert "no classifier trained: it needs a folder of paintings by other painters (--other-painters)" \
        in report["missing"]


def test_collection_init_refuses_a_missing_other_painters_folder_before_writing(tmp_path, met_records, capsys):
    (tmp_path / "museum").mkdir()
    root, _ = _met_folder(tmp_path / "museum", met_records, painters=2, works=1)
    assert main(["collection", "init", str(root), "--other-painters", str(tmp_path / "nowhere")]) == EXIT_USAGE
    assert "no such folder of other painters" in capsys.readouterr().err
    assert not (root / ".museum").exists()
