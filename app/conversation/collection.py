"""Answers from the collection: paintings that look alike, and searches by artist, words or dates."""

from __future__ import annotations

import re

from app.conversation import paintings
from app.conversation.turns import GALLERY_SIZE, Reply, SessionState, say, why_missing
from app.serving.resources import Resources
from data.knowledge import ArtistEntry
from retrieval.query import metadata_search

# Words that make a search query polite but match no metadata.
_FILLER = {"do", "you", "have", "any", "can", "could", "would", "i", "see", "please", "there", "are", "is", "what",
           "which", "some", "show", "me", "find", "search", "look", "looking", "want", "like", "all", "list",
           "got", "your", "collection", "museum", "other", "more"}


def similar(resources: Resources, state: SessionState, artist: ArtistEntry | None) -> Reply:
    if artist is None and state.image_vector is not None:
        hits = paintings.look_alikes(resources, state.image_vector, state.match, GALLERY_SIZE)
        hits = [h for h in hits if h["score"] < 0.999]  # not the painting itself, when the match missed it
        if hits:
            return _gallery(state, "Paintings in the collection that look most like this one:", hits)
        missing = why_missing(resources, "index", "encoder")
        return say(state, f"I can't search for similar paintings right now ({missing}).")
    entry = artist or (resources.kb.find(state.focus_artist) if resources.kb and state.focus_artist else None)
    if entry is None:
        return say(state, "Show me a painting first, or name an artist, and I'll find similar paintings.", ["Help"])
    catalogue = resources.catalogue
    if catalogue is None:
        return say(state, f"I can't search the collection right now ({why_missing(resources, 'index')}).")
    rows = catalogue.rows_by(entry.name)
    kin = [i for i, e in enumerate(catalogue.artists) if e is not None and e.name != entry.name
           and set(e.movements) & set(entry.movements)]
    hits = [_record_hit(catalogue.records[i], i) for i in (rows + kin)[:GALLERY_SIZE]]
    if not hits:
        return say(state, f"The collection has no paintings by {entry.name} or by painters of the same movement.")
    own = f"{len(rows)} by {entry.name}" if rows else f"none by {entry.name}"
    return _gallery(state, f"From the collection ({own}; the rest share a movement: "
                           f"{', '.join(entry.movements) or 'none recorded'}):", hits)


def _record_hit(record, row: int, score: float | None = None) -> dict:
    return {"id": record.id, "title": record.title, "artist": record.artist, "date": record.date, "score": score,
            "image_path": str(record.image_path), "url": record.url, "source": record.source, "row": row}


def _gallery(state: SessionState, heading: str, hits: list[dict], **data) -> Reply:
    # The reply names the set; the gallery (images + captions) carries the paintings themselves.
    return Reply(heading, artist=state.focus_artist, images=[h["image_path"] for h in hits],
                 captions=[paintings.caption(h) for h in hits], data={"results": hits, **data},
                 suggestions=["Who is this artist?", "Why?"])


def search(resources: Resources, state: SessionState, text: str, named: list[ArtistEntry]) -> Reply:
    catalogue = resources.catalogue
    if catalogue is None:
        return say(state, f"I can't search the collection right now ({why_missing(resources, 'index')}).")
    if named:
        entry = named[0]
        rows = catalogue.rows_by(entry.name)
        if not rows:
            works = f" {entry.name} is known for {', '.join(entry.notable_works[:3])}." if entry.notable_works else ""
            return say(state, f"The collection here has no paintings by {entry.name}.{works}",
                       ["Tell me about the artist", "Show similar"], results=[])
        hits = [_record_hit(catalogue.records[i], i) for i in rows[:GALLERY_SIZE * 2]]
        return _gallery(state, f"{len(hits)} painting{'s' if len(hits) > 1 else ''} by {entry.name} in the collection:",
                        hits, query=text)
    words = [w for w in re.findall(r"[\w-]+", text.lower()) if w not in _FILLER]
    query = " ".join(words)
    hits = metadata_search(catalogue.records, query, GALLERY_SIZE * 2)
    note = ""
    if not hits and len(words) > 1:  # "impressionist landscapes": fall back to the words one at a time
        for word in words:
            if hits := metadata_search(catalogue.records, word, GALLERY_SIZE * 2):
                note = f" (nothing matches all of \"{query}\"; these match \"{word}\")"
                break
    if not hits:
        return say(state, f"Nothing in the collection matches \"{query}\". Try an artist, a subject "
                   "(\"portrait\"), a movement (\"impressionist\") or a decade (\"1880s\").", ["Help"],
                   results=[], query=query)
    return _gallery(state, f"{len(hits)} from the collection{note}:", [_record_hit(h.record, h.row) for h in hits],
                    query=query)


