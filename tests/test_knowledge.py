"""The artist knowledge base: the shipped file loads, names resolve however they are spelt."""

import pytest

from app.conversation.answers import about
from data.corpora import load_met, read_artists_csv
from data.knowledge import KAGGLE_SOURCE, KnowledgeError, age_at_death, load_knowledge


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


@pytest.mark.parametrize("spelling, artist", [
    ("Vincent van Gogh", "Vincent van Gogh"), ("van gough", "Vincent van Gogh"), ("VAN GOGH", "Vincent van Gogh"),
    ("picaso", "Pablo Picasso"), ("kandinsky", "Vasiliy Kandinskiy"), ("Kandinskiy", "Vasiliy Kandinskiy"),
    ("durer", "Albrecht Dürer"), ("Dürer", "Albrecht Dürer"), ("rembrant", "Rembrandt"),
    ("Rembrandt van Rijn", "Rembrandt"), ("Domenikos Theotokopoulos", "El Greco"), ("da Vinci", "Leonardo da Vinci"),
    ("Titian (Tiziano Vecellio)", "Titian"),
])
def test_find_matches_spellings_and_aliases(kb, spelling, artist):
    assert kb.find(spelling).name == artist


@pytest.mark.parametrize("word", ["money", "painting", "flowers", "landscape", "the", "hello", "", "🎨", "x" * 1000])
def test_find_does_not_match_ordinary_words(kb, word):
    assert kb.find(word) is None


def test_every_named_met_artist_is_in_the_knowledge_base(kb):
    named = {r.artist for r in load_met() if r.artist and r.artist != "Unidentified artist"}
    missing = {name for name in named if kb.find(name) is None}
    assert not missing


def test_mentions_finds_several_artists_in_order(kb):
    names = [e.name for e in kb.mentions("was picaso older than van gough, or was Durer?")]
    assert names == ["Pablo Picasso", "Vincent van Gogh", "Albrecht Dürer"]
    assert kb.mentions("what was his favourite food?") == []
    assert kb.mentions("show me more like this painting please") == []


def test_age_at_death_is_exact_only_with_full_dates(kb):
    assert age_at_death(kb.find("van gogh")) == (37, True)  # 30 March 1853 - 29 July 1890


def test_unreadable_file_is_a_clear_error(tmp_path):
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(KnowledgeError, match="unreadable"):
        load_knowledge(tmp_path / "bad.json")
    with pytest.raises(KnowledgeError, match="no artist knowledge base"):
        load_knowledge(tmp_path / "absent.json")


def test_kaggle_csv_is_attached_with_attribution(kb, best_artworks_root):
    merged = kb.with_kaggle(read_artists_csv(best_artworks_root / "artists.csv"))
    entry = merged.find("kandinsky")
    assert entry.external["source"] == KAGGLE_SOURCE
    assert entry.born == kb.find("kandinsky").born  # the KB's own facts are untouched
    assert "From the Kaggle artists.csv (Wikipedia): 1866 - 1944" in about(entry)
    only_csv = [e for e in merged.entries if e.external and kb.find(e.name) is None]
    assert all(e.born.year is None for e in only_csv)  # the CSV's facts stay attributed, never the KB's own


@pytest.mark.parametrize("sentence", ["can I book a guided tour?", "I love jones", "who is francis",
                                      "where is the derby", "the pane of glass", "the elder"])
def test_ordinary_sentences_name_no_artist(kb, sentence):
    # Last words that follow "of", "la", "the"... are places or epithets, not surnames.
    assert kb.mentions(sentence) == []


def test_surnames_alone_still_name_their_artist(kb):
    for surname, artist in (("holbein", "Hans Holbein the Younger"), ("burne-jones", "Edward Burne-Jones"),
                            ("gogh", "Vincent van Gogh"), ("la tour", "Georges de La Tour")):
        assert [e.name for e in kb.mentions(f"tell me about {surname}")] == [artist]
