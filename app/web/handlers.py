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

from PIL import Image

from app.conversation import paintings
from app.conversation.engine import Message, Reply, SessionState, respond
from app.conversation.i18n import DEFAULT_LANGUAGE, LANGUAGES, phrase
from app.settings import slug
from data.images import ImageError, load_image

log = logging.getLogger(__name__)

MAX_SUGGESTIONS = 7  # "paint it like ..." offers six painters and the painting shown
TOP_ARTISTS = 3
THUMBNAIL_SIZE = (512, 512)
SHOWN_CHARS = 600  # a pasted essay is echoed in the chat only this far (the engine reads less still)
GALLERY_INTENTS = ("search", "similar", "explain", "explain_detail")  # replies whose gallery is their answer
# Two or more absolute path segments not inside a URL or a word ("and/or", "1/2"), or a Windows path.
SERVER_PATH = re.compile(r"(?<![\w.:/~])(?:/[\w.@+~-]+){2,}/?|\b[A-Za-z]:\\[^\s`'\")]+")


class _Keep:
    """Marks a panel the reply leaves unchanged (becomes gr.skip() in the app)."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()


@dataclass(frozen=True)
class Painted:
    """A picture the assistant painted, as a message of the conversation (app/web/ui.py shows it with its JPEG
    to download); the visitor's language names it for screen readers."""

    image: Image.Image
    alt_text: str
    file_name: str  # what the download is called on the visitor's phone


@dataclass(frozen=True)
class Visit:
    """One visitor's session: the engine's conversation state plus kiosk bookkeeping."""

    session: SessionState = field(default_factory=SessionState)
    turns: int = 0
    last_active: float = field(default_factory=time.monotonic)
    topic: str | None = None  # what the card, gallery and explanation panels show (see view_of)

    @property
    def language(self) -> str:
        return self.session.language


@dataclass
class View:
    """What the page shows after a handler; KEEP = leave that panel as it is."""

    visit: Visit
    history: list | _Keep = KEEP
    top_artists: dict | None | _Keep = KEEP  # {artist: probability} for gr.Label
    top_heading: str = "heading_known"  # a phrase key of app/conversation/i18n.json
    movement: str | _Keep = KEEP  # markdown
    card: str | _Keep = KEEP  # markdown
    gallery: list | _Keep = KEEP  # [(PIL image, caption)]
    overlay: Image.Image | None | _Keep = KEEP
    suggestions: list[str] | _Keep = KEEP
    clear_painting: bool = False  # empty the painting upload (a new visitor, or a file that was refused)

    @property
    def language(self) -> str:
        return self.visit.language


def start_view(language: str = DEFAULT_LANGUAGE) -> View:
    """The page as a new visitor sees it (in `language`, the kiosk's chosen one)."""
    visit = Visit(session=SessionState(language=language))
    return View(visit=visit, history=[{"role": "assistant", "content": phrase("greeting", language)}],
                top_artists=None, movement="", card="", gallery=[], overlay=None,
                suggestions=[phrase("suggest_help", language)], clear_painting=True)


def choose_language(visit: Visit, history: list, language: str) -> View:
    """The kiosk's language switch: replies and labels from now on in `language`; a conversation that
    has not started yet is greeted again in it."""
    if language not in LANGUAGES or language == visit.language:
        return View(visit=visit)
    if visit.turns == 0:
        return start_view(language)
    session = replace(visit.session, language=language)
    # The same conversation, relabelled: the history is sent back so the labels follow.
    return View(visit=replace(visit, session=session, last_active=time.monotonic()), history=list(history or []))


def send_text(resources, visit: Visit, history: list, text: str, progress=None) -> View:
    """A typed question or a tapped suggestion; `progress(fraction, description)` hears about slow answers."""
    text = (text or "").strip()
    if not text:
        return View(visit=visit)  # an empty box sent by accident: nothing to answer
    shown = text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"
    return _turn(resources, visit, history, Message(text=text), [{"role": "user", "content": shown}], progress)


