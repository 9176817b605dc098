"""Sentences from knowledge-base entries. Every fact printed here is a field of the entry;
a missing field yields "I don't know that" plus what the entry does hold."""

from __future__ import annotations

import re
from datetime import date

from app.conversation.i18n import DEFAULT_LANGUAGE, months, movement_name, phrase, place_name
from data.knowledge import ArtistEntry, LifeEvent, age_at_death
from data.text import fold

# The richer facts (issue 21), each from one field of the entry; "art_kind" is movements + media + techniques.
RICH_FACTS = ("teachers", "influences", "circle", "places", "media", "art_kind")
# What visitors call a medium -> words of the entry's media and techniques that mean it ("did Dürer make prints?").
MEDIUM_WORDS = {
    "print": ("print", "engraving", "etching", "woodcut", "lithograph", "silkscreen", "screenprint", "aquatint",
              "monotype", "poster"),
    "sculpt": ("sculpture", "carving", "marble", "wax", "stone"), "statue": ("sculpture", "marble"),
    "fresco": ("fresco", "mural"), "mural": ("mural", "fresco"), "watercolo": ("watercolour",),
    "draw": ("drawing",), "etch": ("etching",), "engrav": ("engraving",), "woodcut": ("woodcut",),
    "lithograph": ("lithograph",), "poster": ("poster",), "ceramic": ("ceramic",), "pottery": ("ceramic",),
    "film": ("film",), "photo": ("photograph",), "collage": ("collage", "cut-out"), "icon": ("icon",),
    "pastel": ("pastel",), "oil": ("oil",), "tempera": ("tempera",), "stained glass": ("stained glass",),
    "glass": ("stained glass", "glass"), "architect": ("architecture", "architectural"), "cut": ("cut-out", "cut"),
}


def _exact_day(event: LifeEvent) -> date | None:
    if event.date and re.fullmatch(r"\d{4}-\d{2}-\d{2}", event.date) and not event.approximate:
        return date.fromisoformat(event.date)
    return None


def when(event: LifeEvent, language: str = DEFAULT_LANGUAGE) -> str | None:
    """ "30 March 1853", "1853", "about 1267" (in `language`), or None."""
    if event.year is None:
        return None
    if day := _exact_day(event):
        return phrase("date_day", language, day=day.day, month=months(language)[day.month - 1], year=day.year)
    return phrase("date_about", language, year=event.year) if event.approximate else str(event.year)


def _on(event: LifeEvent, language: str) -> str:
    """ "on 30 March 1853" or "in 1853" / "in about 1267"."""
    key = "on_day" if _exact_day(event) else "in_year_about" if event.approximate else "in_year"
    return phrase(key, language, date=when(event, language))


def lifespan(entry: ArtistEntry) -> str:
    """ "1853–1890", "born 1881", "c. 1267–1337", or ""."""
    mark = lambda e: f"c. {e.year}" if e.approximate else str(e.year)
    if entry.born.year and entry.died.year:
        return f"{mark(entry.born)}–{mark(entry.died)}"
    if entry.born.year:
        return f"born {mark(entry.born)}"
    if entry.died.year:
        return f"died {mark(entry.died)}"
    return ""


def headline(entry: ArtistEntry, language: str = DEFAULT_LANGUAGE) -> str:
    """ "**Vincent van Gogh** (1853–1890), Dutch, Post-Impressionism" (nationalities are English words:
    left out in other languages)."""
    parts = [f"**{entry.name}**" + (f" ({lifespan(entry)})" if lifespan(entry) else "")]
    if entry.nationality and language == DEFAULT_LANGUAGE:
        parts.append(entry.nationality)
    if entry.movements:
        parts.append(", ".join(movement_name(movement, language) for movement in entry.movements))
    return ", ".join(parts)


