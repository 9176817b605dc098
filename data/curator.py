"""A museum's own painters: a curator's file (JSON or CSV) read, validated and merged over the shipped base.

The fields are those of the shipped entries (data/knowledge/artists.json) plus `source`. JSON takes the
shipped layout (`{"artists": [...]}` or a bare list); CSV takes one painter per line with flat columns:

    name, full_name, aliases, gender, born, born_place, died, died_place, nationality, movements,
    notable_works, bio, source, teachers, influences, circle, places, media, techniques, events, facts_source

`aliases`, `movements`, `notable_works` and the richer facts hold several values separated by ";" (titles contain
commas): a place is written "Arles (1888–1889): the Yellow House" (years and note optional), an event
"1888: moved to Arles" (a year, "about 1485" or "1490s", then what happened).
`born`/`died` take a year ("1853"), an approximate year ("c. 1390", "about 1390", "1390?") or a date
("1853-03-30"). Every bad row is reported at once, naming the file, the line (CSV) or entry (JSON), the
painter and the field, so a curator fixes the file in one pass.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from data.files import atomic_write_json
from data.knowledge import (
    KNOWLEDGE_FILE,
    ArtistEntry,
    Event,
    KnowledgeBase,
    KnowledgeError,
    LifeEvent,
    Place,
    load_knowledge,
    years_in,
)

CSV_COLUMNS = ("name", "full_name", "aliases", "gender", "born", "born_place", "died", "died_place", "nationality",
               "movements", "notable_works", "bio", "source", "teachers", "influences", "circle", "places", "media",
               "techniques", "events", "facts_source")
LIST_FIELDS = ("aliases", "movements", "notable_works", "teachers", "influences", "circle", "places", "media",
               "techniques", "events")
LIST_SEPARATOR = ";"
MAX_ERRORS_SHOWN = 20
_APPROXIMATE = re.compile(r"^\s*(?:c\.?|ca\.?|circa|about|around)\s*(\d{1,4})\s*$|^\s*(\d{1,4})\s*\?\s*$", re.I)


def default_source(path: Path) -> str:
    return f"the museum's notes ({Path(path).name})"


def event_fields(value) -> dict:
    """ "1853", 1853, "c. 1390", "1390?" or "1853-03-30" -> CuratorEvent's fields; a dict passes through."""
    if isinstance(value, dict) and isinstance(value.get("year"), str):  # {"year": "c. 1390", "place": ...}
        parsed = event_fields(value["year"])
        return {**value, **parsed, "approximate": bool(value.get("approximate")) or parsed.get("approximate", False)}
    if value is None or isinstance(value, dict):
        return value or {}
    if isinstance(value, int) and not isinstance(value, bool):
        return {"year": value}
    text = str(value).strip()
    if re.fullmatch(r"\d{1,4}", text):
        return {"year": int(text)}
    if approximate := _APPROXIMATE.match(text):
        return {"year": int(approximate[1] or approximate[2]), "approximate": True}
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return {"year": int(text[:4]), "date": text}
    raise ValueError(f"{text!r} is not a year (1853), an approximate year (c. 1390) or a date (1853-03-30)")


