"""The visitor's languages: which one a question is written in, and every phrase of the app in each.

All phrases, intent patterns and language keywords live in one data file, app/conversation/i18n.json; English
is the fallback for a phrase a language lacks. Detection is a keyword count over the question's
words (see `detect`): offline, instant, and predictable on the two-to-six-word questions visitors
type, where statistical detectors (langid, lingua) often misjudge short inputs such as "Pourquoi ?"
or proper names ("Monet?").
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib.resources import files

DEFAULT_LANGUAGE = "en"
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)


@cache
def _table() -> dict:
    return json.loads(files("app.conversation").joinpath("i18n.json").read_text(encoding="utf-8"))


LANGUAGES: dict[str, str] = _table()["languages"]  # code -> the language's own name, e.g. "fr": "Français"


def phrase(key: str, language: str = DEFAULT_LANGUAGE, gender: str | None = None, **fields) -> str:
    """The phrase `key` in `language` (a gendered variant `key.she` first when the language has one),
    with `fields` filled in; English when the language lacks it."""
    phrases = _table()["phrases"]
    for table in (phrases.get(language, {}), phrases[DEFAULT_LANGUAGE]):
        for name in ((f"{key}.{gender}", key) if gender else (key,)):
            if name in table:
                return table[name].format(**fields)
    raise KeyError(f"no phrase {key!r} in app/conversation/i18n.json")


def movement_name(movement: str, language: str) -> str:
    """An art movement's name in `language` (app/conversation/i18n.json "movements"); as the knowledge base
    writes it when the table lacks it."""
    return _table()["movements"].get(language, {}).get(movement, movement)


def place_name(place: str | None, language: str) -> str | None:
    """'Zundert, Netherlands' with its country in `language` ("Zundert, Pays-Bas"): the knowledge base writes
    places in English, and a town's own name needs no translation."""
    if not place:
        return place
    town, comma, country = place.rpartition(", ")
    translated = _table()["countries"].get(language, {}).get(country, country)
    return f"{town}{comma}{translated}"


def months(language: str) -> list[str]:
    return _table()["months"].get(language) or _table()["months"][DEFAULT_LANGUAGE]


def label(english: str, language: str) -> str:
    """A suggestion button's label (the engine proposes them in English) in `language`."""
    return _table()["labels"].get(language, {}).get(english, english)


@cache
def intent_rules(language: str) -> tuple[tuple[str, re.Pattern], ...]:
    """The language's own patterns for the main questions, in the order they are tried."""
    rules = _table()["intents"].get(language, {})
    return tuple((name, re.compile(pattern, re.I)) for name, pattern in rules.items())


@cache
def _keywords() -> dict[str, frozenset[str]]:
    return {code: frozenset(words) for code, words in _table()["keywords"].items()}


def detect(text: str, default: str = DEFAULT_LANGUAGE) -> str:
    """The language with the most marker words in `text` (function words and question words:
    "qui", "wann", "cuándo", "chi", "who"...); `default` (the conversation's language so far) when
    no language has more markers than the others, e.g. "Monet?" or an emoji."""
    words = [word.lower() for word in _WORD.findall(text or "")]
    words += [part for word in words if "'" in word for part in word.split("'")]  # "l'artiste", "qu'est"
    counts = {code: sum(word in markers for word in words) for code, markers in _keywords().items()}
    best = max(counts.values(), default=0)
    leaders = [code for code, count in counts.items() if count == best]
    if best == 0 or len(leaders) > 1:
        return default if default in leaders or best == 0 else leaders[0]
    return leaders[0]
