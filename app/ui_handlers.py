"""What the Gradio app does on each visitor action, as plain functions (no server needed to test them).

A handler takes the shared Resources, the visitor's `Visit` (kept per browser session in gr.State),
the chat history and the new input, and returns a `View`: the new visit plus what each panel shows.
Panels a reply says nothing about are left as they are (KEEP), so a question like "when was he born?"
does not wipe the gallery of the painting being discussed.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from PIL import Image

from app.engine import Message, Reply, SessionState, respond
from data.images import ImageError, load_image

log = logging.getLogger(__name__)

MAX_SUGGESTIONS = 4
TOP_ARTISTS = 3
THUMBNAIL_SIZE = (512, 512)
GREETING = ("Hello! Show me a painting — upload a photo or use the camera — and ask me about it: "
            "who painted it, when the artist lived, similar paintings, or why I think so.")
START_SUGGESTIONS = ("What can you do?",)
FAILED_REPLY = ("Sorry, something went wrong on my side with that request. "
                "Please try again, or show me another painting.")
HEADING_KNOWN = "Most likely artists"
HEADING_UNKNOWN = "Not an artist I know — closest known artists"
HEADING_MATCH = "Found in the collection"
GALLERY_UNREADABLE = "I found similar paintings but could not display their pictures."
# Two or more absolute path segments not inside a URL or a word ("and/or", "1/2"), or a Windows path.
SERVER_PATH = re.compile(r"(?<![\w.:/~])(?:/[\w.@+~-]+){2,}/?|\b[A-Za-z]:\\[^\s`'\")]+")


class _Keep:
    """Marks a panel the reply leaves unchanged (becomes gr.skip() in the app)."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()


@dataclass(frozen=True)
class Visit:
    """One visitor's session: the engine's conversation state plus kiosk bookkeeping."""

    session: SessionState = field(default_factory=SessionState)
    turns: int = 0
    last_active: float = field(default_factory=time.monotonic)


@dataclass
class View:
    """What the page shows after a handler; KEEP = leave that panel as it is."""

    visit: Visit
    history: list | _Keep = KEEP
    top_artists: dict | None | _Keep = KEEP  # {artist: probability} for gr.Label
    top_heading: str = HEADING_KNOWN
    movement: str | _Keep = KEEP  # markdown
    card: str | _Keep = KEEP  # markdown
    gallery: list | _Keep = KEEP  # [(PIL image, caption)]
    overlay: Image.Image | None | _Keep = KEEP
    suggestions: list[str] | _Keep = KEEP
    clear_inputs: bool = False  # also empty the painting upload (new visitor)


def start_view() -> View:
    """The page as a new visitor sees it."""
    return View(visit=Visit(), history=[{"role": "assistant", "content": GREETING}], top_artists=None,
                movement="", card="", gallery=[], overlay=None, suggestions=list(START_SUGGESTIONS),
                clear_inputs=True)


def send_text(resources, visit: Visit, history: list, text: str, progress=None) -> View:
    """A typed question or a tapped suggestion; `progress(fraction, description)` hears about slow answers."""
    text = (text or "").strip()
    if not text:
        return View(visit=visit)  # an empty box sent by accident: nothing to answer
    return _turn(resources, visit, history, Message(text=text), [{"role": "user", "content": text}], progress)


def send_image(resources, visit: Visit, history: list, image_path: str | None) -> View:
    """A painting uploaded or captured with the camera (None when the picture was cleared)."""
    if not image_path:
        return View(visit=visit)
    try:
        # Bytes, not the path: the engine's messages then never mention the server's file names.
        data = Path(image_path).read_bytes()
    except OSError:
        log.exception("could not read the uploaded file")
        return _failed(visit, history, [], FAILED_REPLY)
    shown = [{"role": "user", "content": {"path": image_path}}]
    return _turn(resources, visit, history, Message(image=data), shown)


def idle_check(visit: Visit, idle_seconds: float, now: float | None = None) -> View:
    """Kiosk timer tick: after `idle_seconds` without a visitor action, start over for the next visitor."""
    now = time.monotonic() if now is None else now
    if visit.turns == 0 or now - visit.last_active < idle_seconds:
        return View(visit=visit)
    log.info("kiosk session idle for %.0f s: reset", now - visit.last_active)
    return start_view()


def _turn(resources, visit: Visit, history: list, message: Message, shown: list[dict], progress=None) -> View:
    history = list(history or [])
    try:
        session, reply = respond(resources, visit.session, message, progress)
    except ImageError as error:
        reason = str(error).removeprefix("upload: ")  # the bytes we pass are named "upload"
        return _failed(visit, history, shown, f"I couldn't use that picture: {reason}. Please try another photo.")
    except Exception:  # a visitor must never see a stack trace; the log keeps it
        log.exception("the assistant failed on a visitor's message")
        return _failed(visit, history, shown, FAILED_REPLY)
    visit = Visit(session=session, turns=visit.turns + 1, last_active=time.monotonic())
    return view_of(visit, history + shown + [{"role": "assistant", "content": without_paths(reply.text)}], reply,
                   new_image=message.image is not None)


