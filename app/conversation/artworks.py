"""Questions about a work by its title: "who painted The Night Watch?", "when was Guernica painted?", "where can I
see The Birth of Venus?", "what is Las Meninas?", "why is the Mona Lisa famous?" (in the five languages).

Every answer is a field of the works index (data/knowledge/works.json) or a sentence quoted from it; a title the
index does not hold, asked in a "who painted X?" or "when was X painted?" frame, gets "I don't know that painting".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.conversation.i18n import DEFAULT_LANGUAGE, phrase
from data.text import fold
from data.works import Found, Work, WorksIndex

# "who painted X?" and its kin: X is the title the visitor means (known or not).
_FRAMES = [re.compile(pattern, re.I) for pattern in [
    r"^\W*who (?:painted|made|created|did|drew|sculpted|carved|designed)\s+(?P<x>.+?)[\s?!.]*$",
    r"^\W*who (?:is|was)(?: the)? (?:artist|painter|author|creator) (?:of|behind)\s+(?P<x>.+?)[\s?!.]*$",
    r"^\W*(?:whose (?:painting|work) is|by whom was)\s+(?P<x>.+?)(?: painted| made)?[\s?!.]*$",
    r"^\W*when (?:was|were)\s+(?P<x>.+?)\s+(?:painted|made|created|done|finished|completed|drawn|carved|sculpted)"
    r"[\s?!.]*$",
    r"^\W*(?:where (?:can|could|do|may) (?:i|we|you|one) (?:see|find|view)|which museum (?:has|holds|owns|shows))"
    r"\s+(?P<x>.+?)(?: now| today| in person)?[\s?!.]*$",
    r"^\W*qui a (?:peint|fait|réalisé|créé|sculpté)\s+(?P<x>.+?)[\s?!.]*$",
    r"^\W*quand (?:a été|fut) (?:peint|peinte|réalisé|réalisée|créé|créée)\s+(?P<x>.+?)[\s?!.]*$",
    r"^\W*où (?:peut-on voir|puis-je voir|voir)\s+(?P<x>.+?)[\s?!.]*$",
    r"^\W*wer hat\s+(?P<x>.+?)\s+(?:gemalt|geschaffen|gemacht)[\s?!.]*$",
    r"^\W*wann wurde\s+(?P<x>.+?)\s+(?:gemalt|geschaffen)[\s?!.]*$",
    r"^\W*¿?\s*qui[eé]n (?:pint[oó]|hizo|cre[oó])\s+(?P<x>.+?)[\s?!.]*$",
    r"^\W*¿?\s*cu[aá]ndo se pint[oó]\s+(?P<x>.+?)[\s?!.]*$",
    r"^\W*chi ha (?:dipinto|fatto|creato)\s+(?P<x>.+?)[\s?!.]*$",
    r"^\W*(?:tell me about|what is|what's)\s+(?P<x>the\s+(?!(?:\w+\s+)*?(?:most|best|first|last|difference|style"
    r"|meaning|name|movement|museum|collection|painter|artist)\b).+?)[\s?!.]*$",
]]
_NOT_TITLES = {"this", "it", "that", "these", "those", "this one", "this painting", "the painting", "this picture",
               "the picture", "ca", "cela", "ceci", "ce tableau", "das", "dies", "dieses bild", "das bild", "esto",
               "este cuadro", "esta obra", "questo", "questo quadro", "quest opera", "him", "her", "them", "you", "me"}
# What a question about a work asks, in the five languages, tried in this order.
_KINDS = [(kind, re.compile(pattern, re.I)) for kind, pattern in [
    ("when", r"\bwhen\b|\bwhat year\b|\bwhich year\b|\bhow old is\b|\bdated?\b|\bquand\b|\bann[ée]e\b|\bwann\b"
             r"|\bjahr\b|\bcu[aá]ndo\b|\baño\b|\bquando\b|\banno\b"),
    ("where", r"\bwhere\b|\bmuseum\b|\bsee it\b|\bhangs?\b|\bkept\b|\bo[uù] (est|se trouve|voir)\b|\bmus[ée]e\b"
              r"|\bwo\b|\bh[äa]ngt\b|\bd[oó]nde\b|\bmuseo\b|\bdove\b"),
    ("medium", r"\bmedium\b|\bmade of\b|\bmaterials?\b|\bpainted (on|with)\b|\bwhat (kind of )?paint\b"
               r"|\btechnique\b|\btechnik\b|\bt[ée]cnica\b|\bsupport\b"),
    ("who", r"\bwho\b|\bwhose\b|\bby whom\b|\bartist\b|\bpainter\b|\bqui\b|\bwer\b|\bqui[ée]n\b|\bchi\b|\bde qui\b"
            r"|\bvon wem\b|\bpeintre\b|\bk[üu]nstler\b|\bpintor\b|\bpittore\b"),
    ("what", r"^\W*(what is|what's|what are|tell me (more )?about|describe|qu'est-ce que|c'est quoi|was ist"
             r"|qu[ée] es|cos'[èe]|che cos'[èe]|parle[- ]moi|erz[äa]hl|h[áa]blame|parlami)\b|^\W*[^\s]+\W*$"),
]]


@dataclass(frozen=True)
class WorkQuestion:
    found: Found | None  # the work named, or None
    frame_title: str | None  # the X of "who painted X?" when the question has that frame
    kind: str  # "who", "when", "where", "medium", "what" or "story" (anything else: retrieval)
    rest: str  # the question with the title replaced by "it": "when was it painted?"


def read(text: str, works: WorksIndex) -> WorkQuestion | None:
    """What `text` asks about a work, or None when it names none and has no "who painted X?" frame."""
    match = next((m for frame in _FRAMES if (m := frame.match(text))), None)
    frame_title = match["x"].strip() if match else None
    if frame_title and fold(frame_title) in _NOT_TITLES:
        return None
    found = works.titled(frame_title) if frame_title else None
    if found is not None:
        rest = fold(text[:match.start("x")] + " it " + text[match.end("x"):])
    else:
        found = works.find(text)
        rest = _without(text, found) if found else text
    if found is None and frame_title is None:
        return None
    return WorkQuestion(found, frame_title, kind_of(rest), rest)


def kind_of(rest: str) -> str:
    return next((kind for kind, pattern in _KINDS if pattern.search(rest)), "story")


def _without(text: str, found: Found) -> str:
    words = fold(text).split()
    return " ".join(words[:found.start] + ["it"] + words[found.end:])


def choose(found: Found, named: list[str]) -> list[Work]:
    """The works the question means: those by a painter it names, else all of that title."""
    mine = [work for work in found.works if work.artist in named]
    return mine or list(found.works)


def answer(work: Work, kind: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The lead sentence for `kind`, then the work's card line and (in English) what it is."""
    fields = {"title": work.title, "artist": work.artist, "year": work.year or "?", "where": work.where or "?",
              "medium": work.medium or "?"}
    lead = {"who": "work_who", "when": "work_when", "where": "work_where", "medium": "work_medium"}.get(kind)
    lines = [phrase(lead, language, **fields)] if lead else []
    lines.append(phrase("work_card", language, **fields))
    if work.about and language == DEFAULT_LANGUAGE:
        lines[-1] += f" {work.about[0].upper()}{work.about[1:]}."
    return "\n\n".join(lines)


def several(works: list[Work], language: str = DEFAULT_LANGUAGE) -> str:
    listing = "; ".join(f"*{w.title}* by {w.artist} ({w.year})" for w in works)
    return phrase("work_several", language, works=listing)


def unknown(title: str, works: WorksIndex, language: str = DEFAULT_LANGUAGE) -> str:
    return phrase("work_unknown", language, title=title, count=len(works))
