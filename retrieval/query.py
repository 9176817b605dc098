"""Queries over a loaded index: similar artworks for an image, and text search.

Text search always covers the metadata (title, artist, genre, medium, date,
including decades like "1880s" and centuries like "17th century"); with a CLIP
encoder it adds text-to-image similarity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from data.records import Artwork
from data.text import fold

if TYPE_CHECKING:  # metadata search runs without torch and FAISS: a text question must not load them
    from retrieval.encoders import Encoder
    from retrieval.store import LoadedIndex


@dataclass(frozen=True)
class Hit:
    record: Artwork
    score: float
    row: int

    def to_json(self) -> dict:
        r = self.record
        return {"id": r.id, "title": r.title, "artist": r.artist, "date": r.date, "score": round(self.score, 4),
                "image_path": str(r.image_path), "url": r.url, "source": r.source}


def similar_to_vector(loaded: LoadedIndex, vector: np.ndarray, k: int) -> list[Hit]:
    from retrieval.vector_index import search

    scores, ids = search(loaded.index, vector, k)
    return [Hit(loaded.records[i], float(s), int(i)) for s, i in zip(scores[0], ids[0]) if i >= 0]


def similar_to_image(encoder: Encoder, loaded: LoadedIndex, image: Image.Image, k: int = 10) -> list[Hit]:
    return similar_to_vector(loaded, encoder.encode_images([image]), k)


# --- metadata search -------------------------------------------------------------------------

_STOPWORDS = {"a", "an", "the", "of", "by", "in", "from", "and", "with", "show", "me", "find", "paintings",
              "painting", "pictures", "picture", "works", "artworks", "art", "some", "any", "for", "on", "to"}
_DECADE = re.compile(r"\b(1[0-9]{2}0)s\b")
_CENTURY = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)[ -]century\b")
_YEAR = re.compile(r"\b(1[0-9]{3})\b")


def _words(text: str) -> list[str]:
    return fold(text).split()


def year_range(query: str) -> tuple[int, int] | None:
    """ "1880s" -> (1880, 1889); "17th century" -> (1600, 1699); "1889" -> (1889, 1889)."""
    folded = fold(query)
    if match := _DECADE.search(folded):
        start = int(match[1])
        return start, start + 9
    if match := _CENTURY.search(folded):
        start = (int(match[1]) - 1) * 100
        return start, start + 99
    if match := _YEAR.search(folded):
        return int(match[1]), int(match[1])
    return None


def _record_years(record: Artwork) -> tuple[int, int] | None:
    begin, end = record.extra.get("begin_year"), record.extra.get("end_year")
    if isinstance(begin, int) and isinstance(end, int):
        return begin, end
    years = [int(y) for y in _YEAR.findall(record.date)]
    return (min(years), max(years)) if years else None


def _record_text(record: Artwork) -> dict[str, set[str]]:
    genres = " ".join(record.extra.get("genres", []) or [])
    return {"artist": set(_words(record.artist)), "title": set(_words(record.title)),
            "genre": set(_words(genres)), "medium": set(_words(record.medium)),
            "other": set(_words(" ".join(str(v) for k, v in record.extra.items() if k in ("culture", "department"))))}


_FIELD_WEIGHT = {"artist": 3.0, "genre": 2.0, "title": 1.5, "medium": 1.0, "other": 0.5}


def metadata_search(records: list[Artwork], query: str, k: int = 10) -> list[Hit]:
    """Rank records by query words found in their metadata, filtered by any date range in the query."""
    span = year_range(query)
    text = _CENTURY.sub(" ", _DECADE.sub(" ", fold(query)))
    words = [w for w in _words(_YEAR.sub(" ", text)) if w not in _STOPWORDS and len(w) > 1]
    if not words and span is None:
        return []
    hits = []
    for row, record in enumerate(records):
        if span is not None:
            years = _record_years(record)
            if years is None or years[1] < span[0] or years[0] > span[1]:
                continue
        fields = _record_text(record)
        matched = {w: max((_FIELD_WEIGHT[f] for f, vocab in fields.items() if _matches(w, vocab)), default=0.0)
                   for w in words}
        if words and not all(matched.values()):
            continue  # every query word must match somewhere: "impressionist landscapes" is an AND
        score = sum(matched.values()) / (3.0 * len(words)) if words else 1.0
        hits.append(Hit(record, min(1.0, score), row))
    hits.sort(key=lambda hit: (-hit.score, hit.record.id))
    return hits[:k]


def _matches(word: str, vocabulary: set[str]) -> bool:
    # Prefix match both ways lets "impressionist" find "impressionism" and "landscape" find "landscapes".
    stem = word[:max(5, len(word) - 3)]
    return any(v == word or (len(v) >= 4 and (v.startswith(stem) or word.startswith(v[:max(5, len(v) - 3)])))
               for v in vocabulary)


def text_search(encoder: Encoder | None, loaded: LoadedIndex, query: str, k: int = 10) -> tuple[list[Hit], str]:
    """(hits, method): metadata matches first, then CLIP text-to-image matches when available."""
    hits = metadata_search(loaded.records, query, k)
    if encoder is None or not encoder.has_text:
        return hits, "metadata"
    seen = {hit.row for hit in hits}
    visual = [hit for hit in similar_to_vector(loaded, encoder.encode_text([query]), k) if hit.row not in seen]
    return (hits + visual)[:k], "metadata+clip"
