"""Text search over a collection: what visitors type ("impressionist landscapes", "17th century portraits",
"paintings of the sea") -> ranked artworks.

A query is read into facets and free words:
- dates ("1880s", "1600s", "17th century", "1889") keep records whose date range overlaps;
- movements named in the knowledge base or the record ("impressionist" is Impressionism and never
  Post-Impressionism; "renaissance" is every Renaissance);
- genres (portrait, landscape, still life, religious, seascape), read from subject tags and titles;
- artists the knowledge base recognises ("van gogh", "durer").
Facets filter (all must hold). The free words rank the rest with BM25 (`bm25s`, over title, artist,
date, medium, movements, genres and subject words, Snowball-stemmed) and, when a sentence model is
given, with MiniLM similarity between the query and each record's one-sentence description, so a
query whose words appear nowhere still finds records by meaning.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from data.files import atomic_write_bytes
from data.genres import GENRES, LANDSCAPE, PORTRAIT, RELIGIOUS, SEASCAPE, STILL_LIFE, infer_genres
from data.knowledge import KnowledgeBase
from data.records import Artwork
from data.text import fold
from retrieval.text_model import SENTENCE_MODEL_TAG, SentenceEmbedder

log = logging.getLogger(__name__)

KB_SOURCE, RECORD_SOURCE = "knowledge base", "record"

# BM25 field weights, as token repetitions (bm25s indexes one bag of words per document).
_FIELD_REPEATS = {"title": 2, "artist": 2, "subjects": 2, "movements": 1, "genres": 1, "medium": 1, "date": 1,
                  "place": 1}
# Words that make a query polite or say "artworks" but match nothing.
STOPWORDS = frozenset(
    "a an the of by in from and with show me find paintings painting painted pictures picture works work artworks "
    "art artwork some any for on to do you have can could would i see please there are is what which search look "
    "looking want like all list got your collection museum other more about century centuries era period".split())
# Query words for a genre (folded, whole words; multi-word phrases first).
_GENRE_WORDS = {
    STILL_LIFE: ("still life", "still lifes", "still lives"),
    PORTRAIT: ("self portraits", "self portrait", "portraits", "portrait", "portraiture"),
    LANDSCAPE: ("landscapes", "landscape"),
    SEASCAPE: ("seascapes", "seascape", "marines", "marine paintings"),
    RELIGIOUS: ("religious", "sacred", "devotional", "biblical", "christian"),
}
_ORDINALS = {"eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15, "sixteenth": 16,
             "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20}
_CENTURY = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?[ -]century\b|\b(" + "|".join(_ORDINALS) + r")[ -]century\b")
_HUNDREDS = re.compile(r"\b(1[0-9])00s\b")  # "1600s": the century, not the decade 1600-1609
_DECADE = re.compile(r"\b(1[0-9]{2}0)s\b")
_YEAR = re.compile(r"\b(1[0-9]{3})\b")
_KAGGLE_TITLE = re.compile(r"^(?P<artist>.+), painting \d+$")  # a file number, not a title


def year_range(query: str) -> tuple[int, int] | None:
    """ "1880s" -> (1880, 1889); "17th century", "1600s" -> (1600, 1699); "1889" -> (1889, 1889)."""
    return _date_span(fold(query))[0]


def _date_span(folded: str) -> tuple[tuple[int, int] | None, str]:
    """(years the query names, the query with the date words taken out)."""
    for pattern, span_of in ((_CENTURY, _century_span), (_HUNDREDS, lambda m: _century_span_of(int(m[1]) + 1)),
                             (_DECADE, lambda m: (int(m[1]), int(m[1]) + 9)),
                             (_YEAR, lambda m: (int(m[1]), int(m[1])))):
        if match := pattern.search(folded):
            return span_of(match), f"{folded[:match.start()]} {folded[match.end():]}"
    return None, folded


def _century_span(match: re.Match) -> tuple[int, int]:
    return _century_span_of(int(match[1]) if match[1] else _ORDINALS[match[2]])


def _century_span_of(century: int) -> tuple[int, int]:
    return (century - 1) * 100, (century - 1) * 100 + 99


@dataclass(frozen=True)
class Facets:
    """What search knows of one record beyond its words, each fact with where it came from."""

    artist: str  # the knowledge base's name for the painter, else the record's (folded)
    movements: dict[str, str]  # movement -> source (KB_SOURCE or RECORD_SOURCE)
    genres: dict[str, str]  # genre -> basis (data.genres.TAGS or TITLE): always inferred
    years: tuple[int, int] | None

    def to_json(self) -> dict:
        return {"movements": [{"name": name, "from": source} for name, source in self.movements.items()],
                "genres": [{"name": name, "inferred_from": basis} for name, basis in self.genres.items()]}


def record_years(record: Artwork) -> tuple[int, int] | None:
    begin, end = record.extra.get("begin_year"), record.extra.get("end_year")
    if isinstance(begin, int) and isinstance(end, int):
        return begin, end
    years = [int(y) for y in _YEAR.findall(record.date)]
    return (min(years), max(years)) if years else None


def facets_of(record: Artwork, kb: KnowledgeBase | None) -> Facets:
    entry = kb.find(record.artist) if kb is not None and record.artist else None
    movements = {name: RECORD_SOURCE for name in record.extra.get("genres") or []}  # artists.csv "genre" = movements
    for name in entry.movements if entry is not None else ():
        movements.setdefault(name, KB_SOURCE)
    return Facets(artist=entry.name if entry is not None else fold(record.artist), movements=movements,
                  genres=infer_genres(record.title, record.extra.get("tags")), years=record_years(record))


def real_title(record: Artwork) -> str:
    """The title, or "" for a corpus that names files, not paintings ("Claude Monet, painting 12")."""
    match = _KAGGLE_TITLE.match(record.title)
    return "" if match and match["artist"] == record.artist else record.title


def describe(record: Artwork, facets: Facets) -> str:
    """One sentence for the sentence model: "Irises. A still life by Vincent van Gogh (Post-Impressionism), 1890.
    Oil on canvas. Subjects: flowers, irises." """
    kind = " and ".join(facets.genres) or "work"
    movements = f" ({', '.join(facets.movements)})" if facets.movements else ""
    parts = [real_title(record), f"A {kind} by {record.artist or 'an unidentified artist'}{movements}"
             + (f", {record.date}" if record.date else ""), record.medium]
    if tags := record.extra.get("tags"):
        parts.append("Subjects: " + ", ".join(tag.lower() for tag in tags))
    return ". ".join(part.rstrip(".") for part in parts if part) + "."


