"""The works index (data/knowledge/works.json): famous works by title, however visitors spell them.

`WorksIndex.find("who painted the mona liza?")` reads the titles named in a question: every title and alternative
title ("La Gioconda", "La Joconde", "Mona Lisa") is matched after accent/case folding with leading articles
dropped ("the", "la", "der", ...), exactly first, then fuzzily (rapidfuzz ratio) so typos land on the right work.
A one-word title ("Guernica", "David", "Olympia") needs the question to look like a question about a work (a
capital letter, or "painted", "where is", "see", ...) and matches exactly: "head" or "spring" in a sentence are
ordinary words. A title the index does not hold matches nothing: the assistant then says it does not know it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from data.knowledge import KnowledgeError
from data.text import fold

WORKS_FILE = Path(__file__).resolve().parent / "knowledge" / "works.json"

# Leading articles of the five languages (folded): "the starry night" and "starry night" are one key.
ARTICLES = {"the", "a", "an", "la", "le", "les", "l", "il", "lo", "gli", "i", "el", "los", "las", "der", "die", "das",
            "den", "dem", "des", "de", "het", "un", "une", "uno", "una", "ein", "eine", "einen"}
FUZZY_LONG, FUZZY_SHORT = 85, 86  # rapidfuzz ratio cut-offs for keys of >= 12 characters, and shorter ones
MIN_FUZZY_CHARS = 7  # shorter keys match exactly only
MAX_WORDS = 14
DEFINITE = {"the", "la", "le", "les", "l", "il", "lo", "el", "los", "las", "der", "die", "das", "het", "s"}
# One-word titles that are also ordinary words: inside a sentence they name a work only when written with a
# capital ("The Kiss") or after an article ("who painted the dance?"), or as the whole title of a question frame.
GENERIC = frozenset("""one head spring box star dance danse danza tanz meeting farm dream reve traum sueno bedroom
circus cirque models mural lances executions lovers promenade cry pan liberty deposition loge musicians guitarist
birthday swing kiss iris hare annunciation assumption lamentation boating bathers saviour tete lilac lilacs trinity
madonna judith snail umbrellas fiddler spinners syndics harvesters gleaners milkmaid ambassadors whalers vampire
apocalypse transfiguration surprised convergence constellations sunflowers irises haystacks david moses medusa
scream absinthe rhinoceros""".split())
# Words that make a one-word title a title: "who painted Guernica?", "where is David?", "où est la Joconde".
_WORK_CUE = re.compile(
    r"\b(paint|painted|painting|picture|made|make|created|create|carved|sculpt\w*|statue|fresco|mural|print|work"
    r"|artwork|masterpiece|where|see|hang\w*|museum|kept|title|called|story|famous|versions?|copies|peint\w*"
    r"|tableau|oeuvre|où|ou se|gemalt|bild|gemälde|werk|wo|hängt|pint\w*|cuadro|obra|dónde|dipint\w*|quadro"
    r"|opera|dove)\b", re.I)


@dataclass(frozen=True)
class Work:
    title: str
    artist: str  # the knowledge base's name of the painter
    aliases: tuple[str, ...] = ()
    year: str | None = None  # as written: "1642", "c. 1503–1519", "1890s (series)"
    medium: str | None = None
    museum: str | None = None  # where it is now; "private collection", "destroyed in 1945"
    city: str | None = None
    about: str | None = None  # one line: what it is
    notes: str | None = None  # a few more sentences (its story)

    @classmethod
    def from_json(cls, value: dict) -> "Work":
        text = lambda key: str(value[key]).strip() if value.get(key) else None
        if not text("title") or not text("artist"):
            raise ValueError(f"a work needs a title and an artist: {value!r}")
        return cls(title=text("title"), artist=text("artist"),
                   aliases=tuple(str(a).strip() for a in value.get("aliases") or [] if str(a).strip()),
                   year=text("year"), medium=text("medium"), museum=text("museum"), city=text("city"),
                   about=text("about"), notes=text("notes"))

    @property
    def names(self) -> list[str]:
        return [self.title, *self.aliases]

    @property
    def where(self) -> str | None:
        """ "Rijksmuseum, Amsterdam", "private collection"."""
        return ", ".join(part for part in (self.museum, self.city) if part) or None


@dataclass(frozen=True)
class Found:
    works: tuple[Work, ...]  # one, or several works of the same title ("The Last Judgment")
    phrase: str  # the folded words of the question that named it
    score: float  # 100 for an exact match
    start: int  # word positions in the folded question
    end: int


def title_key(title: str) -> str:
    """ "The Adoration of the Magi (Giotto)" -> "adoration of the magi"; "L'Escargot" -> "escargot"."""
    words = fold(re.sub(r"\(.*?\)", " ", title)).split()
    while len(words) > 1 and words[0] in ARTICLES:
        words = words[1:]
    return " ".join(words)


class WorksIndex:
    def __init__(self, works: list[Work]):
        self.works = list(works)
        self._by_key: dict[str, list[Work]] = {}
        for work in self.works:
            keys = {title_key(name) for name in work.names} | {fold(name) for name in work.names}
            for key in keys:
                if key and work not in self._by_key.setdefault(key, []):
                    self._by_key[key].append(work)
        self._fuzzy_keys = [key for key in self._by_key if len(key) >= MIN_FUZZY_CHARS and " " in key]
        self._single = {key for key in self._by_key if " " not in key}

    def __len__(self) -> int:
        return len(self.works)

    def by_artist(self, name: str) -> list[Work]:
        return [work for work in self.works if work.artist == name]

    def titled(self, title: str) -> Found | None:
        """The work whose title is `title` as a whole (a question frame's "who painted X?"), exactly or fuzzily."""
        from rapidfuzz import fuzz, process

        key = title_key(title)
        if not key:
            return None
        size = len(fold(title).split())
        if key in self._by_key:
            return Found(tuple(self._by_key[key]), key, 100.0, 0, size)
        if len(key) < MIN_FUZZY_CHARS:
            return None
        hit = process.extractOne(key, list(self._by_key), scorer=fuzz.ratio,
                                 score_cutoff=FUZZY_LONG if len(key) >= 12 else FUZZY_SHORT)
        return Found(tuple(self._by_key[hit[0]]), hit[0], float(hit[1]), 0, size) if hit else None

    def find(self, text: str) -> Found | None:
        """The work named anywhere in `text` (the longest, best match), or None."""
        from rapidfuzz import fuzz, process

        folded_words = fold(text[:400]).split()
        cue = bool(_WORK_CUE.search(text) or re.search(r"\s[A-Z][a-zà-ÿ]{3,}", text))  # a capital after the first word
        capitals = {fold(word) for word in re.findall(r"(?<=\s)[A-ZÀ-Ý][\w'-]+", text)}
        best: Found | None = None
        for size in range(min(MAX_WORDS, len(folded_words)), 0, -1):
            for start in range(len(folded_words) - size + 1):
                words, first = folded_words[start:start + size], start
                while len(words) > 1 and words[0] in ARTICLES:
                    words, first = words[1:], first + 1
                phrase = " ".join(words)
                if " " not in phrase and phrase in GENERIC:
                    single_ok = phrase in capitals or (first > 0 and folded_words[first - 1] in DEFINITE)
                else:
                    single_ok = cue
                before = folded_words[max(0, first - 2):first]
                if " " not in phrase and ("of" in before[-1:] or (before[:1] == ["of"] and before[-1] in ARTICLES)):
                    single_ok = False  # "the Raft of the Medusa": a word of a longer title the index does not hold
                if phrase in self._by_key and (" " in phrase or single_ok):
                    found = Found(tuple(self._by_key[phrase]), phrase, 100.0, start, start + size)
                elif size > 1 and len(phrase) >= MIN_FUZZY_CHARS:
                    cutoff = FUZZY_LONG if len(phrase) >= 12 else FUZZY_SHORT
                    hit = process.extractOne(phrase, self._fuzzy_keys, scorer=fuzz.ratio, score_cutoff=cutoff)
                    if hit is None:
                        continue
                    found = Found(tuple(self._by_key[hit[0]]), hit[0], float(hit[1]), start, start + size)
                else:
                    continue
                rank = lambda f: (f.score == 100.0, f.score if f.score < 100 else 0, len(f.phrase))
                if best is None or rank(found) > rank(best):
                    best = found
            if best is not None and best.score == 100.0 and len(best.phrase.split()) >= size:
                break  # no shorter span can name a longer title
        return best


def load_works(path: Path | str = WORKS_FILE) -> WorksIndex:
    """The works index in `path`; raises KnowledgeError with the reason when it cannot be read."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        works = [Work.from_json(item) for item in document["works"]]
    except FileNotFoundError:
        raise KnowledgeError(f"no works index at {path}") from None
    except (ValueError, KeyError, TypeError) as error:
        raise KnowledgeError(f"the works index {path} is unreadable ({error})") from None
    return WorksIndex(works)
