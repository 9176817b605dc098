"""'Paint it like ...': the visitor's photo (a selfie, their city) painted in a painter's style.

Two ways (classifier/stylize): an instant style for the painters the package ships one for, or, "like the
painting I showed you", the painting itself as the style (tens of seconds, one at a time per server, with
progress). The photo painted is the picture in focus; the style painting is the last painting shown before
it (the collection's own clean image when the photo was recognised as one of its paintings). The painted
picture goes back to the visitor in the reply and is kept nowhere by the assistant.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
import time

from PIL import Image

from app.conversation import paintings
from app.conversation.i18n import phrase
from app.conversation.turns import Reply, SessionState, say_in
from app.serving.resources import Resources
from data.images import ImageError, load_image

log = logging.getLogger(__name__)

ASK = "Paint it like…"  # the suggestion that starts it: the painters are offered next
LIKE_SHOWN = "Like the painting I showed you"
# "like the painting I showed you", in the app's languages (the button's label in each of them, and free wording).
_LIKE_SHOWN = re.compile(
    r"\b(the|that|this) (painting|picture|one) (i|we) (just )?(showed|show|shown)\b|\blike (that|the last) painting\b"
    r"|\blike the painting\b|\bcomme (le|ce) tableau\b|\bwie (das|dieses) (bild|gemälde)\b"
    r"|\bcomo (el|ese|este) cuadro\b|\bcome (il|quel|questo) (quadro|dipinto)\b", re.I)
KEPT_PAINTINGS = 2  # the paintings a session remembers as styles: the one in focus and the one before it


def is_asked(text: str, awaiting: bool, names: list[str]) -> bool:
    """A bare painter's name (or "like the painting I showed you") right after "which painter?" or a painting
    answers that question: it is a "paint" turn, not "tell me about them"."""
    if not awaiting:
        return False
    bare = re.sub(r"[\W_]+", " ", text).strip().lower()
    return bool(_LIKE_SHOWN.search(text)) or any(bare in (name.lower(), name.lower().split()[-1]) for name in names)


def remembered(state: SessionState, image: Image.Image, painting: Image.Image | None, match: dict | None,
               is_painting: bool) -> tuple:
    """The session's style paintings after a new picture, most recent first: a painting joins them (the
    record's image path when recognised, read only if it is asked for: an image turn must not pay for it); a
    photo of no painting leaves them as they were."""
    if not is_painting:
        return state.shown_paintings
    style = (match or {}).get("image_path") or painting or image
    return (style, *state.shown_paintings)[:KEPT_PAINTINGS]


def _as_style(style) -> Image.Image | None:
    """A remembered style painting as a picture: the collection's file is read now."""
    if isinstance(style, Image.Image):
        return style
    try:
        return load_image(style)
    except ImageError:
        log.warning("the collection image %s cannot be read as a style", style)
        return None


def paint(resources: Resources, state: SessionState, text: str, named: list, progress=None) -> Reply:
    """The reply to "paint it like ...": the painted picture, or the question or reason why not."""
    from classifier.stylize import StylizeError, instant_styles

    language = state.language
    directory = resources.settings.resolved_stylizers_dir()
    try:
        painters = instant_styles(directory)
    except StylizeError as error:
        log.warning("instant styles unavailable: %s", error)
        painters = []
    earlier = _earlier_painting(resources, state)
    offered = painters + ([LIKE_SHOWN] if earlier is not None else [])
    if state.image is None:
        return say_in(state, "paint_show_first", ["Help"], intent="paint")
    like_shown = bool(_LIKE_SHOWN.search(text))
    painter = named[0].name if named else None
    if not like_shown and not painters:
        return say_in(state, "paint_no_styles", offered or ["Help"], intent="paint", asks="painter")
    if not like_shown and painter is None:
        return say_in(state, "paint_which", offered, {"painters": ", ".join(painters)}, intent="paint",
                      asks="painter")
    if not like_shown and painter not in painters:
        return say_in(state, "paint_no_style", offered, {"painter": painter, "painters": ", ".join(painters)},
                      intent="paint", asks="painter")
    started = time.perf_counter()
    try:
        if like_shown:
            style = _as_style(earlier) if earlier is not None else None
            if style is None:
                return say_in(state, "paint_no_painting_shown", offered or ["Help"], intent="paint", asks="painter")
            painted = _like_painting(resources, state.image, style, progress, language)
            key, fields = "painted_like_shown", {}
        else:
            painted = _instantly(resources, directory, painter, state.image)
            key, fields = "painted_like", {"painter": painter}
    except (StylizeError, ValueError) as error:  # ValueError: a MUSEUM_STYLIZE_STATISTIC that does not exist
        return say_in(state, "paint_failed", ["Help"], {"reason": str(error)}, intent="paint")
    seconds = time.perf_counter() - started
    others = [name for name in offered if name != painter]
    return Reply(phrase(key, language, **fields), artist=state.focus_artist, painted=painted,
                 suggestions=others,
                 data={"intent": "paint", "asks": "painter", "language": language,
                       "painted": {"painter": None if like_shown else painter,
                                   "style": "painting shown" if like_shown else "instant",
                                   "size": list(painted.size), "seconds": round(seconds, 3)}})


def _earlier_painting(resources: Resources, state: SessionState):
    """The painting shown before the picture in focus (or the one in focus, when that is no painting)."""
    in_focus_is_painting = state.image is not None and not paintings.no_painting(resources, state.look, state.match)
    earlier = state.shown_paintings[1:] if in_focus_is_painting else state.shown_paintings
    return earlier[0] if earlier else None


def _instantly(resources: Resources, directory, painter: str, image: Image.Image) -> Image.Image:
    from classifier.stylize import load_instant, paint_instantly

    return paint_instantly(load_instant(directory, painter), image, resources.settings.stylize_side)


def _like_painting(resources: Resources, image: Image.Image, style: Image.Image, progress, language: str):
    from classifier.stylize import LossNetwork, OptimizeConfig, StylizeError, paint_like

    settings = resources.settings
    network = resources.part("loss_network", LossNetwork)
    if network is None:
        raise StylizeError(resources.problems.get("loss_network", "the style network is not loaded"))
    config = OptimizeConfig(side=settings.stylize_side, steps=settings.stylize_steps,
                            loss=dataclasses.replace(OptimizeConfig().loss, statistic=settings.stylize_statistic))
    slot = resources.part("paint_slot", lambda: threading.BoundedSemaphore(1))
    describe = phrase("painting_progress", language)
    if progress is not None:
        progress(0.0, phrase("painting_wait", language))
    with slot:  # one optimisation at a time: it takes both cores for its half minute
        return paint_like(network, image, [style], config, seed=settings.seed,
                          progress=None if progress is None else lambda done, total: progress(done / total, describe))