def send_image(resources, visit: Visit, history: list, image_path: str | None) -> View:
    """A painting uploaded or captured with the camera (None when the picture was cleared).

    The app hands over the uploaded file undecoded (app/web/ui.py wires it with preprocess=False): it is
    decoded here, so a file that is no picture (empty, text renamed .png, truncated) gets a reply in the
    conversation."""
    if not image_path:
        return View(visit=visit)
    try:
        image = load_image(image_path)
    except ImageError as error:
        return _refused(visit, history, paintings.friendly(error))
    shown = [{"role": "user", "content": {"path": image_path, "alt_text": phrase("photo_alt", visit.language)}}]
    return _turn(resources, visit, history, Message(image=image), shown)


def typing(visit: Visit) -> Visit:
    """The visitor is typing: that counts as being there (the kiosk must not reset mid-question)."""
    return replace(visit, last_active=time.monotonic())


def idle_check(visit: Visit, idle_seconds: float, now: float | None = None) -> View:
    """Kiosk timer tick: after `idle_seconds` without a visitor action, start over for the next visitor."""
    now = time.monotonic() if now is None else now
    if visit.turns == 0 or now - visit.last_active < idle_seconds:
        return View(visit=visit)
    log.info("kiosk session idle for %.0f s: reset", now - visit.last_active)
    return start_view(DEFAULT_LANGUAGE)  # the next visitor may speak another language


def _turn(resources, visit: Visit, history: list, message: Message, shown: list[dict], progress=None) -> View:
    history = list(history or [])
    try:
        session, reply = respond(resources, visit.session, message, progress)
    except Exception:  # a visitor must never see a stack trace; the log keeps it
        log.exception("the assistant failed on a visitor's message")
        return _failed(visit, history, shown, phrase("failed", visit.language))
    if reply.data.get("intent") == "bad_image":  # e.g. too small to judge: the engine said why
        return _refused(visit, history, reply.data.get("error", ""), text=without_paths(reply.text))
    before, visit = visit, replace(visit, session=session, turns=visit.turns + 1, last_active=time.monotonic())
    answer = [{"role": "assistant", "content": without_paths(reply.text)}]
    if reply.painted is not None:
        painter = reply.data["painted"]["painter"]
        file_name = f"painted-like-{slug(painter).lower() if painter else 'your-painting'}.jpg"
        answer.append({"role": "assistant",
                       "content": Painted(reply.painted, phrase("painted_alt", visit.language), file_name)})
    return view_of(visit, history + shown + answer, reply, new_image=message.image is not None, before=before)


def _failed(visit: Visit, history: list, shown: list[dict], text: str) -> View:
    """The reply for a turn that could not be answered; the conversation itself stays as it was."""
    visit = replace(visit, turns=visit.turns + 1, last_active=time.monotonic())
    return View(visit=visit, history=list(history or []) + shown + [{"role": "assistant", "content": text}])


def _refused(visit: Visit, history: list, reason: str, text: str | None = None) -> View:
    """An upload that cannot be used: said in words on both sides (no broken picture in the chat), the
    upload box emptied, the painting in focus and its panels kept."""
    language = visit.language
    shown = [{"role": "user", "content": phrase("unusable_upload", language)}]
    view = _failed(visit, history, shown, text or phrase("bad_image", language, reason=reason))
    view.clear_painting = True
    return view


def topic_of(reply: Reply) -> str | None:
    """What a reply is about, for the panels: an artist, two compared, or an unknown name."""
    data = reply.data or {}
    if data.get("compare"):
        return "compare: " + " | ".join(card["name"] for card in data["compare"])
    if data.get("unknown_artist"):
        return f"unknown: {data['unknown_artist']}"
    return reply.artist