@dataclass(frozen=True)
class Query:
    """A query read into facets (filters) and free words (ranking)."""

    text: str
    span: tuple[int, int] | None = None
    movements: frozenset[str] = frozenset()
    genres: frozenset[str] = frozenset()
    artists: frozenset[str] = frozenset()
    words: tuple[str, ...] = ()

    @property
    def has_facets(self) -> bool:
        return bool(self.span or self.movements or self.genres or self.artists)

    def to_json(self) -> dict:
        return {"years": list(self.span) if self.span else None, "movements": sorted(self.movements),
                "genres": sorted(self.genres), "artists": sorted(self.artists), "words": list(self.words)}


@dataclass
class SearchResult:
    rows: list[int]  # record positions, best first
    scores: list[float]  # in [0, 1], aligned with rows
    query: Query
    method: str  # "metadata" (facets + BM25) or "metadata+meaning" (+ MiniLM)


class MovementVocabulary:
    """Movement names as a visitor says them: "impressionist(s)" -> Impressionism (never Post-Impressionism),
    "post-impressionist" -> Post-Impressionism, "renaissance" -> every movement whose name ends in Renaissance."""

    def __init__(self, names: set[str]):
        exact: dict[tuple[str, ...], set[str]] = {}
        families: dict[tuple[str, ...], set[str]] = {}
        for name in names:
            words = fold(name).split()
            if not words:
                continue
            exact.setdefault(_phrase_key(words), set()).add(name)
            if len(words) > 1:
                exact.setdefault((_movement_stem("".join(words)),), set()).add(name)  # "postimpressionist"
                if words[-1] not in _GENERIC_LAST_WORDS:
                    families.setdefault((_movement_stem(words[-1]),), set()).add(name)
        # A last word that names no movement on its own stands for its family; one that does means just that one.
        self._phrases = {**families, **exact}
        self._longest = max((len(key) for key in self._phrases), default=0)

    def find(self, words: list[str]) -> tuple[set[str], list[str]]:
        """(movements named in `words`, the words left over), longest phrases first."""
        found, rest, position = set(), [], 0
        while position < len(words):
            for size in range(min(self._longest, len(words) - position), 0, -1):
                key = _phrase_key(words[position:position + size])
                if key in self._phrases and (size > 1 or words[position] not in STOPWORDS):
                    found |= self._phrases[key]
                    position += size
                    break
            else:
                rest.append(words[position])
                position += 1
        return found, rest