class CuratorEvent(BaseModel):
    """A birth or death: year, ISO date, place, approximate."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    year: int | None = Field(default=None, ge=-3000, le=date.today().year)
    date: str | None = None
    place: str | None = None
    approximate: bool = False

    @model_validator(mode="before")
    @classmethod
    def from_text(cls, value):
        return event_fields(value)

    @model_validator(mode="after")
    def date_agrees_with_year(self):
        if self.date is not None:
            try:
                day = date.fromisoformat(self.date)
            except ValueError:
                raise ValueError(f"date {self.date!r} is not a real day written YYYY-MM-DD") from None
            if self.year is not None and day.year != self.year:
                raise ValueError(f"date {self.date} and year {self.year} disagree")
            self.year = day.year
        return self

    def to_event(self) -> LifeEvent:
        return LifeEvent(year=self.year, date=self.date or None, place=self.place or None,
                         approximate=self.approximate)


class CuratorEntry(BaseModel):
    """One painter as a curator writes it; unknown fields are errors (a misspelt column loses no data silently)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1)
    full_name: str | None = None
    aliases: list[str] = []
    gender: Literal["male", "female", "other"] | None = None
    born: CuratorEvent = CuratorEvent()
    died: CuratorEvent = CuratorEvent()
    nationality: str | None = None
    movements: list[str] = []
    notable_works: list[str] = []
    bio: str | None = None
    source: str | None = None
    teachers: list[str] = []
    influences: list[str] = []
    circle: list[str] = []
    places: list[str | dict] = []
    media: list[str] = []
    techniques: list[str] = []
    events: list[str | dict] = []
    facts_source: str | None = None

    @field_validator("places", mode="after")
    @classmethod
    def places_read(cls, value):
        for item in value:
            place = Place.parse(item)  # ValueError names the bad place
            years = years_in(place.years)
            if place.years and not years:
                raise ValueError(f"{place.place}: years {place.years!r} hold no year")
            if years and (max(years) > date.today().year or list(years) != sorted(years)):
                raise ValueError(f"{place.place}: years {place.years!r} are not in order or lie in the future")
        return value

    @field_validator("events", mode="after")
    @classmethod
    def events_read(cls, value):
        for item in value:
            if Event.parse(item).year > date.today().year:
                raise ValueError(f"event {item!r} lies in the future")
        return value

    @field_validator(*LIST_FIELDS, mode="before")
    @classmethod
    def split_list(cls, value):
        if isinstance(value, str):
            return [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
        return [] if value is None else value

    @field_validator("gender", mode="before")
    @classmethod
    def lower_gender(cls, value):
        return value.strip().lower() or None if isinstance(value, str) else value

    @model_validator(mode="after")
    def died_after_born(self):
        if self.born.year is not None and self.died.year is not None and self.died.year < self.born.year:
            raise ValueError(f"died ({self.died.year}) before born ({self.born.year})")
        early = [e for e in map(Event.parse, self.events) if self.born.year is not None and e.year < self.born.year]
        if early:
            raise ValueError(f"event {early[0].when}: {early[0].text!r} before born ({self.born.year})")
        return self

    def to_entry(self, fallback_source: str) -> ArtistEntry:
        return ArtistEntry(name=self.name, full_name=self.full_name, aliases=tuple(self.aliases), gender=self.gender,
                           born=self.born.to_event(), died=self.died.to_event(), nationality=self.nationality,
                           movements=tuple(self.movements), notable_works=tuple(self.notable_works), bio=self.bio,
                           source=self.source or fallback_source, teachers=tuple(self.teachers),
                           influences=tuple(self.influences), circle=tuple(self.circle),
                           places=tuple(map(Place.parse, self.places)), media=tuple(self.media),
                           techniques=tuple(self.techniques), events=tuple(map(Event.parse, self.events)),
                           facts_source=self.facts_source)


def _rows(path: Path) -> list[tuple[str, dict]]:
    """(where, raw fields) of every painter in the file: "line 3" for CSV, "entry 2" for JSON."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # a spreadsheet's CSV often starts with a BOM
    except FileNotFoundError:
        raise KnowledgeError(f"no curator's file at {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise KnowledgeError(f"cannot read the curator's file {path}: {error}") from None
    if path.suffix.lower() == ".csv":
        return _csv_rows(path, text)
    if path.suffix.lower() != ".json":
        raise KnowledgeError(f"{path}: a curator's file is .json or .csv")
    try:
        document = json.loads(text)
    except ValueError as error:
        raise KnowledgeError(f"{path} is not valid JSON ({error})") from None
    items = document.get("artists") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise KnowledgeError(f"{path}: expected a list of painters, or {{\"artists\": [...]}} as in the shipped file")
    return [(f"entry {n}", item) for n, item in enumerate(items, 1)]


def _csv_rows(path: Path, text: str) -> list[tuple[str, dict]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [column.strip() for column in reader.fieldnames or []]
    if "name" not in header:
        raise KnowledgeError(f"{path}: the first line must name the columns, among them `name` "
                             f"(columns: {', '.join(CSV_COLUMNS)})")
    unknown = [column for column in header if column not in CSV_COLUMNS]
    if unknown:
        raise KnowledgeError(f"{path}: unknown column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                             f"(columns: {', '.join(CSV_COLUMNS)})")
    rows = []
    for values in reader:
        fields = {key.strip(): (value or "").strip() for key, value in values.items() if key is not None}
        if None in values:
            fields["extra cells"] = values[None]  # more cells than columns: reported as a bad field
        if not any(fields.values()):
            continue
        for event in ("born", "died"):
            fields[event] = _event_cell(fields.get(event, ""), fields.pop(f"{event}_place", ""))
        rows.append((f"line {reader.line_num}", {k: v for k, v in fields.items() if v not in ("", None)}))
    return rows


def _event_cell(cell: str, place: str):
    """A CSV born/died cell and its place column in the form CuratorEvent reads; a bad cell is left as
    written, for validation to report."""
    if not place:
        return cell
    try:
        return {**event_fields(cell), "place": place}
    except ValueError:
        return cell


def _describe(where: str, raw, error: ValidationError) -> list[str]:
    name = raw.get("name") if isinstance(raw, dict) else None
    who = f" ({name})" if name else ""
    problems = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "entry"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field"
        elif item["type"] != "value_error" and isinstance(item.get("input"), (str, int, float)):
            message += f" (got {item['input']!r})"
        problems.append(f"{where}{who}: {field}: {message}")
    return problems


def read_curator_file(path: Path | str) -> list[ArtistEntry]:
    """The painters of a curator's file; KnowledgeError listing every bad row and field when any is wrong."""
    path = Path(path)
    entries, problems, seen = [], [], {}
    for where, raw in _rows(path):
        try:
            model = CuratorEntry.model_validate(raw)
        except ValidationError as error:
            problems.extend(_describe(where, raw, error))
            continue
        key = model.name.casefold()
        if key in seen:
            problems.append(f"{where} ({model.name}): name: the same painter as {seen[key]}")
            continue
        seen[key] = where
        entries.append(model.to_entry(default_source(path)))
    if problems:
        shown = problems[:MAX_ERRORS_SHOWN]
        more = f"\n  ... and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        raise KnowledgeError(f"{path}: {len(problems)} problem{'s' if len(problems) > 1 else ''}:\n  "
                             + "\n  ".join(shown) + more)
    if not entries:
        raise KnowledgeError(f"{path} holds no painters")
    return entries


