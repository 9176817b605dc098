"""Text search on the Met corpus (the default collection): what visitors type, and what each query must and
must not return."""

from __future__ import annotations

import json

import pytest

from data.genres import LANDSCAPE, PORTRAIT, RELIGIOUS, SEASCAPE, STILL_LIFE, genres_from_title, infer_genres
from retrieval.query import default_knowledge
from retrieval.search import SearchIndex, year_range

CARD_PLAYERS, IRISES, JALAIS_HILL = "The Card Players", "Irises", "Jalais Hill, Pontoise"

# query -> (titles it must return, titles it must not return)
QUERIES = {
    "impressionist landscapes": ({JALAIS_HILL}, {CARD_PLAYERS, IRISES, "Wheat Field with Cypresses",
                                                 "Madame Cézanne (Hortense Fiquet, 1850–1922) in a Red Dress"}),
    "impressionists": ({"The Dance Class", "By the Seashore", "Boating"}, {CARD_PLAYERS, IRISES}),
    "post-impressionist paintings": ({CARD_PLAYERS, IRISES, "Circus Sideshow (Parade de cirque)"},
                                     {"The Dance Class", "By the Seashore"}),
    "1600s still life": ({"A Bouquet of Flowers"}, {IRISES, "Still Life with Apples and a Pot of Primroses"}),
    "renaissance madonna": ({"Madonna and Child Enthroned with Saints"}, {"Virgin and Child", CARD_PLAYERS}),
    "religious paintings from the 14th century": ({"The Adoration of the Magi", "The Last Supper"},
                                                  {"The Annunciation", "Madonna and Child Enthroned with Saints"}),
    "card players": ({CARD_PLAYERS}, {IRISES}),
    "horses": ({"The Horse Fair", "Night-Shining White"}, {IRISES}),
    "portraits by rembrandt": ({"Self-Portrait", "Portrait of Gerard de Lairesse"}, {"Queen Henrietta Maria"}),
}


@pytest.fixture(scope="module")
def words_only(met_records):
    return SearchIndex(met_records, default_knowledge())


def titles(index, query, k=50):
    return [index.records[row].title for row in index.search(query, k).rows]


@pytest.mark.parametrize("query", sorted(QUERIES))
def test_query_table_on_the_met_corpus(words_only, query):
    must, must_not = QUERIES[query]
    found = titles(words_only, query)
    assert must <= set(found), f"{query!r} missed {must - set(found)}"
    assert not must_not & set(found), f"{query!r} returned {must_not & set(found)}"


def test_facets_hold_for_every_result(words_only):
    for row in words_only.search("impressionist landscapes", 50).rows:
        facets = words_only.facets[row]
        assert LANDSCAPE in facets.genres and "Impressionism" in facets.movements
    for row in words_only.search("paintings by Van Gogh", 50).rows:
        assert words_only.records[row].artist == "Vincent van Gogh"
    assert titles(words_only, "card players", 1) == [CARD_PLAYERS]
    assert titles(words_only, "horses", 1) == ["The Horse Fair"]
    assert words_only.search("zzqx nonsense").rows == []


def test_17th_century_portraits_are_all_found(words_only, met_records):
    # Counted from the museum's own metadata: a Portraits or Self-portraits subject tag, dated within 1600-1699.
    expected = {r.title for r in met_records
                if {"Portraits", "Self-portraits"} & set(r.extra["tags"])
                and r.extra["begin_year"] <= 1699 and r.extra["end_year"] >= 1600}
    assert len(expected) == 12
    found = titles(words_only, "17th century portraits")
    assert set(found) == expected
    assert set(titles(words_only, "portraits from the seventeenth century")) == expected
    assert set(titles(words_only, "portraits of the 1600s")) == expected


def test_dates_read_from_queries():
    assert year_range("paintings from the 1880s") == (1880, 1889)
    assert year_range("17th century portraits") == year_range("1600s portraits") == (1600, 1699)
    assert year_range("the seventeenth-century") == (1600, 1699)
    assert year_range("painted in 1889") == (1889, 1889)
    assert year_range("impressionist landscapes") is None


def test_query_reading_keeps_movements_apart(words_only):
    assert words_only.parse("impressionist landscapes").movements == {"Impressionism"}
    assert words_only.parse("post-impressionists").movements == {"Post-Impressionism"}
    assert words_only.parse("postimpressionist").movements == {"Post-Impressionism"}
    assert words_only.parse("neo-impressionism").movements == {"Neo-Impressionism"}
    renaissance = words_only.parse("renaissance madonna")
    assert {"Early Renaissance", "High Renaissance", "Northern Renaissance"} <= renaissance.movements
    assert renaissance.words == ("madonna",)
    assert words_only.parse("still life").genres == {STILL_LIFE} and not words_only.parse("still life").movements


def test_genres_from_tags_and_titles(met_records):
    by_title = {r.title: r for r in met_records}
    whalers = by_title["Whalers"]
    assert infer_genres(whalers.title, whalers.extra["tags"]) == {SEASCAPE: "subject tags"}
    assert infer_genres("View of Toledo", ["Buildings", "Cities"]) == {LANDSCAPE: "title"}
    # Without tags the title is all there is.
    assert genres_from_title("Margaretha van Haexbergen (1614–1676)") == [PORTRAIT]
    assert genres_from_title("Lucas van Uffel (died 1637)") == [PORTRAIT]
    assert genres_from_title("Madonna and Child") == [RELIGIOUS]
    assert genres_from_title("A Bouquet of Flowers") == [STILL_LIFE]
    assert genres_from_title("Whalers") == [SEASCAPE]
    assert genres_from_title("The Card Players") == []


def test_results_say_what_was_inferred(words_only, met_records):
    from retrieval.query import search_hits

    hits, _ = search_hits(words_only, "impressionist landscapes", 5)
    record = hits[0].to_json()
    assert record["title"] == JALAIS_HILL
    assert {"name": "Impressionism", "from": "knowledge base"} in record["movements"]
    assert record["genres"] == [{"name": LANDSCAPE, "inferred_from": "subject tags"}]


def test_meaning_finds_the_sea_without_the_word(met_records, tmp_path):
    """MiniLM over each record's description: no Met title or tag says "sea", yet seascapes come back."""
    from retrieval.text_model import load_sentence_model, sentence_embedder

    index = SearchIndex(met_records, default_knowledge(), sentence_embedder(load_sentence_model()), tmp_path)
    assert list(tmp_path.glob("search-descriptions-*.npy"))  # cached for the next process
    result = index.search("paintings of the sea", 10)
    found = {index.records[row].title for row in result.rows}
    assert result.method == "metadata+meaning" and result.query.words == ("sea",)
    assert {"Whalers", "Boating", "By the Seashore"} <= found and CARD_PLAYERS not in found
    # Meaning orders a facet-only query, and the facets still decide membership.
    ordered = [index.records[row].title for row in index.search("17th century portraits", 50).rows]
    assert len(ordered) == 12


def test_search_command_reports_what_it_understood(capsys):
    from app.cli import main

    assert main(["search", "impressionist landscapes", "--no-meaning", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["method"] == "metadata"
    assert result["understood"]["movements"] == ["Impressionism"] and result["understood"]["genres"] == [LANDSCAPE]
    assert [r["title"] for r in result["results"]] == [JALAIS_HILL]