# Last words of movement names that say nothing on their own ("Genre painting", "Pop Art", "Barbizon school").
_GENERIC_LAST_WORDS = {"painting", "art", "school", "style", "movement", "age", "manner"}
_MOVEMENT_SUFFIXES = ("istic", "ists", "ist", "isms", "ism", "ical", "ic", "al")


def _phrase_key(words: list[str]) -> tuple[str, ...]:
    return tuple(words[:-1]) + (_movement_stem(words[-1]),)


def _movement_stem(word: str) -> str:
    """ "impressionists", "impressionistic", "impressionism" -> "impression"; "romantic", "romanticism" -> "romant"."""
    changed = True
    while changed:
        changed = False
        for suffix in _MOVEMENT_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word, changed = word[:-len(suffix)], True
                break
    return word


def _find_genres(folded_words: list[str]) -> tuple[set[str], list[str]]:
    text = f" {' '.join(folded_words)} "
    found = set()
    for genre, phrases in _GENRE_WORDS.items():
        for phrase in phrases:
            if f" {phrase} " in text:
                found.add(genre)
                text = text.replace(f" {phrase} ", " ")
    return found, text.split()


class SearchIndex:
    """Everything search needs about a collection, built once: facets, the BM25 index, description vectors."""

    # A record found only by meaning must stand this many standard deviations above the collection's median
    # similarity to the query, and near the best: on the Met paintings "sea" puts Whalers, Boating, By the Seashore,
    # Fish Market and The Trojan Women Setting Fire to Their Fleet at 3.0-4.2 sigma, the next record at 1.9.
    MEANING_FLOOR, MEANING_MARGIN = 3.0, 1.5
    MEANING_WEIGHT = 0.5  # share of the score that is meaning, when both BM25 and the sentence model have a say

    def __init__(self, records: list[Artwork], kb: KnowledgeBase | None = None,
                 embed: SentenceEmbedder | None = None, cache_dir: Path | None = None):
        import bm25s
        import Stemmer

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets its own logger to DEBUG on import

        self.records, self.kb, self._embed = list(records), kb, embed
        self.facets = [facets_of(record, kb) for record in self.records]
        self.movements = MovementVocabulary(
            {name for f in self.facets for name in f.movements}
            | {name for entry in (kb.entries if kb else []) for name in entry.movements}
        )
        self._stemmer = Stemmer.Stemmer("english")
        self._bm25 = bm25s.BM25()
        self._bm25.index([self._tokens(record, facets) or [""] for record, facets in zip(self.records, self.facets)],
                         show_progress=False)
        self.descriptions = [describe(record, facets) for record, facets in zip(self.records, self.facets)]
        self.vectors = None if embed is None else cached_description_vectors(
            self.descriptions, embed, cache_dir, SENTENCE_MODEL_TAG)

    def _tokens(self, record: Artwork, facets: Facets) -> list[str]:
        fields = {
            "title": real_title(record),
            "artist": record.artist,
            "subjects": " ".join(record.extra.get("tags") or []),
            "movements": " ".join(facets.movements),
            "genres": " ".join(facets.genres),
            "medium": record.medium,
            "date": record.date,
            "place": " ".join(
                str(record.extra.get(key) or "") for key in ("culture", "artist_nationality", "department")
            ),
        }
        return [token for name, text in fields.items() for token in self._stem(text) * _FIELD_REPEATS[name]]

    def _stem(self, text: str) -> list[str]:
        return self._stemmer.stemWords([w for w in fold(text).split() if w not in STOPWORDS])

    # --- reading a query ------------------------------------------------------------------

    def parse(self, text: str) -> Query:
        span, rest = _date_span(fold(text))
        artists: set[str] = set()
        if self.kb is not None:
            for entry in self.kb.mentions(rest):
                artists.add(entry.name)
                named = set(fold(" ".join(entry.names)).split())
                rest = " ".join(word for word in rest.split() if word not in named)
        genres, words = _find_genres(rest.split())
        movements, words = self.movements.find(words)
        return Query(text=text, span=span, movements=frozenset(movements), genres=frozenset(genres),
                     artists=frozenset(artists), words=tuple(w for w in words if w not in STOPWORDS and len(w) > 1))

    def _passes(self, facets: Facets, query: Query) -> bool:
        if query.span is not None and (facets.years is None or facets.years[1] < query.span[0]
                                       or facets.years[0] > query.span[1]):
            return False
        if query.artists and facets.artist not in query.artists:
            return False
        if query.movements and not query.movements & set(facets.movements):
            return False
        return query.genres <= set(facets.genres)

    # --- ranking ------------------------------------------------------------------------------

    def search(self, text: str, k: int = 10) -> SearchResult:
        query = self.parse(text)
        method = "metadata+meaning" if self.vectors is not None else "metadata"
        if not query.has_facets and not query.words:
            return SearchResult([], [], query, method)
        rows = np.array([row for row, facets in enumerate(self.facets) if self._passes(facets, query)], dtype=int)
        if rows.size == 0:
            return SearchResult([], [], query, method)
        meaning = self._meaning(query, rows)
        if query.words:
            scores, keep = self._rank_words(query, rows, meaning)
            if query.has_facets and not keep.any():  # words nothing matches ("harbours"): the facets alone answer
                keep[:] = True
        else:  # facets alone: every record that has them, closest in meaning first
            scores = meaning if meaning is not None else np.ones(rows.size, np.float32)
            keep = np.ones(rows.size, dtype=bool)
        order = [i for i in np.lexsort((rows, -scores)) if keep[i]][:k]
        return SearchResult([int(rows[i]) for i in order], [float(np.clip(scores[i], 0.0, 1.0)) for i in order],
                            query, method)

    def _meaning(self, query: Query, rows: np.ndarray) -> np.ndarray | None:
        """MiniLM similarity of the query's free words (or, for facets alone, its words) to each row's description,
        as a z-score against the whole collection: raw cosines shift with the query's length, z-scores do not."""
        if self.vectors is None or self._embed is None:
            return None
        phrase = " ".join(query.words) or _date_span(fold(query.text))[1]
        similarity = self.vectors @ self._embed([phrase])[0]
        spread = float(similarity.std()) or 1.0
        return ((similarity - float(np.median(similarity))) / spread)[rows].astype(np.float32)

    def _rank_words(self, query: Query, rows: np.ndarray, meaning: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        tokens = [token for token in self._stemmer.stemWords(list(query.words)) if token in self._bm25.vocab_dict]
        lexical = self._bm25.get_scores(tokens)[rows] if tokens else np.zeros(rows.size, np.float32)
        best = float(lexical.max()) if lexical.size else 0.0
        lexical = lexical / best if best > 0 else lexical
        if meaning is None:
            return lexical, lexical > 0
        close = (meaning >= self.MEANING_FLOOR) & (meaning >= float(meaning.max()) - self.MEANING_MARGIN)
        scores = (1 - self.MEANING_WEIGHT) * lexical + self.MEANING_WEIGHT * _squash(meaning)
        return scores, (lexical > 0) | close


def _squash(z: np.ndarray) -> np.ndarray:
    """A z-score of meaning to [0, 1]: 0 at the collection's median, 0.5 at MEANING_FLOOR sigmas, towards 1 above."""
    return np.clip(z, 0, None) / (np.clip(z, 0, None) + SearchIndex.MEANING_FLOOR)


def embed_unique(embed: SentenceEmbedder, texts: list[str]) -> np.ndarray:
    """Vectors for `texts`, embedding each distinct text once (a corpus without titles repeats them)."""
    unique = sorted(set(texts))
    vectors = embed(unique)
    position = {text: i for i, text in enumerate(unique)}
    return vectors[[position[text] for text in texts]]


def cached_description_vectors(descriptions: list[str], embed: SentenceEmbedder, cache_dir: Path | None,
                               model_tag: str) -> np.ndarray:
    """`embed_unique` with an on-disk cache keyed by the model and the texts: a `museum search` process then
    embeds only its query (the Met descriptions take seconds on a busy 2-core CPU)."""
    digest = hashlib.sha256(json.dumps([model_tag, descriptions]).encode()).hexdigest()[:20]
    path = cache_dir / f"search-descriptions-{digest}.npy" if cache_dir else None
    if path is not None and path.is_file():
        try:
            vectors = np.load(path, allow_pickle=False)
            if vectors.shape[0] == len(descriptions):
                return vectors
        except (OSError, ValueError):
            log.warning("ignoring unreadable search cache %s", path)
    vectors = embed_unique(embed, descriptions)
    if path is not None:
        buffer = io.BytesIO()
        np.save(buffer, vectors)
        try:
            atomic_write_bytes(path, buffer.getvalue())
        except OSError as error:  # a read-only cache only costs time
            log.warning("cannot write the search cache %s: %s", path, error)
    return vectors


__all__ = ["GENRES", "Facets", "Query", "SearchIndex", "SearchResult", "cached_description_vectors", "describe",
           "embed_unique", "facets_of", "record_years", "year_range"]
