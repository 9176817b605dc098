"""What passes between the visitor and the engine: the message, the reply, the session state."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from app.conversation.i18n import phrase
from app.serving.resources import Resources

GALLERY_SIZE = 6
FOLLOW_UPS = ["Who is this artist?", "Show similar", "Why?"]


@dataclass(frozen=True)
class Message:
    text: str = ""
    image: str | Path | bytes | Image.Image | None = None  # a path, raw bytes or an image


# How sure the assistant is about a subject. A painting: "matched" (the collection's record names it),
# "confident" (the style classifier names its painter), "hedged" (a guess below paintings.NAMED, said as one),
# "unknown" (no painter named), "not_painting" (no painting in the picture). A painter the visitor named: "named";
# a name the knowledge base does not hold: "unknown".
CERTAINTIES = ("matched", "confident", "hedged", "unknown", "not_painting", "named")
CERTAIN = ("matched", "confident", "named")  # the painter's card may be shown as the answer


@dataclass(frozen=True)
class Subject:
    """What a reply is about: the painting in focus, one or two painters, or nothing the panels show. Every panel
    of the app is drawn from it (app/web/handlers.py), so no panel says more than the reply itself."""

    kind: str = "none"  # "painting" | "painter" | "none"
    painters: tuple[str, ...] = ()  # who the reply names (a hedged painting's guess too: said as a guess)
    certainty: str | None = None  # one of CERTAINTIES
    title: str | None = None  # a recognised painting's title

    @property
    def certain(self) -> bool:
        return self.certainty in CERTAIN

    def to_json(self) -> dict:
        return {"kind": self.kind, "painters": list(self.painters), "certainty": self.certainty,
                "title": self.title}


NO_SUBJECT = Subject()


@dataclass
class Reply:
    text: str
    artist: str | None = None
    images: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)
    suggestions: list[str] = field(default_factory=list)
    overlay: Image.Image | None = None
    painted: Image.Image | None = None  # "paint it like ...": the picture painted (app/conversation/painting_like.py)
    # None: a reply with no subject of its own ("thanks", "help"): what the page shows stays as it is.
    subject: Subject | None = None

    def to_json(self) -> dict:
        subject = self.subject.to_json() if self.subject else None
        return {"reply": self.text, "artist": self.artist, "images": self.images, "data": self.data,
                "subject": subject}


@dataclass(frozen=True)
class SessionState:
    focus_artist: str | None = None
    # The classifier's guess below paintings.NAMED: answers about it stay hedged and come without its card.
    hedged_artist: str | None = None
    image_key: str | None = None  # content hash of the painting in focus
    image_artist: str | None = None  # who painted it, as far as the engine could tell
    image: Image.Image | None = field(default=None, repr=False, compare=False)
    # The painting found in the image (wall and frame cropped off): the view the classifier judged,
    # kept so that "why?" explains the very prediction shown.
    painting: Image.Image | None = field(default=None, repr=False, compare=False)
    # The picture's vector for similar paintings (`vision.Look.similar_vector`: the style index's, when loaded).
    image_vector: np.ndarray | None = field(default=None, repr=False, compare=False)
    prediction: dict | None = field(default=None, compare=False)  # the classifier's answer for the image
    match: dict | None = field(default=None, compare=False)  # the catalogue record the image is, if any
    # Other collection paintings recognised in the same photo ("and the other one?"), the next first.
    other_matches: tuple = field(default=(), compare=False)
    look: object = field(default=None, repr=False, compare=False)  # the vision.Look of the photo, for those
    neighbours: tuple = ()  # hits (dicts) nearest to the image
    # The style paintings "paint it like the painting I showed you" can use, most recent first: pictures, or
    # a recognised record's image path (read when asked for).
    shown_paintings: tuple = field(default=(), repr=False, compare=False)
    turns: int = 0
    last_intent: str | None = None
    language: str = "en"  # the visitor's language (app/conversation/i18n.py): detected from each question, or chosen


def say(state: SessionState, text: str, suggestions: list[str] | None = None, **data) -> Reply:
    return Reply(text, artist=state.focus_artist, data=data, suggestions=suggestions or [])


def say_in(state: SessionState, key: str, suggestions: list[str] | None = None, fields: dict | None = None,
           **data) -> Reply:
    """A reply from a phrase of app/conversation/i18n.json, in the visitor's language."""
    return say(state, phrase(key, state.language, **(fields or {})), suggestions, language=state.language, **data)


def why_missing(resources: Resources, *parts: str) -> str:
    reasons = [resources.problems[p] for p in parts if p in resources.problems]
    return "; ".join(reasons) or "a part of the assistant is not loaded"
