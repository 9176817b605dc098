"""What the Gradio app does on each visitor action, as plain functions (no server needed to test them).

A handler takes the shared Resources, the visitor's `Visit` (kept per browser session in gr.State),
the chat history and the new input, and returns a `View`: the new visit plus what each panel shows.
Every panel is drawn from the reply's subject (app/conversation/turns.py `Subject`), in the page's language; a
reply with no subject of its own ("thanks") leaves them as they are (KEEP), and a question about the painting's
own painter ("when was he born?") keeps the painting's recognition and gallery.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace

from PIL import Image

from app.conversation import paintings
from app.conversation.engine import Message, Reply, SessionState, cards, respond
from app.conversation.i18n import DEFAULT_LANGUAGE, LANGUAGES, label, movement_name, phrase
from app.conversation.turns import Subject
from app.settings import slug
from data.images import ImageError, load_image

log = logging.getLogger(__name__)

MAX_SUGGESTIONS = 7  # "paint it like ..." offers six painters and the painting shown
TOP_ARTISTS = 3
THUMBNAIL_SIZE = (512, 512)
# Gallery thumbnails kept decoded (about 0.6 MB each): under twenty visitors, decoding and shrinking the same
# collection paintings for every gallery took 8% of the server's CPU (py-spy, `museum bench load --visitors 20`).
THUMBNAILS_KEPT = 64
SHOWN_CHARS = 600  # a pasted essay is echoed in the chat only this far (the engine reads less still)
GALLERY_INTENTS = ("identify", "search", "similar", "explain", "explain_detail")  # their gallery is the answer
SIMILARITY = re.compile(r"\s*\(similarity [\d.]+\)$")  # the end of an engine caption (paintings.caption)
ABOUT_THIS_ONE = "Tell me about this one"  # the follow-up a tapped gallery painting offers
FIRST_FOLLOW_UP = "What can you do?"  # offered to a new visitor
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
    """One visitor's session: the engine's conversation state, what the page shows, and kiosk bookkeeping.

    The panels are drawn from `subject` and `recognition` in `language` (see `_draw_panels`), so switching the
    language redraws them all and no panel tells another story than the reply they came with."""

    session: SessionState = field(default_factory=SessionState)
    turns: int = 0
    last_active: float = field(default_factory=time.monotonic)
    subject: Subject | None = None  # what the latest reply with a subject was about
    # The painting in focus as its reply judged it: {"prediction", "match", "subject"} (the recognition panel).
    recognition: dict | None = None
    suggested: tuple[str, ...] = ()  # the latest reply's follow-ups, in English (relabelled in each language)
    gallery: tuple[tuple[str, str], ...] = ()  # (image path, caption) of the paintings the gallery shows
    picked: int | None = None  # the gallery painting the visitor tapped ("tell me about this one")

    @property
    def language(self) -> str:
        return self.session.language


@dataclass
class View:
    """What the page shows after a handler; KEEP = leave that panel as it is."""

    visit: Visit
    history: list | _Keep = KEEP
    recognition: str | _Keep = KEEP  # markdown: what the painting in focus is, as sure as the chat says
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
    visit = Visit(session=SessionState(language=language), suggested=(FIRST_FOLLOW_UP,))
    return View(visit=visit, history=[{"role": "assistant", "content": phrase("greeting", language)}],
                recognition="", movement="", card="", gallery=[], overlay=None,
                suggestions=[label(FIRST_FOLLOW_UP, language)], clear_painting=True)


def choose_language(resources, visit: Visit, history: list, language: str) -> View:
    """The kiosk's language switch: everything on the page is redrawn in `language` (panels, follow-ups,
    labels), and replies follow it from now on; a conversation that has not started yet is greeted again in it."""
    if language not in LANGUAGES or language == visit.language:
        return View(visit=visit)
    if visit.turns == 0:
        return start_view(language)
    visit = replace(visit, session=replace(visit.session, language=language), last_active=time.monotonic())
    view = View(visit=visit, history=list(history or []), suggestions=[label(s, language) for s in visit.suggested])
    if visit.subject is not None:
        _draw_panels(view, cards(resources, visit.subject, language))
    return view


def send_text(resources, visit: Visit, history: list, text: str, progress=None) -> View:
    """A typed question or a tapped suggestion; `progress(fraction, description)` hears about slow answers."""
    text = (text or "").strip()
    if not text:
        return View(visit=visit)  # an empty box sent by accident: nothing to answer
    if visit.picked is not None and text == label(ABOUT_THIS_ONE, visit.language):
        return _about_picked(resources, visit, history)
    return _turn(resources, visit, history, Message(text=text), [{"role": "user", "content": echoed(text)}], progress)


def echoed(text: str) -> str:
    """A visitor's message as the conversation shows it: a pasted essay only SHOWN_CHARS far."""
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


