"""Queries over a loaded index: similar artworks for an image, and text search.

Text search (retrieval/search.py) reads dates, movements, genres and artists out of the query and
ranks by BM25 and, with a sentence model, by meaning; with a CLIP encoder it adds text-to-image
similarity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from data.knowledge import KnowledgeBase, KnowledgeError, load_knowledge
from data.records import Artwork
from retrieval.search import SearchIndex, SearchResult, year_range

if TYPE_CHECKING:  # metadata search runs without torch and FAISS: a text question must not load them
    from retrieval.encoders import Encoder
    from retrieval.store import LoadedIndex


@dataclass(frozen=True)
class Hit:
    record: Artwork
    score: float
    row: int
    facts: dict = field(default_factory=dict, compare=False)  # what search inferred: movements, genres

    def to_json(self) -> dict:
        r = self.record
        return {"id": r.id, "title": r.title, "artist": r.artist, "date": r.date, "score": round(self.score, 4),
                "image_path": str(r.image_path), "url": r.url, "source": r.source, **self.facts}


def similar_to_vector(loaded: LoadedIndex, vector: np.ndarray, k: int) -> list[Hit]:
    from retrieval.vector_index import search


    scores, ids = search(loaded.index, vector, k)
    return [Hit(loaded.records[i], float(s), int(i)) for s, i in zip(scores[0], ids[0]) if i >= 0]


def hit_at_row(loaded: LoadedIndex, vector: np.ndarray, row: int) -> Hit:
    """Row `row` as a hit for `vector`: its cosine to the row's vector as the index stores it (exact for a flat or
    HNSW index, the refine copy's for IVF-PQ)."""
    stored = loaded.index.reconstruct(int(row))
    return Hit(loaded.records[row], float(np.dot(np.asarray(vector, np.float32).ravel(), stored)), int(row))


def similar_to_image(encoder: Encoder, loaded: LoadedIndex, image: Image.Image, k: int = 10) -> list[Hit]:
    return similar_to_vector(loaded, encoder.encode_images([image]), k)


# --- text search -------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def default_knowledge() -> KnowledgeBase | None:
    try:
        return load_knowledge()
    except KnowledgeError:
        return None


def search_hits(index: SearchIndex, query: str, k: int) -> tuple[list[Hit], SearchResult]:
    result = index.search(query, k)
    hits = [Hit(index.records[row], score, row, index.facets[row].to_json())
            for row, score in zip(result.rows, result.scores)]
    return hits, result


def metadata_search(records: list[Artwork], query: str, k: int = 10, kb: KnowledgeBase | None = None) -> list[Hit]:
    """Records matching a query's facets (date, movement, genre, artist), ranked by BM25 over their words.

    Without a sentence model: see `SearchIndex` for the search with meaning.
    """
    return search_hits(SearchIndex(records, kb or default_knowledge()), query, k)[0]


def text_search(encoder: Encoder | None, loaded: LoadedIndex, query: str, k: int = 10,
                index: SearchIndex | None = None) -> tuple[list[Hit], str]:
    """(hits, method): the search index's matches (built without meaning when none is given), then CLIP
    text-to-image matches when the encoder has a text tower."""
    index = index or SearchIndex(loaded.records, default_knowledge())
    hits, result = search_hits(index, query, k)
    if encoder is None or not encoder.has_text:
        return hits, result.method
    seen = {hit.row for hit in hits}
    visual = [hit for hit in similar_to_vector(loaded, encoder.encode_text([query]), k) if hit.row not in seen]
    return (hits + visual)[:k], f"{result.method}+clip"


__all__ = [
    "Hit",
    "metadata_search",
    "search_hits",
    "similar_to_image",
    "similar_to_vector",
    "text_search",
    "year_range",
]
