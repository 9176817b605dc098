"""Label spaces from artists.csv: artist indices, the multi-label movement matrix, and
matching of other corpora's artist names (e.g. the Met's) against the 50 artists."""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.text import fold


def artist_genres(artists: pd.DataFrame) -> tuple[list[str], list[str], np.ndarray]:
    """(artist names, genre names, membership[artist, genre]) in the CSV's order."""
    names = list(artists["name"])
    genres = sorted({genre for row in artists["genres"] for genre in row})
    membership = np.zeros((len(names), len(genres)), dtype=np.float32)
    for row, artist_genre_list in enumerate(artists["genres"]):
        for genre in artist_genre_list:
            membership[row, genres.index(genre)] = 1.0
    return names, genres, membership


def _tokens(name: str) -> list[str]:
    return fold(name).split()


def match_artist(other: str, names: list[str]) -> str | None:
    """The one of `names` that `other` denotes, by normalised name tokens, else None.

    "Auguste Renoir" -> "Pierre-Auguste Renoir", "Botticelli (Alessandro di ...)" ->
    "Sandro Botticelli", "Titian (Tiziano Vecellio)" -> "Titian", but "Théodore
    Rousseau" is not "Henri Rousseau": besides the surname a given name must agree,
    or the surname must lead the display name.
    """
    words = _tokens(other)
    for name in names:
        parts = _tokens(name)
        if not parts or parts[-1] not in words:
            continue
        if len(parts) == 1 or words[0] == parts[-1] or set(parts[:-1]) & set(words):
            return name
    return None
