"""The artist knowledge base (data/knowledge/artists.json): look-up by any spelling of a name.

`find("van gough")` and `mentions("was picaso older than durer?")` match names,
full names and aliases after accent/case folding, then fuzzily (difflib ratio) so
common misspellings land on the right artist while ordinary words match nothing.
A Kaggle artists.csv may be merged in: its fields are kept apart and shown
attributed to it, never mixed into the knowledge base's own facts. A museum's own
entries (data/curator.py) replace the shipped entry of the same painter whole,
and carry their `source` so replies can name it.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from data.text import fold

KNOWLEDGE_FILE = Path(__file__).resolve().parent / "knowledge" / "artists.json"
KAGGLE_SOURCE = "the Kaggle artists.csv (Wikipedia)"

FUZZY_CUTOFF = 0.84  # "van gough"~"van gogh" 0.94, "picaso"~"picasso" 0.92; "money"~"monet" 0.80 stays out
MIN_FUZZY_LENGTH = 6  # shorter words must match exactly: too many English words are near short names
MAX_NGRAM = 4
# Single words that are names of no one: keys made of these alone are never matched inside a sentence.
_COMMON_WORDS = {
    "the", "van", "von", "de", "da", "di", "del", "della", "der", "den", "le", "la", "el", "master", "elder",
    "younger", "saint", "sir", "called", "of", "and", "or", "he", "she", "they", "this", "that", "painter",
    "artist", "painting", "paintings", "who", "what", "when", "where", "why", "was", "is", "born", "died",
    "show", "more", "like", "similar", "tell", "about", "me", "his", "her", "their", "works", "work",
}


_NOT_BEFORE_SURNAME = {"of", "la", "le", "the", "del", "della", "delle", "dei", "saint", "st"}


class KnowledgeError(ValueError):
    """An unreadable knowledge file; the message names it."""


_YEARS = re.compile(r"(?<!\d)(\d{3,4})(?!\d)")
# "Paris (1886–1888): lived with his brother Theo", "Kristiania (Oslo) (1864–1889)", "Margate: its skies"
_PLACE_TEXT = re.compile(r"^(?P<place>[^:]+?)\s*(?:\((?P<years>[^()]*\d[^()]*)\))?\s*(?::\s*(?P<note>.*))?$", re.S)
# "1888: moved to Arles", "about 1485: painted ...", "1490s: ..."
_EVENT_TEXT = re.compile(r"^(?P<when>(?:(?:about|c\.|ca\.|circa|around)\s*)?\d{3,4}s?)\s*:\s*(?P<text>\S.*)$",
                         re.I | re.S)


def years_in(text: str | None) -> tuple[int, ...]:
    """The 3-4 digit years written in `text`: "1866–1871 and 1886–1896" -> (1866, 1871, 1886, 1896)."""
    return tuple(int(year) for year in _YEARS.findall(text or ""))


@dataclass(frozen=True)
class Place:
    """Where a painter lived or worked: "Arles", "1888–1889", "the Yellow House and Gauguin's visit"."""

    place: str
    years: str | None = None  # as written: "1886–1888", "about 1405", "1420s", "1866–1871 and 1886–1896"
    note: str | None = None

    @classmethod
    def parse(cls, value) -> "Place":
        """A {"place", "years", "note"} object or the text "Paris (1886–1888): lived with Theo"; else ValueError."""
        if isinstance(value, dict):
            place = str(value.get("place") or "").strip()
            if not place:
                raise ValueError(f"a place needs a name: {value!r}")
            return cls(place, str(value["years"]).strip() if value.get("years") else None,
                       str(value.get("note") or "").strip() or None)
        match = _PLACE_TEXT.match(str(value).strip())
        if not match or not match["place"].strip():
            raise ValueError(f"{value!r} is not a place written as 'Paris (1886–1888): what happened there'")
        years, note = (match["years"] or "").strip() or None, (match["note"] or "").strip() or None
        return cls(match["place"].strip(), years, note)

    @property
    def span(self) -> tuple[int, int] | None:
        years = years_in(self.years)
        return (min(years), max(years)) if years else None

    def to_json(self) -> dict:
        return {"place": self.place, "years": self.years, "note": self.note}


@dataclass(frozen=True)
class Event:
    """A dated event of a life: "1888", "moved to Arles"."""

    when: str  # "1888", "about 1485", "1490s"
    text: str

    @classmethod
    def parse(cls, value) -> "Event":
        """A {"when", "text"} object or the text "1888: moved to Arles"; ValueError if neither."""
        if isinstance(value, dict):
            when, text = str(value.get("when") or value.get("year") or "").strip(), str(value.get("text") or "").strip()
        else:
            match = _EVENT_TEXT.match(str(value).strip())
            when, text = (match["when"], match["text"].strip()) if match else ("", "")
        if not years_in(when) or not text:
            raise ValueError(f"{value!r} is not an event written as '1888: what happened'")
        return cls(when, text)

    @property
    def year(self) -> int:
        return years_in(self.when)[0]

    def to_json(self) -> dict:
        return {"when": self.when, "text": self.text}


@dataclass(frozen=True)
class LifeEvent:
    year: int | None = None
    date: str | None = None  # ISO "1853-03-30" when the day is known
    place: str | None = None
    approximate: bool = False  # "c. 1390": years around it are possible

    @classmethod
    def from_json(cls, value) -> "LifeEvent":
        if not isinstance(value, dict):
            return cls()
        year, approximate = value.get("year"), bool(value.get("approximate") or value.get("circa"))
        if isinstance(year, str):  # "c. 1390" or "1390?" in a hand-written file
            digits = re.search(r"\d{3,4}", year)
            approximate = approximate or not year.strip().isdigit()
            year = int(digits[0]) if digits else None
        return cls(year=year if isinstance(year, int) else None, date=value.get("date") or None,
                   place=value.get("place") or None, approximate=approximate)


@dataclass(frozen=True)
class ArtistEntry:
    name: str  # canonical: the classifier's label for the 50 Kaggle artists
    full_name: str | None = None
    aliases: tuple[str, ...] = ()
    gender: str | None = None
    born: LifeEvent = field(default_factory=LifeEvent)
    died: LifeEvent = field(default_factory=LifeEvent)
    nationality: str | None = None
    movements: tuple[str, ...] = ()
    notable_works: tuple[str, ...] = ()
    bio: str | None = None
    external: dict | None = None  # fields from another source, shown attributed: {"source", "bio", ...}
    source: str | None = None  # who wrote this entry, when not this project: "the museum's notes (artists.csv)"
    # The richer facts (issue 21): who taught and inspired the painter, their circle, where and when they lived,
    # what they worked in and how, a few dated events; `facts_source` says where these facts come from.
    teachers: tuple[str, ...] = ()
    influences: tuple[str, ...] = ()
    circle: tuple[str, ...] = ()
    places: tuple[Place, ...] = ()
    media: tuple[str, ...] = ()
    techniques: tuple[str, ...] = ()
    events: tuple[Event, ...] = ()
    facts_source: str | None = None

    @classmethod
    def from_json(cls, value: dict) -> "ArtistEntry":
        as_tuple = lambda key: tuple(str(v) for v in (value.get(key) or []) if str(v).strip())
        return cls(name=str(value["name"]).strip(), full_name=value.get("full_name") or None,
                   aliases=as_tuple("aliases"), gender=value.get("gender") or None,
                   born=LifeEvent.from_json(value.get("born")), died=LifeEvent.from_json(value.get("died")),
                   nationality=value.get("nationality") or None, movements=as_tuple("movements"),
                   notable_works=as_tuple("notable_works"), bio=value.get("bio") or None,
                   source=value.get("source") or None, teachers=as_tuple("teachers"),
                   influences=as_tuple("influences"), circle=as_tuple("circle"),
                   places=tuple(Place.parse(v) for v in value.get("places") or []), media=as_tuple("media"),
                   techniques=as_tuple("techniques"), events=tuple(Event.parse(v) for v in value.get("events") or []),
                   facts_source=value.get("facts_source") or None)

    @property
    def names(self) -> list[str]:
        return [self.name] + ([self.full_name] if self.full_name else []) + list(self.aliases)

    def pronoun(self) -> str:
        return {"male": "he", "female": "she"}.get((self.gender or "").lower(), "they")

    def to_json(self) -> dict:
        event = lambda e: {"year": e.year, "date": e.date, "place": e.place, "approximate": e.approximate}
        return {"name": self.name, "full_name": self.full_name, "aliases": list(self.aliases), "gender": self.gender,
                "born": event(self.born), "died": event(self.died), "nationality": self.nationality,
                "movements": list(self.movements), "notable_works": list(self.notable_works), "bio": self.bio,
                "external": self.external, "source": self.source, "teachers": list(self.teachers),
                "influences": list(self.influences), "circle": list(self.circle),
                "places": [place.to_json() for place in self.places], "media": list(self.media),
                "techniques": list(self.techniques), "events": [event.to_json() for event in self.events],
                "facts_source": self.facts_source}


def age_at_death(entry: ArtistEntry) -> tuple[int, bool] | None:
    """(age, exact) from the dates, or None when a year is missing; exact only with both full dates."""
    born, died = entry.born, entry.died
    if born.year is None or died.year is None:
        return None
    full = lambda e: e.date if e.date and re.fullmatch(r"-?\d{3,4}-\d{2}-\d{2}", e.date) else None
    if full(born) and full(died) and not (born.approximate or died.approximate):
        birthday_passed = full(died)[-5:] >= full(born)[-5:]
        return died.year - born.year - (0 if birthday_passed else 1), True
    return died.year - born.year, False


class KnowledgeBase:
    def __init__(self, entries: list[ArtistEntry]):
        self.entries = list(entries)
        by_key: dict[str, set[int]] = {}
        for position, entry in enumerate(self.entries):
            for key in self._keys(entry):
                by_key.setdefault(key, set()).add(position)
        own = {fold(e.name): i for i, e in enumerate(self.entries)}
        # A key that names several artists ("paul") means none of them, unless it is one's own name.
        self._exact = {key: self.entries[own[key] if key in own else next(iter(hits))]
                       for key, hits in by_key.items() if len(hits) == 1 or key in own}
        self._by_initial: dict[str, list[str]] = {}
        for key in self._exact:
            self._by_initial.setdefault(key[0], []).append(key)

    @staticmethod
    def _keys(entry: ArtistEntry) -> set[str]:
        keys = set()
        for name in entry.names:
            folded = fold(re.sub(r"\(.*?\)", " ", name))  # "El Greco (Domenikos ...)" -> both parts
            keys.add(folded)
            keys.update(fold(inner) for inner in re.findall(r"\((.*?)\)", name))
        # The surname alone ("monet", "durer", "burne jones") is what visitors usually say, unless the last
        # word follows "of"/"la"/"the"...: "Wright of Derby", "de La Tour", "the Elder" are no surnames.
        words = re.sub(r"\(.*?\)", " ", entry.name).split()
        if len(words) >= 2 and fold(words[-2]) not in _NOT_BEFORE_SURNAME and len(fold(words[-1])) >= 4:
            keys.add(fold(words[-1]))
        return {key for key in keys if key and key not in _COMMON_WORDS}

    def __len__(self) -> int:
        return len(self.entries)

    def names(self) -> list[str]:
        return [entry.name for entry in self.entries]

    def find(self, name: str) -> ArtistEntry | None:
        """The artist a name denotes: exactly (any alias, accents and case ignored), else fuzzily."""
        # A Met display name "Titian (Tiziano Vecellio)" is tried whole, then each part.
        candidates = self._candidates(name)
        return self.find_exact(name) or next(
            (entry for key in candidates if (entry := self._fuzzy(key)) is not None), None)

    def find_exact(self, name: str) -> ArtistEntry | None:
        """The artist a name denotes by one of its spellings (accents and case ignored), never fuzzily."""
        return next((self._exact[key] for key in self._candidates(name) if key in self._exact), None)

    @staticmethod
    def _candidates(name: str) -> list[str]:
        inner = [fold(part) for part in re.findall(r"\((.*?)\)", name)]
        return [key for key in [fold(name), fold(re.sub(r"\(.*?\)", " ", name)), *inner] if key]

    def _fuzzy(self, key: str) -> ArtistEntry | None:
        if len(key.replace(" ", "")) < MIN_FUZZY_LENGTH or key in _COMMON_WORDS:
            return None
        # Misspellings nearly always keep the first letter; bucketing keeps a look-up well under a millisecond.
        close = difflib.get_close_matches(key, self._by_initial.get(key[0], []), n=1, cutoff=FUZZY_CUTOFF)
        return self._exact[close[0]] if close else None

    def mentions(self, text: str) -> list[ArtistEntry]:
        """Artists named anywhere in `text`, in order of appearance, longest names first, each once."""
        words = fold(text[:400]).split()
        found: list[tuple[int, ArtistEntry]] = []
        used = [False] * len(words)
        for exact in (True, False):
            for size in range(MAX_NGRAM, 0, -1):
                for start in range(len(words) - size + 1):
                    if any(used[start:start + size]):
                        continue
                    gram = words[start:start + size]
                    if not exact and all(w in _COMMON_WORDS for w in gram):
                        continue
                    phrase = " ".join(gram)
                    entry = self._exact.get(phrase) if exact else self._fuzzy(phrase)
                    if entry is not None:
                        found.append((start, entry))
                        used[start:start + size] = [True] * size
        ordered, seen = [], set()
        for _, entry in sorted(found, key=lambda pair: pair[0]):
            if entry.name not in seen:
                seen.add(entry.name)
                ordered.append(entry)
        return ordered

    def work_named(self, text: str) -> tuple[ArtistEntry, str] | None:
        """(artist, title) of a notable work named in `text`: "who painted the starry night?"."""
        folded = f" {fold(text[:400])} "
        for entry in self.entries:
            for title in entry.notable_works:
                key = fold(re.sub(r"\(.*?\)", " ", title))  # "The Starry Night (1889)" -> "the starry night"
                if len(key) >= 6 and f" {key} " in folded:
                    return entry, title
        return None

    def with_entries(self, entries: list[ArtistEntry]) -> "KnowledgeBase":
        """A copy where each of `entries` replaces the entry it names (by any exact spelling), or is added.

        The replaced entry's names stay as aliases, so every spelling visitors used still finds the painter;
        none of its facts are kept: an answer comes from one source, the one it names.
        """
        merged = list(self.entries)
        positions = {entry.name: i for i, entry in enumerate(merged)}
        for entry in entries:
            old = next((found for name in entry.names if (found := self.find_exact(name)) is not None), None)
            if old is None:
                positions[entry.name] = len(merged)
                merged.append(entry)
                continue
            aliases = tuple(dict.fromkeys([*entry.aliases, *(n for n in old.names if n not in entry.names)]))
            merged[positions[old.name]] = dataclasses.replace(entry, aliases=aliases)
        return KnowledgeBase(merged)

    def with_kaggle(self, artists) -> "KnowledgeBase":
        """A copy with a Kaggle artists.csv (parsed by data.corpora.read_artists_csv) attached, attributed."""
        entries = list(self.entries)
        positions = {entry.name: i for i, entry in enumerate(entries)}
        for row in artists.to_dict("records"):
            external = {"source": KAGGLE_SOURCE, "bio": _text(row.get("bio")), "years": _text(row.get("years")),
                        "genres": list(row.get("genres") or []), "nationality": _text(row.get("nationality")),
                        "wikipedia": _text(row.get("wikipedia"))}
            match = self.find(str(row["name"]))
            if match is not None:
                entries[positions[match.name]] = dataclasses.replace(entries[positions[match.name]], external=external)
            else:  # an artist only the CSV knows: its facts stay attributed to the CSV
                entries.append(ArtistEntry(name=str(row["name"]).strip(), external=external))
                positions[entries[-1].name] = len(entries) - 1
        return KnowledgeBase(entries)


def _text(value) -> str | None:
    return str(value).strip() if isinstance(value, str) and value.strip() else None


def load_knowledge(path: Path | str = KNOWLEDGE_FILE) -> KnowledgeBase:
    """The knowledge base in `path`; raises KnowledgeError with the reason when it cannot be read."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        entries = [ArtistEntry.from_json(item) for item in document["artists"]]
    except FileNotFoundError:
        raise KnowledgeError(f"no artist knowledge base at {path}") from None
    except (ValueError, KeyError, TypeError) as error:
        raise KnowledgeError(f"the artist knowledge base {path} is unreadable ({error})") from None
    return KnowledgeBase(entries)
