"""Answers no template covers, read from a painter's own text: sentence retrieval over the knowledge base.

A painter's text is the biography, the works index's lines and notes about their works, and the richer facts
rendered as sentences ("Teachers of X: ..."; "1888: moved to Arles"), each sentence keeping its origin. A question
is scored against every sentence by MiniLM cosine similarity (the assistant's sentence model, the painter's names
replaced by "the painter" on both sides) plus the share of the question's words the sentence holds, weighted by
their inverse sentence frequency (Snowball-stemmed; question words left out; a word no sentence holds weighs the
most, so "what was his favourite food?" shares little with any sentence); the best sentence is quoted
word for word, with where it comes from, when its score clears `MIN_SCORE` (chosen on the validation half of
data/knowledge/questions_eval.csv, `museum eval questions`). Below it the assistant says it does not know.
A painter's sentences are embedded the first time a question is about them, then kept.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from dataclasses import dataclass

import numpy as np

from data.knowledge import ArtistEntry
from data.text import fold
from data.works import Work

log = logging.getLogger(__name__)

MIN_SCORE = 0.80  # cosine + OVERLAP_WEIGHT * word overlap of the best sentence (validation half)
OVERLAP_WEIGHT = 0.5
MIN_COSINE_ALONE = 0.70  # a sentence sharing no content word with the question must be this close in meaning
# Words that say "a question" and nothing about its subject.
_QUESTION_WORDS = frozenset(
    "a an the of in on at to for by with from and or is was were are be been did do does done has had have how why "
    "what which who whom whose when where he she they his her their him them it its this that there tell me about "
    "please can could would you i much many any some ever really so very painter artist paint painted painting "
    "paintings work works art picture pictures make made go get got become have".split())
_SENTENCE = re.compile(r"(?:(?<=[a-z0-9)”\"'][.!?])|(?<=[A-Z]{2}[.!?]))\s+(?=[A-Z“\"])")  # "Charles IV. A", not "J. M."


@dataclass(frozen=True)
class Sentence:
    text: str
    origin: str  # "biography", "notes on The Scream", "facts"


@dataclass(frozen=True)
class Recalled:
    sentence: Sentence
    score: float
    cosine: float
    lexical: float


def painter_sentences(entry: ArtistEntry, works: list[Work]) -> list[Sentence]:
    """Every sentence the knowledge base holds about `entry`, with its origin."""
    out = [Sentence(s, "biography") for s in split_sentences(entry.bio or "")]
    for work in works:
        origin = f"notes on {work.title}"
        line = f"{work.title} ({work.year}): {work.about}." if work.about else None
        out += [Sentence(line, origin)] if line else []
        out += [Sentence(s, origin) for s in split_sentences(work.notes or "")]
    facts = [("Teachers of {name}: {items}.", entry.teachers), ("{name} was influenced by {items}.", entry.influences),
             ("{name}'s circle: {items}.", entry.circle), ("{name}'s media: {items}.", entry.media),
             ("{name}'s techniques: {items}.", entry.techniques)]
    out += [Sentence(template.format(name=entry.name, items="; ".join(items)), "facts")
            for template, items in facts if items]
    out += [Sentence(f"{entry.name} in {p.place}" + (f" ({p.years})" if p.years else "")
                     + (f": {p.note}." if p.note else "."), "facts") for p in entry.places]
    out += [Sentence(f"{e.when}: {entry.name} {e.text}." if _starts_with_verb(e.text) else f"{e.when}: {e.text}.",
                     "facts") for e in entry.events]
    return out


def _starts_with_verb(text: str) -> bool:
    return bool(re.match(r"(?:was|became|moved|went|married|died|painted|began|showed|made|left|joined|founded|"
                         r"entered|received|took|settled|opened|travelled|sailed|lost|gave|completed|published|"
                         r"suffered|fled|escaped|killed|returned|decided|retired|first|helped|co-founded|designed|"
                         r"broke|had|worked|visited|stayed|studied|unveiled|turned|inherited|bought|met|"
                         r"received|won|spent|fell|started)\b", text))


def _unnamed(text: str, entry: ArtistEntry) -> str:
    """The painter's names replaced by "the painter": a shared name must not make two sentences look alike."""
    for name in sorted({n for n in entry.names if len(n) >= 4} | {entry.name.split()[-1]}, key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(name)}\b", "the painter", text, flags=re.I)
    return text


def split_sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE.split(text.strip()) if part.strip()]


class Recall:
    """Per-painter sentence indexes, built on first use: `best(entry, question)`."""

    def __init__(self, works_by_artist, embed):
        self._works_by_artist = works_by_artist  # name -> list[Work]
        self._embed = embed  # list[str] -> float32[N, D] (normalised) or None
        self._cache: dict[str, tuple] = {}
        self._lock = threading.Lock()

    def _index(self, entry: ArtistEntry):
        if entry.name in self._cache:
            return self._cache[entry.name]
        with self._lock:
            if entry.name not in self._cache:
                import Stemmer

                sentences = painter_sentences(entry, self._works_by_artist(entry.name))
                vectors = self._embed([_unnamed(s.text, entry) for s in sentences]) if sentences else None
                stemmer = Stemmer.Stemmer("english")
                names = {word for name in entry.names for word in fold(name).split()} - {"saint", "master"}
                tokens = [set(self._tokens(s.text, stemmer, names)) for s in sentences]
                frequency: dict[str, int] = {}
                for bag in tokens:
                    for token in bag:
                        frequency[token] = frequency.get(token, 0) + 1
                idf = {token: math.log(1 + len(sentences) / count) for token, count in frequency.items()}
                self._cache[entry.name] = (sentences, vectors, tokens, idf, stemmer, names)
        return self._cache[entry.name]

    @staticmethod
    def _tokens(text: str, stemmer, names: set[str]) -> list[str]:
        words = [w for w in fold(text).split() if w not in _QUESTION_WORDS and w not in names and len(w) > 1]
        return stemmer.stemWords(words)

    def ranked(self, entry: ArtistEntry, question: str, only: str | None = None) -> list[Recalled]:
        """Sentences of `entry` by score, best first; `only` keeps those of one origin ("notes on The Scream")."""
        sentences, vectors, tokens, idf, stemmer, names = self._index(entry)
        rows = [i for i, s in enumerate(sentences) if only is None or s.origin == only]
        if not rows:
            return []
        cosine = np.zeros(len(sentences), np.float32)
        if vectors is not None and (query := self._embed([_unnamed(question, entry)])) is not None:
            cosine = vectors @ query[0]
        asked = set(self._tokens(question, stemmer, names))
        unseen = math.log(1 + len(sentences))  # a question word no sentence holds weighs the most
        total = sum(idf.get(token, unseen) for token in asked)
        overlap = [sum(idf[t] for t in asked & tokens[i]) / total if total else 0.0 for i in range(len(sentences))]
        scored = [Recalled(sentences[i], float(cosine[i]) + OVERLAP_WEIGHT * overlap[i], float(cosine[i]), overlap[i])
                  for i in rows]
        return sorted(scored, key=lambda r: -r.score)

    def best(self, entry: ArtistEntry, question: str, only: str | None = None, min_score: float = MIN_SCORE,
             min_cosine_alone: float = MIN_COSINE_ALONE) -> Recalled | None:
        """The best sentence if it clears `min_score`, and `min_cosine_alone` when it shares no word with the
        question; else None."""
        ranked = self.ranked(entry, question, only)
        if not ranked or ranked[0].score < min_score:
            return None
        return None if ranked[0].lexical == 0 and ranked[0].cosine < min_cosine_alone else ranked[0]