def view_of(visit: Visit, history: list, reply: Reply, new_image: bool, before: Visit | None = None) -> View:
    """Spread one engine reply over the panels. The card, gallery and explanation always show what this
    reply is about: its own content, or what they showed if the reply is about the same thing (a reply
    with no subject of its own, like "thanks", keeps them), or nothing."""
    data = reply.data or {}
    language = visit.language
    prediction, match, card = data.get("prediction"), data.get("match"), data.get("artist_card")
    topic = topic_of(reply)
    same_topic = before is not None and not new_image and topic == before.topic
    view = View(visit=replace(visit, topic=topic), history=history,
                suggestions=list(reply.suggestions[:MAX_SUGGESTIONS]))
    if prediction:
        view.top_artists = {row["artist"]: float(row["probability"])
                            for row in (prediction.get("top") or [])[:TOP_ARTISTS]}
        # Under a painting the collection's record names, an unknown style is the style's view only.
        view.top_heading = ("heading_known" if prediction.get("known", True)
                            else "heading_style_only" if match else "heading_unknown")
        view.movement = movement_markdown(prediction.get("genres") or [], language)
    elif match and match.get("artist"):  # found in the collection, no style guess (e.g. no classifier)
        view.top_artists, view.top_heading = {match["artist"]: float(match["score"])}, "heading_match"
    elif new_image:
        view.top_artists, view.movement = None, ""  # nothing is known about the new painting's painter
    if card:
        view.card = card_markdown(card, language)
        if not prediction and card.get("movements"):
            view.movement = f"**{phrase('movement', language)}:** {', '.join(card['movements'])}"
    elif data.get("compare"):
        view.card = "\n\n".join(card_markdown(each, language) for each in data["compare"])
    elif not same_topic:
        view.card = ""
    if reply.images:
        view.gallery = gallery_items(reply.images, reply.captions)
        if not view.gallery:
            view.history.append({"role": "assistant", "content": phrase("gallery_unreadable", language)})
    elif data.get("intent") in GALLERY_INTENTS or not same_topic:
        view.gallery = []  # e.g. "no paintings by Monet": the last search's results are not his
    if reply.overlay is not None:
        view.overlay = reply.overlay
    elif not same_topic:
        view.overlay = None  # an explanation of another painting or painter
    return view


def without_paths(text: str) -> str:
    """Reply text with server file-system paths (e.g. in "no index in /srv/...") replaced: a visitor
    needs neither the machine's folder layout nor a hint of it. URLs are left alone."""
    return SERVER_PATH.sub("(a folder on the server)", text)


def movement_markdown(genres: list[dict], language: str = DEFAULT_LANGUAGE, shown: int = 2) -> str:
    """'**Movement:** Post-Impressionism (81%) · Impressionism (12%)'."""
    rows = [f"{row['genre']} ({float(row['probability']):.0%})" for row in genres[:shown]]
    return f"**{phrase('movement', language)}:** {' · '.join(rows)}" if rows else ""


def card_markdown(card: dict, language: str = DEFAULT_LANGUAGE) -> str:
    """An artist card (app.conversation.answers.card): name, life, nationality and movements, works, bio."""
    name = card.get("name") or card.get("full_name") or phrase("unknown_artist", language)
    full_name = card.get("full_name")
    lines = [f"### {name}"] + ([f"*{full_name}*"] if full_name and full_name != name else [])
    life = [f"{phrase(label, language)} {', '.join(part for part in (card.get(when), card.get(where)) if part)}"
            for label, when, where in (("card_born", "born", "born_place"), ("card_died", "died", "died_place"))
            if card.get(when) or card.get(where)]
    if life:
        lines.append(" · ".join(life))
    facts = [card.get("nationality") or "", ", ".join(card.get("movements") or [])]
    if any(facts):
        lines.append(" · ".join(fact for fact in facts if fact))
    if card.get("notable_works"):
        lines.append(f"**{phrase('known_for', language)}:** " + "; ".join(card["notable_works"][:3]))
    notes = [str(text) for text in (card.get("bio"), card.get("kaggle")) if text]  # Kaggle's names its source
    if notes and language != DEFAULT_LANGUAGE:
        lines.append(f"*{phrase('bio_in_english', language)}*")  # the biographies are written in English
    lines.extend(notes)
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