def send_image(resources, visit: Visit, history: list, image_path: str | None) -> View:
    """A painting uploaded or captured with the camera (None when the picture was cleared).

    The app hands over the uploaded file undecoded (app/web/ui.py wires it with preprocess=False): it is
    decoded here, so a file that is no picture (empty, text renamed .png, truncated) gets a reply in the
    conversation."""
    if not image_path:
        return View(visit=visit)
    try:  # a phone's 12 MP JPEG reduced as it is decoded (the engine would do the same with the path)
        image = load_image(image_path, at_least=paintings.working_side(resources.settings))
    except ImageError as error:
        return _refused(visit, history, paintings.friendly(error))
    shown = [{"role": "user", "content": {"path": image_path, "alt_text": phrase("photo_alt", visit.language)}}]
    return _turn(resources, visit, history, Message(image=image), shown)


def pick(visit: Visit, index: int | None) -> View:
    """The visitor tapped a painting of the gallery: "Tell me about this one" comes first among the follow-ups."""
    if index is None or not 0 <= index < len(visit.gallery):
        return View(visit=visit)
    visit = replace(visit, picked=index, last_active=time.monotonic())
    offered = [ABOUT_THIS_ONE, *(s for s in visit.suggested if s != ABOUT_THIS_ONE)][:MAX_SUGGESTIONS]
    return View(visit=visit, suggestions=[label(s, visit.language) for s in offered])


def _about_picked(resources, visit: Visit, history: list) -> View:
    """The tapped gallery painting becomes the subject: the assistant looks at it as at a visitor's photo (it is
    the collection's own image, so the record names it)."""
    path, caption = visit.gallery[visit.picked]
    try:
        image = load_image(path)
    except ImageError:
        log.warning("gallery image unreadable: %s", path)
        return _failed(visit, history, [], phrase("gallery_unreadable", visit.language))
    asked = f"{label(ABOUT_THIS_ONE, visit.language)}: {caption}" if caption else label(ABOUT_THIS_ONE, visit.language)
    return _turn(resources, replace(visit, picked=None), history, Message(image=image),
                 [{"role": "user", "content": asked}])


class Presence:
    """When each browser session last showed someone at the screen (typing, a touch, a tap, a scroll): the kiosk
    must not reset while a visitor reads the biography or looks at the enlarged painting.

    Kept beside the sessions' `Visit` rather than in it: a stamp sent while a turn is being answered would
    otherwise write back the visit as it was before that turn. At most `most` sessions, the oldest forgotten first."""

    def __init__(self, most: int = 1024):
        self.most = most
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def stamp(self, session: str | None, now: float | None = None) -> None:
        if session is None:
            return
        with self._lock:
            self._seen[session] = time.monotonic() if now is None else now
            self._seen.move_to_end(session)
            while len(self._seen) > self.most:
                self._seen.popitem(last=False)

    def last_seen(self, session: str | None) -> float:
        with self._lock:
            return self._seen.get(session, float("-inf")) if session else float("-inf")


def idle_check(visit: Visit, idle_seconds: float, now: float | None = None, seen: float = float("-inf")) -> View:
    """Kiosk timer tick: after `idle_seconds` without a turn (`visit.last_active`) or a sign of someone at the
    screen (`seen`, from `Presence`), start over for the next visitor."""
    now = time.monotonic() if now is None else now
    last = max(visit.last_active, seen)
    if visit.turns == 0 or now - last < idle_seconds:
        return View(visit=visit)
    log.info("kiosk session idle for %.0f s: reset", now - last)
    return start_view(DEFAULT_LANGUAGE)  # the next visitor may speak another language