def _listing(items, language: str = DEFAULT_LANGUAGE) -> str:
    items = [f"*{item}*" for item in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {phrase('and', language)} " + items[-1]


def fact(entry: ArtistEntry, name: str, language: str = DEFAULT_LANGUAGE) -> str | None:
    """The answer to one fact question (see app.conversation.intents.FACTS) in `language`, or None when the
    entry lacks it; a museum's own entry is named as the source."""
    sentence = _fact_sentence(entry, name, language)
    return f"{sentence} (Source: {entry.source}.)" if sentence and entry.source and name != "about" else sentence


def _fact_sentence(entry: ArtistEntry, name: str, language: str) -> str | None:
    say = lambda key, **fields: phrase(key, language, gender=entry.pronoun(), who=entry.name, **fields)
    in_place = lambda place: phrase("in_place", language, place=place_name(place, language)) if place else ""
    born_in, died_in = place_name(entry.born.place, language), place_name(entry.died.place, language)
    if name == "born" and entry.born.year:
        return say("born", when=_on(entry.born, language), where=in_place(entry.born.place))
    if name == "died" and entry.died.year:
        return say("died", when=_on(entry.died, language), where=in_place(entry.died.place))
    if name == "age" and (age := age_at_death(entry)) is not None:
        years, exact = age
        return say("age_exact" if exact else "age_about", years=years, span=lifespan(entry))
    if name == "birthplace" and entry.born.place:
        if entry.nationality and language == DEFAULT_LANGUAGE:
            return say("birthplace_nationality", place=born_in, pronoun=entry.pronoun(),
                       nationality=entry.nationality)
        return say("birthplace", place=born_in)
    if name == "deathplace" and entry.died.place:
        return say("deathplace", place=died_in)
    if name == "nationality" and entry.nationality:
        if entry.born.place:
            return say("nationality_born", nationality=entry.nationality, place=born_in)
        return say("nationality", nationality=entry.nationality)
    if name == "movement" and entry.movements:
        movements = [movement_name(movement, language) for movement in entry.movements]
        return say("movement_fact", movements=_listing(movements, language).replace("*", ""))
    if name == "works" and entry.notable_works:
        return say("works_fact", works=_listing(entry.notable_works, language))
    if name == "about":
        return about(entry, language)
    if name in RICH_FACTS:
        return rich_fact(entry, name, language)
    return None


def _names(items, language: str = DEFAULT_LANGUAGE) -> str:
    return _listing(items, language).replace("*", "")


def rich_fact(entry: ArtistEntry, name: str, language: str = DEFAULT_LANGUAGE, question: str = "") -> str | None:
    """Teachers, influences, circle, places (those the question names first), media or the kind of art, from the
    entry's own fields; None when the entry lacks them."""
    say = lambda key, **fields: phrase(key, language, gender=entry.pronoun(), who=entry.name, **fields)
    if name == "teachers" and entry.teachers:
        return say("teachers_fact", names=_names(entry.teachers, language))
    if name == "influences" and entry.influences:
        return say("influences_fact", names=_names(entry.influences, language))
    if name == "circle" and entry.circle:
        return say("circle_fact", names=_names(entry.circle, language))
    if name == "places" and entry.places:
        return _places(entry, language, question)
    if name == "media" and (entry.media or entry.techniques):
        return _media(entry, question)
    if name == "art_kind" and (entry.movements or entry.media):
        lines = [say("movement_fact", movements=_names(entry.movements, language))] if entry.movements else []
        lines.append(_media(entry, ""))
        return " ".join(lines)
    return None


def _places(entry: ArtistEntry, language: str, question: str) -> str:
    folded = f" {fold(question)} "
    own = {word for name in entry.names for word in fold(name).split()}  # "Caravaggio" is a painter and a town
    named = [p for p in entry.places
             if any(f" {part} " in folded and part not in own for part in _place_words(p.place))]
    shown = named or list(entry.places)
    english = language == DEFAULT_LANGUAGE
    text = lambda p: p.place + (f" ({p.years})" if p.years else "") + (f": {p.note}" if p.note and english else "")
    key = "places_named" if named else "places_fact"
    return phrase(key, language, gender=entry.pronoun(), who=entry.name, places="; ".join(text(p) for p in shown))


def _place_words(place: str) -> list[str]:
    """ "Saint-Rémy-de-Provence" -> ["saint remy de provence", "saint remy"]; "Tahiti" -> ["tahiti"]."""
    parts = [fold(part) for part in place.replace(" and ", ",").replace("(", ",").replace(")", ",").split(",")]
    words = [part for part in parts if len(part) >= 4 and part not in ("italy", "france", "spain")]
    return words + [" ".join(part.split()[:2]) for part in words if len(part.split()) > 2]


def _media(entry: ArtistEntry, question: str) -> str:
    """ "Albrecht Dürer worked in engraving, woodcut, ...; techniques: ..." led by "Yes:" when the question names
    a medium the entry holds (never "no": the notes may simply not say)."""
    folded = fold(question)
    held = fold(" ".join(entry.media + entry.techniques))
    asked = [words for key, words in MEDIUM_WORDS.items() if key in folded]
    yes = any(fold(word) in held for words in asked for word in words)
    parts = []
    if entry.media:
        parts.append(f"{entry.name} worked in {_names(entry.media)}.")
    if entry.techniques:
        parts.append(f"Techniques: {'; '.join(entry.techniques)}.")
    return ("Yes. " if yes else "") + " ".join(parts)


def about(entry: ArtistEntry, language: str = DEFAULT_LANGUAGE) -> str:
    lines = [headline(entry, language) + "."]
    if entry.bio and language != DEFAULT_LANGUAGE:
        lines.append(f"*{phrase('bio_in_english', language)}*")  # the biographies are written in English
    if entry.bio:
        lines.append(entry.bio)
    if entry.notable_works:
        lines.append(phrase("works_short", language, works=_listing(entry.notable_works, language)))
    if note := kaggle_note(entry, long=not entry.bio):
        lines.append(note)
    if entry.source:
        lines.append(f"Source: {entry.source}.")
    return "\n\n".join(lines)


def kaggle_note(entry: ArtistEntry, long: bool = False) -> str | None:
    """The Kaggle artists.csv's say about the artist, attributed to it."""
    external = entry.external or {}
    if not external:
        return None
    fields = [external[k] for k in ("years", "nationality") if external.get(k)]
    if external.get("genres"):
        fields.append(", ".join(external["genres"]))
    text = external.get("bio") or ""
    if text and not long:
        text = " ".join(re.split(r"(?<=[a-z)][.!?])\s+(?=[A-Z])", text)[:2])  # not after "O.S." or "c."
    summary = "; ".join(fields)
    body = " ".join(part for part in (f"{summary}." if summary else "", text) if part)
    return f"From {external['source']}: {body}" if body else None


def what_i_know(entry: ArtistEntry) -> str:
    """One sentence of everything the entry holds, for "I don't know that" replies."""
    known = [f"{entry.name}" + (f" ({lifespan(entry)})" if lifespan(entry) else "")]
    if entry.nationality:
        known.append(f"{entry.nationality}")
    if entry.born.place:
        known.append(f"born in {entry.born.place}")
    if entry.movements:
        known.append(", ".join(entry.movements))
    if entry.notable_works:
        known.append(f"known for {_listing(entry.notable_works[:3])}")
    if len(known) == 1 and not lifespan(entry):
        return f"I have only the name {entry.name} in my notes."
    return "What I do know: " + "; ".join(known) + "."


_UNKNOWN_FACT = {"born": "when {name} was born", "died": "when {name} died", "age": "how old {name} was at death",
                 "birthplace": "where {name} was born", "deathplace": "where {name} died",
                 "nationality": "{name}'s nationality", "movement": "which movement {name} belongs to",
                 "works": "which works of {name} are best known", "about": "much about {name}",
                 "teachers": "who taught {name}", "influences": "who influenced {name}",
                 "circle": "who {name}'s friends and associates were", "places": "where {name} lived and worked",
                 "media": "what media {name} worked in", "art_kind": "what kind of art {name} made"}


def dont_know(entry: ArtistEntry, fact: str | None = None, language: str = DEFAULT_LANGUAGE) -> str:
    """ "I don't know when X was born. What I do know: ..." (or "I don't know that." for any other question)."""
    if language != DEFAULT_LANGUAGE:
        return phrase("dont_know", language, known=headline(entry, language))
    topic = _UNKNOWN_FACT.get(fact, "that").format(name=entry.name)
    return f"I don't know {topic}. {what_i_know(entry)}"


def card(entry: ArtistEntry, language: str = DEFAULT_LANGUAGE) -> dict:
    """The artist card the UI shows: dates, nationality, movements, works, short bio."""
    return {"name": entry.name, "full_name": entry.full_name, "lifespan": lifespan(entry),
            "born": when(entry.born, language), "born_place": place_name(entry.born.place, language),
            "died": when(entry.died, language), "died_place": place_name(entry.died.place, language),
            # Nationalities are English words (and gendered in the other languages): left out there, as in `headline`.
            "nationality": entry.nationality if language == DEFAULT_LANGUAGE else None,
            "movements": [movement_name(m, language) for m in entry.movements],
            "notable_works": list(entry.notable_works), "bio": entry.bio, "kaggle": kaggle_note(entry),
            "source": entry.source}


def compare(first: ArtistEntry, second: ArtistEntry) -> str:
    """A side-by-side markdown table; "—" where the knowledge base has nothing."""
    rows = [("Lived", lifespan), ("Nationality", lambda e: e.nationality),
            ("Born in", lambda e: e.born.place), ("Movements", lambda e: ", ".join(e.movements)),
            ("Known for", lambda e: ", ".join(e.notable_works[:3]))]
    table = [f"| | {first.name} | {second.name} |", "|---|---|---|"]
    table += [f"| {label} | {get(first) or '—'} | {get(second) or '—'} |" for label, get in rows]
    lines = ["\n".join(table)]
    if first.born.year and second.born.year and first.born.year != second.born.year:
        older, younger = sorted((first, second), key=lambda e: e.born.year)
        gap = younger.born.year - older.born.year
        about = "about " if older.born.approximate or younger.born.approximate else ""
        lines.append(f"{older.name} was born {about}{gap} year{'s' if gap != 1 else ''} before {younger.name}.")
    shared = sorted(set(first.movements) & set(second.movements))
    if shared:
        lines.append(f"Both are counted in {', '.join(shared)}.")
    return "\n\n".join(lines)