def _failed(visit: Visit, history: list, shown: list[dict], text: str) -> View:
    """The reply for a turn that could not be answered; the conversation itself stays as it was."""
    visit = replace(visit, turns=visit.turns + 1, last_active=time.monotonic())
    return View(visit=visit, history=list(history or []) + shown + [{"role": "assistant", "content": text}])


def view_of(visit: Visit, history: list, reply: Reply, new_image: bool) -> View:
    """Spread one engine reply over the panels."""
    data = reply.data or {}
    prediction, match, card = data.get("prediction"), data.get("match"), data.get("artist_card")
    view = View(visit=visit, history=history, suggestions=list(reply.suggestions[:MAX_SUGGESTIONS]))
    if prediction:
        view.top_artists = {row["artist"]: float(row["probability"])
                            for row in (prediction.get("top") or [])[:TOP_ARTISTS]}
        view.top_heading = HEADING_KNOWN if prediction.get("known", True) else HEADING_UNKNOWN
        view.movement = movement_markdown(prediction.get("genres") or [])
    elif match and match.get("artist"):  # found in the collection, no style guess (e.g. no classifier)
        view.top_artists, view.top_heading = {match["artist"]: float(match["score"])}, HEADING_MATCH
    elif new_image:
        view.top_artists, view.movement = None, ""  # nothing is known about the new painting's painter
    if card:
        view.card = card_markdown(card)
        if not prediction and card.get("movements"):
            view.movement = f"**Movement:** {', '.join(card['movements'])}"
    if reply.images:
        view.gallery = gallery_items(reply.images, reply.captions)
        if not view.gallery:
            view.history.append({"role": "assistant", "content": GALLERY_UNREADABLE})
    if reply.overlay is not None:
        view.overlay = reply.overlay
    elif new_image:
        view.overlay = None  # the old explanation belongs to the previous painting
    return view


def without_paths(text: str) -> str:
    """Reply text with server file-system paths (e.g. in "no index in /srv/...") replaced: a visitor
    needs neither the machine's folder layout nor a hint of it. URLs are left alone."""
    return SERVER_PATH.sub("(a folder on the server)", text)


def movement_markdown(genres: list[dict], shown: int = 2) -> str:
    """'**Movement:** Post-Impressionism (81%) · Impressionism (12%)'."""
    rows = [f"{row['genre']} ({float(row['probability']):.0%})" for row in genres[:shown]]
    return f"**Movement:** {' · '.join(rows)}" if rows else ""


def card_markdown(card: dict) -> str:
    """An artist card (app.answers.card): name, life, nationality and movements, works, bio."""
    name, full_name = card.get("name") or card.get("full_name") or "Unknown artist", card.get("full_name")
    lines = [f"### {name}"] + ([f"*{full_name}*"] if full_name and full_name != name else [])
    life = [f"{label} {', '.join(part for part in (card.get(when), card.get(where)) if part)}"
            for label, when, where in (("Born", "born", "born_place"), ("Died", "died", "died_place"))
            if card.get(when) or card.get(where)]
    if life:
        lines.append(" · ".join(life))
    facts = [card.get("nationality") or "", ", ".join(card.get("movements") or [])]
    if any(facts):
        lines.append(" · ".join(fact for fact in facts if fact))
    if card.get("notable_works"):
        lines.append("**Known for:** " + "; ".join(card["notable_works"][:3]))
    for text in (card.get("bio"), card.get("kaggle")):  # the Kaggle note names its source itself
        if text:
            lines.append(str(text))
    if card.get("source"):  # a museum's own entry
        lines.append(f"*Source: {card['source']}*")
    return "\n\n".join(lines)


def gallery_items(paths: list[str], captions: list[str]) -> list[tuple[Image.Image, str]]:
    """(thumbnail, caption) pairs. Thumbnails rather than paths: the page then never needs (or shows)
    server file paths, and the corpus folders need not be opened to the web server."""
    items = []
    for index, path in enumerate(paths):
        caption = captions[index] if index < len(captions) else ""
        try:
            image = load_image(path)
        except ImageError:
            log.warning("gallery image unreadable: %s", path)
            continue
        image.thumbnail(THUMBNAIL_SIZE)
        items.append((image, _visitor_caption(caption, path)))
    return items


def _visitor_caption(caption: str, path: str) -> str:
    """The engine's caption (title, artist, date), never a file-system path."""
    caption = (caption or "").strip()
    return "" if not caption or str(path) in caption or caption.startswith(("/", "\\")) else caption