def _turn(resources, visit: Visit, history: list, message: Message, shown: list[dict], progress=None) -> View:
    history, language = list(history or []), visit.language
    try:
        session, reply = respond(resources, visit.session, message, progress)
    except Exception:  # a visitor must never see a stack trace; the log keeps it
        log.exception("the assistant failed on a visitor's message")
        return _failed(visit, history, shown, phrase("failed", visit.language))
    if reply.data.get("intent") == "bad_image":  # e.g. too small to judge: the engine said why
        return _refused(visit, history, reply.data.get("error", ""), text=without_paths(reply.text))
    visit = replace(visit, session=session, turns=visit.turns + 1, last_active=time.monotonic())
    answer = [{"role": "assistant", "content": without_paths(reply.text)}]
    if reply.painted is not None:
        painter = reply.data["painted"]["painter"]
        file_name = f"painted-like-{slug(painter).lower() if painter else 'your-painting'}.jpg"
        answer.append({"role": "assistant",
                       "content": Painted(reply.painted, phrase("painted_alt", visit.language), file_name)})
    view = view_of(visit, history + shown + answer, reply)
    if reply.subject is None and view.visit.subject is not None and view.language != language:
        _draw_panels(view, cards(resources, view.visit.subject, view.language))  # "thanks" in another language
    return view


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


def view_of(visit: Visit, history: list, reply: Reply) -> View:
    """Spread one engine reply over the panels. Every panel follows the reply's subject: the painting in focus
    (its recognition, style, the painter's card only when the painter is known), one or two painters (their
    cards), or an unknown name (nothing). A reply with no subject of its own ("thanks") leaves them as they are."""
    data, subject = reply.data or {}, reply.subject
    suggested = tuple(data.get("suggested") or ())
    visit = replace(visit, suggested=suggested, picked=None)
    view = View(visit=visit, history=history, suggestions=list(reply.suggestions[:MAX_SUGGESTIONS]))
    if subject is None:
        return view
    painting_now = subject.kind == "painting"
    if painting_now and ("prediction" in data or data.get("no_painting")):  # this reply judged the painting
        visit = replace(visit, recognition={"prediction": data.get("prediction"), "match": data.get("match"),
                                            "subject": subject})
    elif painting_now and visit.recognition:  # a hedged fact: the same painting, as sure as before
        visit = replace(visit, recognition={**visit.recognition, "subject": subject})
    same_painting = _about_the_painting(subject, visit.recognition)
    view.visit = replace(visit, subject=subject)
    _draw_panels(view, data.get("cards") or [])
    if reply.images:
        shown = gallery_items(reply.images, reply.captions)
        view.gallery = [(thumbnail, caption) for _, thumbnail, caption in shown]
        view.visit = replace(view.visit, gallery=tuple((path, caption) for path, _, caption in shown))
        if not view.gallery:
            view.history.append({"role": "assistant", "content": phrase("gallery_unreadable", visit.language)})
    elif data.get("intent") in GALLERY_INTENTS or not same_painting:
        view.gallery = []  # e.g. "no paintings by Monet": the last search's results are not his
        view.visit = replace(view.visit, gallery=())
    if reply.overlay is not None:
        view.overlay = reply.overlay
    elif not same_painting or data.get("intent") in GALLERY_INTENTS:
        view.overlay = None  # an explanation of another painting or painter
    return view


def _draw_panels(view: View, shown_cards: list[dict]) -> None:
    """The recognition, movement and card panels of `view.visit.subject`, in the page's language."""
    visit, language = view.visit, view.language
    subject, recognition = visit.subject, visit.recognition
    shows_painting = recognition is not None and _about_the_painting(subject, recognition)
    view.recognition = recognition_markdown(recognition, language) if shows_painting else ""
    view.card = "\n\n".join(card_markdown(card, language) for card in shown_cards)
    if subject.kind == "painting" and recognition and recognition["subject"].certainty != "not_painting":
        view.movement = movement_markdown((recognition.get("prediction") or {}).get("genres") or [], language)
    else:
        view.movement = painters_movements(shown_cards, language)


def _about_the_painting(subject: Subject, recognition: dict | None) -> bool:
    """Whether a reply is about the painting in focus: the painting itself, or its painter (when certain)."""
    return subject.kind == "painting" or (recognition is not None and subject.certain
                                          and subject.painters == recognition["subject"].painters)


def without_paths(text: str) -> str:
    """Reply text with server file-system paths (e.g. in "no index in /srv/...") replaced: a visitor
    needs neither the machine's folder layout nor a hint of it. URLs are left alone."""
    return SERVER_PATH.sub("(a folder on the server)", text)