def curated_knowledge(files: list[Path], base: Path | str = KNOWLEDGE_FILE) -> KnowledgeBase:
    """The shipped knowledge base with each curator's file merged over it, in order (a later file wins)."""
    kb = load_knowledge(base)
    for path in files:
        kb = kb.with_entries(read_curator_file(path))
    return kb


def store_entries(store: Path, entries: list[ArtistEntry]) -> tuple[int, int, int]:
    """Merge `entries` into the curator's store (a JSON file in the shipped layout), written atomically.

    Returns (added, replaced, total). An entry replaces the stored one of the same name.
    """
    stored = read_curator_file(store) if store.is_file() else []
    by_name = {entry.name.casefold(): entry for entry in stored}
    replaced = sum(entry.name.casefold() in by_name for entry in entries)
    by_name.update({entry.name.casefold(): entry for entry in entries})
    document = {"version": 1, "note": "A museum's own painters, added with `museum knowledge add`; "
                                      "each entry names its source.",
                "artists": [_stored_json(entry) for entry in by_name.values()]}
    atomic_write_json(store, document)
    return len(entries) - replaced, replaced, len(by_name)


def _stored_json(entry: ArtistEntry) -> dict:
    value = entry.to_json()
    value.pop("external")  # attached at load time from a Kaggle artists.csv, never stored
    return value
