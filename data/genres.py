"""Genres of a painting (portrait, landscape, still life, religious, seascape) from its subject tags and title.

Museum subject tags (the Met's AAT terms: "Portraits", "Landscapes", "Virgin Mary", ...) say it best;
the title adds what the tags miss and is all there is for records without tags ("Portrait of ...",
"View of Toledo", "Madonna and Child", a sitter's name with life dates). Either way the genre is an
inference from the record's words, so each comes with the basis it was read from, for search results to show.
"""

from __future__ import annotations

import re

from data.text import fold

PORTRAIT, LANDSCAPE, STILL_LIFE, RELIGIOUS, SEASCAPE = "portrait", "landscape", "still life", "religious", "seascape"
GENRES = (PORTRAIT, LANDSCAPE, STILL_LIFE, RELIGIOUS, SEASCAPE)

# Folded tag terms (whole tags) that name a genre.
_TAG_GENRES = {
    PORTRAIT: {"portraits", "self portraits"},
    LANDSCAPE: {"landscapes", "mountains", "forests"},
    STILL_LIFE: {"still life"},
    SEASCAPE: {"seascapes", "ships", "boats", "whales"},
    RELIGIOUS: {"virgin mary", "madonna and child", "madonna", "christ", "jesus", "saints", "angels", "crucifixion",
                "annunciation", "holy family", "nativity", "last supper", "adoration of the magi",
                "adoration of the shepherds", "assumption of the virgin", "baptism of christ", "bearing the cross",
                "resurrection", "last judgement", "archangel gabriel", "mary magdalene", "buddha", "buddhism",
                "bodhisattvas", "avalokiteshvara"},
}
_SAINT_TAG = re.compile(r"^saint ")

# Title words (folded, whole words) that name a genre; used only when a record has no subject tags.
_TITLE_WORDS = {
    PORTRAIT: r"portrait|self portrait|portraits|madame|monsieur|mademoiselle|comtesse|condesa|countess|duchess"
    r"|duke|queen"
    r"|king|cardinal|burgomaster|captain|princess|prince|lady|sir",
    LANDSCAPE: r"landscapes?|view of|views of|fields?|hills?|forest|woods|mountains?|valley|river|trees|haystacks?"
    r"|countryside|meadow|wheat field|farm",
    STILL_LIFE: r"still life|still lifes|bouquet|vase of flowers|apples|peaches|grapes",
    SEASCAPE: r"sea|seashore|seascape|harbou?r|port of|beach|coast|shipwreck|ships?|boats?|boating|whalers|waves"
    r"|marine|bay of",
    RELIGIOUS: r"madonna|virgin|saint|saints|christ|crucifixion|annunciation|nativity|adoration|holy family|pieta"
    r"|resurrection|magdalen|apostle|last supper|last judgment|angel|buddha|bodhisattva|luohans?"
    r"|avalokiteshvara|shiva|mahavira|immaculate conception|assumption|coronation of the virgin",
}
_TITLE_PATTERNS = {genre: re.compile(rf"\b(?:{words})\b") for genre, words in _TITLE_WORDS.items()}
# "Lucas van Uffel (died 1637)", "Juan de Pareja (ca. 1608–1670)": a sitter named with life dates.
_SITTER = re.compile(r"\((?:ca\. )?\d{4}\s*[–-]\s*\d{4}\)|\((?:born|died)\b[^)]*\d{4}")

TAGS, TITLE = "subject tags", "title"


def genres_from_tags(tags: list[str]) -> list[str]:
    folded = {fold(tag) for tag in tags}
    found = [genre for genre, terms in _TAG_GENRES.items() if folded & terms]
    if RELIGIOUS not in found and any(_SAINT_TAG.match(tag) for tag in folded):
        found.append(RELIGIOUS)
    return found


def genres_from_title(title: str) -> list[str]:
    folded = fold(title)
    found = [genre for genre, pattern in _TITLE_PATTERNS.items() if pattern.search(folded)]
    if PORTRAIT not in found and _SITTER.search(title):
        found.append(PORTRAIT)
    return found


def infer_genres(title: str, tags: list[str] | None) -> dict[str, str]:
    """{genre: basis} in GENRES order; the basis is TAGS for a genre the tags name, else TITLE."""
    from_tags, from_title = genres_from_tags(tags or []), genres_from_title(title)
    return {genre: TAGS if genre in from_tags else TITLE for genre in GENRES
            if genre in from_tags or genre in from_title}