def recognition_markdown(recognition: dict, language: str = DEFAULT_LANGUAGE) -> str:
    """What the painting in focus is, saying no more than the chat: the record's title and painter when the
    collection names it, the style's painters under a heading as sure as the reply (a guess is headed as a guess,
    an unknown painter names nobody in the heading), percentages written as the chat writes them."""
    subject, prediction, match = recognition["subject"], recognition.get("prediction") or {}, recognition.get("match")
    certainty = subject.certainty
    if certainty == "not_painting":
        return f"### {phrase('heading_no_painting', language)}"
    lines = []
    if certainty == "matched" and match:
        painter = match.get("artist") or phrase("unidentified", language)
        lines += [f"### {phrase('heading_match', language)}", f"*{match.get('title')}* — {painter}"]
    top = (prediction.get("top") or [])[:TOP_ARTISTS]
    if certainty == "matched" and not (prediction.get("known") and prediction.get("artist")):
        return "\n\n".join(lines)  # the style alone names nobody: no percentages beside the record's painter
    heading = {"matched": "heading_style_only", "confident": "heading_known", "hedged": "heading_guess"}.get(
        certainty, "heading_unknown")
    if top:
        lines.append(f"{'####' if lines else '###'} {phrase(heading, language)}")
        lines.append("\n".join(f"{rank}. {row['artist']} — {paintings.percent(float(row['probability']))}"
                               for rank, row in enumerate(top, 1)))
    elif not lines:
        lines.append(f"### {phrase('heading_unknown', language)}")
    return "\n\n".join(lines)


def movement_markdown(genres: list[dict], language: str = DEFAULT_LANGUAGE, shown: int = 2) -> str:
    """'**Movement:** Post-Impressionism (81%) · Impressionism (12%)', the movements in the page's language."""
    rows = [f"{movement_name(row['genre'], language)} ({paintings.percent(float(row['probability']))})"
            for row in genres[:shown]]
    return f"**{phrase('movement', language)}:** {' · '.join(rows)}" if rows else ""


def painters_movements(shown_cards: list[dict], language: str = DEFAULT_LANGUAGE) -> str:
    """The movements of the painters the reply is about ('Claude Monet: Impressionism · Edouard Manet: ...' for two);
    the cards come in the page's language (app/conversation/answers.card)."""
    named = [(card["name"], ", ".join(card["movements"])) for card in shown_cards if card.get("movements")]
    if not named:
        return ""
    listed = named[0][1] if len(named) == 1 else " · ".join(f"{name}: {movements}" for name, movements in named)
    return f"**{phrase('movement', language)}:** {listed}"


def card_markdown(card: dict, language: str = DEFAULT_LANGUAGE) -> str:
    """An artist card (app.conversation.answers.card): name, life, nationality and movements, works, bio."""
    name = card.get("name") or card.get("full_name") or phrase("unknown_artist", language)
    full_name = card.get("full_name")
    lines = [f"### {name}"] + ([f"*{full_name}*"] if full_name and full_name != name else [])
    life = [f"{phrase(key, language)} " + ", ".join(part for part in (card.get(when), card.get(where)) if part)
            for key, when, where in (("card_born", "born", "born_place"), ("card_died", "died", "died_place"))
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


def gallery_items(paths: list[str], captions: list[str]) -> list[tuple[str, Image.Image, str]]:
    """(path, thumbnail, caption) of the readable ones. The page gets thumbnails rather than paths: it then never
    needs (or shows) server file paths, and the corpus folders need not be opened to the web server; the path stays
    in the session, for "tell me about this one"."""
    items = []
    for index, path in enumerate(paths):
        caption = captions[index] if index < len(captions) else ""
        try:
            image = _thumbnail(str(path))
        except ImageError:
            log.warning("gallery image unreadable: %s", path)
            continue
        items.append((path, image, _visitor_caption(caption, path)))
    return items


@functools.lru_cache(maxsize=THUMBNAILS_KEPT)
def _thumbnail(path: str) -> Image.Image:
    """The painting at `path` shrunk to THUMBNAIL_SIZE, decoded once for all the galleries that show it (shared:
    never drawn on). A failure is not kept: a file put right is read again."""
    image = load_image(path, at_least=max(THUMBNAIL_SIZE))
    image.thumbnail(THUMBNAIL_SIZE)
    return image


def _visitor_caption(caption: str, path: str) -> str:
    """The engine's caption (title, artist, date), never a file-system path, nor the search's similarity: that is
    a number of the index, unlike the one "why?" quotes for the same pair (a visitor sees one number per pair)."""
    caption = SIMILARITY.sub("", (caption or "").strip())
    return "" if not caption or str(path) in caption or caption.startswith(("/", "\\")) else caption
