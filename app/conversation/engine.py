"""The conversation engine: (session state, message) -> (new state, reply). The single brain
behind `museum ask`, `museum chat` and the Gradio app.

State is immutable; every turn returns a new one. Facts come only from the knowledge base
or the corpus metadata, and a question they cannot answer gets "I don't know that".
"""

from __future__ import annotations

import dataclasses
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from app.conversation import answers, artworks, collection, painting_like, paintings
from app.conversation.i18n import DEFAULT_LANGUAGE, detect, label, phrase
from app.conversation.intents import FACTS, MAX_CHARS, Intent, IntentBank, by_rules, classify, clean, embed_examples
from app.conversation.turns import (
    FOLLOW_UPS,
    GALLERY_SIZE,
    NO_SUBJECT,
    Message,
    Reply,
    SessionState,
    Subject,
    say,
    say_in,
)
from app.serving import vision
from app.serving.resources import Resources
from data.images import ImageError
from data.knowledge import ArtistEntry

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]

_THIS_PAINTING = re.compile(r"\b(this|that|the) (painting|picture|image|artwork|one|photo)\b|\bthis\b", re.I)
_REFERS_TO_ARTIST = re.compile(r"\b(he|she|they|him|her|his|hers|them|their|painter|artist)\b", re.I)
_NOT_NAMES = {"him", "her", "them", "he", "she", "they", "this", "that", "the", "it", "his", "their", "me", "you"}
_UNKNOWN_NAME = re.compile(r"\b(?:about|who (?:was|is)|by|painter|artist)\s+([A-Z][\w'.-]+(?:\s+[A-Z][\w'.-]+){0,3})")
# Visitors type names in lower case too: "tell me about banksy" must not answer about the artist in focus.
_UNKNOWN_NAME_LOWER = re.compile(r"\b(?:about|who (?:was|is))\s+([a-z][\w'.-]+(?:\s+[a-z][\w'.-]+)?)\s*\W*$", re.I)
_WORK_FOLLOW_UPS = ["Tell me about the artist", "Famous works?"]
WORK_NOTES_MIN_SCORE = 0.20  # a work's own few sentences, found by its title: a lower bar (validation half)
# Intents that never ask about a work by its title, even when one is named ("compare Monet and Manet").
_NOT_ABOUT_WORKS = {"empty", "greet", "thanks", "help", "explain_detail", "compare", "similar"}
# The painter-fact intents a question about a work may carry: "when was the painter of The Night Watch born?".
_PAINTER_OF_WORK = {"born", "died", "age", "birthplace", "deathplace", "nationality", "teachers", "influences",
                    "circle", "places", "media", "art_kind", "movement"}
_ABOUT_PAINTER = re.compile(r"\b(painter|artist|he|she|him|her|his|peintre|artiste|il|elle|maler|künstler|er|sie"
                            r"|pintor|pintora|él|ella|pittore|pittrice|lui|lei)\b", re.I)
_NOT_NAME_STARTS = _NOT_NAMES | {"a", "an", "my", "your", "our", "its", "her", "painting", "paintings", "picture",
                                 "art", "artwork", "style", "movement", "painter", "artist", "here", "there"}


def respond(resources: Resources, state: SessionState, message: Message,
            progress: Progress | None = None) -> tuple[SessionState, Reply]:
    """One turn. `progress(fraction, description)`, when given, hears about slow work (a detailed explanation).

    The reply is in the language of the question (app/conversation/i18n.py), or the conversation's so far."""
    whole = clean(message.text, limit=None)
    text = whole[:MAX_CHARS]
    language = detect(text, state.language) if text else state.language
    state = dataclasses.replace(state, turns=state.turns + 1, language=language)
    if message.image is not None:
        state, reply = _new_image(resources, state, message.image)
        intent = _intent(resources, text, language) if text else None
        # The identify reply already shows the similar paintings; other questions get their own answer below it.
        if intent and intent.name not in ("identify", "similar", "greet", "thanks", "fallback", "empty", "help"):
            state, more = _answer(resources, state, text, intent, progress)
            reply = _merge(reply, more)
    else:
        intent = _intent(resources, text, language)
        kb = resources.kb
        if kb is not None and painting_like.is_asked(text, state.last_intent == "paint",
                                                     [entry.name for entry in kb.mentions(text)]):
            intent = Intent("paint", "context")  # "Claude Monet", tapped after "which painter?"
        state, reply = _answer(resources, state, text, intent, progress)
        reply.data.setdefault("intent", intent.name)
        reply.data.setdefault("intent_method", intent.method)
        log.debug("turn %d: %r -> %s (%s, %s)", state.turns, text, intent.name, intent.method, language)
        state = dataclasses.replace(state, last_intent=intent.name)
    if reply.subject is not None and reply.subject.kind == "painting":  # "why?" after "Monet?": "he" is its painter
        state = dataclasses.replace(state, focus_artist=state.image_artist)
    reply = dataclasses.replace(reply, data={**reply.data, "cards": cards(resources, reply.subject, language)})
    return state, _in_language(reply, language, cut=len(whole) if len(whole) > MAX_CHARS else 0)


def cards(resources: Resources, subject: Subject | None, language: str) -> list[dict]:
    """The artist cards a reply's subject may show, in `language`: none for a painter only guessed or not known."""
    if subject is None or not subject.certain:
        return []
    entries = [_entry(resources, name) for name in subject.painters]
    return [answers.card(entry, language) for entry in entries if entry is not None]


def image_subject(resources: Resources, state: SessionState) -> Subject:
    """The painting in focus as a reply's subject, with how sure the assistant is of its painter. The painting's
    own painter, not the artist talked about since ("Monet?" after a Manet: "why?" is still about the Manet)."""
    if state.image is None:
        return NO_SUBJECT
    if paintings.no_painting(resources, state.look, state.match):
        return Subject("painting", certainty="not_painting")
    if state.match:
        painter = state.image_artist or state.match.get("artist")
        return Subject("painting", (painter,) if painter else (), "matched", state.match.get("title"))
    if state.image_artist:
        return Subject("painting", (state.image_artist,), "confident")
    if state.hedged_artist:
        return Subject("painting", (state.hedged_artist,), "hedged")
    return Subject("painting", (), "unknown")


def _named(entry: ArtistEntry | None) -> Subject:
    return Subject("painter", (entry.name,), "named") if entry is not None else NO_SUBJECT


def warm(resources: Resources) -> dict[str, str]:
    """Load everything a visitor's turn uses now (server start): the resident parts, the intent examples and
    the micro-batched backbone. Returns {part: reason} for the parts that failed."""
    resources.warm()
    _intent_bank(resources)
    vision.warm(resources)
    return dict(resources.problems)


def _intent_bank(resources: Resources) -> IntentBank | None:
    def build() -> IntentBank:
        bank = embed_examples(resources.embed_sentences)
        if bank is None:
            raise RuntimeError(f"no text model: {resources.problems.get('text_model')}")
        return bank

    return resources.part("intent_bank", build)


def _intent(resources: Resources, text: str, language: str) -> Intent:
    return classify(text, resources.embed_sentences, lambda: _intent_bank(resources), language)


def _in_language(reply: Reply, language: str, cut: int = 0) -> Reply:
    """Suggestions in the visitor's language; a reply that exists only in English says so; a message
    that was cut says so first."""
    text = reply.text
    if language != DEFAULT_LANGUAGE and reply.data.get("language") != language:
        text = f"{phrase('english_only', language)}\n\n{text}"
    if cut:
        text = f"{phrase('too_long', language, length=cut, limit=MAX_CHARS)}\n\n{text}"
    reply.data["language"] = language
    reply.data["suggested"] = list(reply.suggestions)  # in English: the app relabels them when the language changes
    return dataclasses.replace(reply, text=text, suggestions=[label(s, language) for s in reply.suggestions])


def _merge(first: Reply, second: Reply) -> Reply:
    localized = first.data.get("language") == second.data.get("language")
    return dataclasses.replace(first, text=f"{first.text}\n\n{second.text}", artist=second.artist or first.artist,
                               images=second.images or first.images, captions=second.captions or first.captions,
                               data={**first.data, "follow_up": second.data,
                                     "language": first.data.get("language") if localized else None},
                               overlay=second.overlay if second.overlay is not None else first.overlay,
                               painted=second.painted, subject=second.subject or first.subject)


# --- images -----------------------------------------------------------------------------

def _new_image(resources: Resources, state: SessionState, source) -> tuple[SessionState, Reply]:
    try:
        seen = paintings.open_image(source, paintings.working_side(resources.settings))
    except (ImageError, OSError) as error:
        reason = paintings.friendly(error) if isinstance(error, ImageError) else "the file cannot be read"
        return state, say_in(state, "bad_image", ["Help"], {"reason": reason}, intent="bad_image", error=reason)
    image = paintings.kept(seen.image)
    # The photo's keypoints (OpenCV releases the GIL) are found while the backbone looks at the painting.
    with ThreadPoolExecutor(max_workers=1) as pool:
        photo = pool.submit(paintings.photo_features, resources, seen.image)
        seen_by = vision.look(resources, image)  # one forward, batched with other visitors'
        match, others = paintings.catalogue_match(resources, seen_by.match_vector, photo.result(),
                                                  image.width / seen.image.width)
    is_painting = not paintings.no_painting(resources, seen_by, match)
    shown = painting_like.remembered(state, image, seen_by.painting, match, is_painting)
    return _focus_on(resources, state, seen.key, image, seen_by, match, others, shown)


def _focus_on(resources: Resources, state: SessionState, key: str, image, seen_by: vision.Look, match: dict | None,
              others: list[dict], shown_paintings: tuple) -> tuple[SessionState, Reply]:
    hits = paintings.look_alikes(resources, seen_by.similar_vector, match, GALLERY_SIZE)
    # A photo with no painting in it (a cat, coins, a page of text) gets no style guess at all.
    is_painting = not paintings.no_painting(resources, seen_by, match)
    prediction = seen_by.prediction if is_painting else None
    focus = _artist_from(resources, match, prediction)
    guess = _entry(resources, (prediction or {}).get("artist")) if not focus and (prediction or {}).get("known") \
        else None
    # The painting found in the picture is the view the classifier judged: "why?" explains it.
    state = SessionState(focus_artist=focus.name if focus else None, image_artist=focus.name if focus else None,
                         hedged_artist=guess.name if guess else None,
                         image_key=key, image=image, painting=seen_by.painting,
                         image_vector=seen_by.similar_vector, prediction=prediction, match=match,
                         other_matches=tuple(others), look=seen_by, neighbours=tuple(hits), turns=state.turns,
                         last_intent="identify", language=state.language, shown_paintings=shown_paintings)
    return state, _identify(resources, state)


def _other_painting(resources: Resources, state: SessionState) -> tuple[SessionState, Reply]:
    """"And the other one?": the next collection painting recognised in the same photo becomes the subject."""
    if not state.other_matches:
        key = "no_other_painting" if state.image is not None else "show_first"
        return state, say_in(state, key, ["Show similar", "Why?"] if state.image is not None else ["Help"])
    other, *rest = state.other_matches
    shown = [m for m in (state.match,) if m]
    return _focus_on(resources, state, state.image_key, state.image, state.look, other, [*rest, *shown],
                     state.shown_paintings)


def _artist_from(resources: Resources, match: dict | None, prediction: dict | None) -> ArtistEntry | None:
    """The catalogue record's artist when the image is a known painting, else the classifier's when it knows the
    painter and is at least fairly confident (a lower guess is only named as a guess, see `_hedged`)."""
    kb = resources.kb
    if kb is None:
        return None
    if match:
        # The museum's record outranks a style guess, even when its answer is "unidentified artist".
        return kb.find(match["artist"]) if match.get("artist") else None
    if prediction and prediction.get("known") and prediction.get("artist") \
            and prediction.get("confidence", 0.0) >= paintings.NAMED:
        return kb.find(prediction["artist"])
    return None


def _identify(resources: Resources, state: SessionState) -> Reply:
    language = state.language
    if state.image is None:
        return Reply(phrase("show_first", language), suggestions=["Help"], data={"language": language})
    if paintings.no_painting(resources, state.look, state.match):
        return Reply(phrase("no_painting", language), suggestions=[painting_like.ASK, "Help"],
                     data={"intent": "identify", "no_painting": True, "prediction": None, "match": None,
                           "painting_probability": state.look.painting_probability, "language": language},
                     subject=image_subject(resources, state))
    lines = []
    if state.match:
        m = state.match
        verified = m.get("method") == "verified"
        lines.append(phrase("match_verified" if verified else "match", language, title=m["title"],
                            date=f" ({m['date']})" if m.get("date") else "",
                            artist=m["artist"] or phrase("unidentified", language), score=f"{m['score']:.2f}",
                            inliers=m.get("inliers")))
        if state.other_matches:
            o = state.other_matches[0]
            lines.append(phrase("another_painting", language, title=o["title"],
                                artist=o["artist"] or phrase("unidentified", language)))
    elif paintings.verifies(resources):
        lines.append(phrase("not_in_collection", language))
    if state.prediction:
        lines.append(paintings.prediction_sentence(state.prediction, language, matched=bool(state.match)))
        predicted = state.prediction.get("artist")
        if state.match and predicted and state.focus_artist and predicted != state.focus_artist:
            lines.append(phrase("record_outweighs", language))
    else:
        lines.append(phrase("no_classifier", language))
    entry = _entry(resources, state.focus_artist)
    if entry is not None:
        lines.append(answers.headline(entry, language) + ".")
    gallery = list(state.neighbours)
    if gallery:
        lines.append(phrase("look_alike", language))
    return Reply("\n\n".join(lines), artist=state.focus_artist, images=[h["image_path"] for h in gallery],
                 captions=[paintings.caption(h) for h in gallery],
                 data={"intent": "identify", "prediction": state.prediction, "match": state.match,
                       "classifier_problem": None if state.prediction else resources.problems.get("classifier"),
                       "painting_probability": getattr(state.look, "painting_probability", None),
                       "artist_card": answers.card(entry, language) if entry else None, "results": gallery,
                       "language": language},
                 suggestions=[*(FOLLOW_UPS if entry else ["Show similar", "Why?"]), painting_like.ASK],
                 overlay=paintings.outlined(state.image, state.match, state.other_matches),
                 subject=image_subject(resources, state))


# --- text turns --------------------------------------------------------------------------

def _entry(resources: Resources, name: str | None) -> ArtistEntry | None:
    kb = resources.kb
    return kb.find(name) if kb is not None and name else None


def _answer(resources: Resources, state: SessionState, text: str, intent: Intent,
            progress: Progress | None = None) -> tuple[SessionState, Reply]:
    kb = resources.kb
    named = kb.mentions(text) if kb is not None else []
    if named and intent.name not in ("compare", "paint"):  # "paint it like Monet" is not about Monet
        state = dataclasses.replace(state, focus_artist=named[0].name)  # a named artist becomes the focus
    name = intent.name
    if not named and name in FACTS and (unknown := _unknown_name(text)):
        return state, _not_known(resources, state, unknown)
    target = named[0] if named else _entry(resources, state.focus_artist)
    if name == "empty":
        return state, say(state, "Ask me about a painting or an artist — or show me a painting.", ["Help"])
    if name == "greet":
        return state, say_in(state, "greet", ["Help"], {"count": len(kb) if kb else 0})
    if name == "thanks":
        return state, say_in(state, "thanks", FOLLOW_UPS)
    if name == "help":
        return state, _help(resources, state)
    if name.startswith("cant_"):  # prices, who is shown, meaning, the museum's rooms: say so, answer nothing else
        reason = phrase(name.replace("cant_", "why_", 1), state.language)
        return state, say_in(state, "cant_answer", ["Help"], {"why": reason}, cannot=name)
    if name == "other_painting":
        return _other_painting(resources, state)
    if name == "paint":
        return state, painting_like.paint(resources, state, text, named, progress)
    if name not in _NOT_ABOUT_WORKS and resources.works is not None and kb is not None:
        asked = artworks.read(text, resources.works)
        if asked is not None and (done := _about_work(resources, state, text, asked, named)) is not None:
            return done
    if named and intent.method == "meaning" and name in ("search", "similar", "identify", "works"):
        # A question naming a painter that only the sentence model placed: about that painter, not the holdings.
        return state, _fallback(resources, state, text, named[0])
    if name == "identify" and not named and kb is not None and (work := kb.work_named(text)):
        entry, title = work
        state = dataclasses.replace(state, focus_artist=entry.name)
        language = state.language
        return state, Reply(phrase("work_by", language, title=title, headline=answers.headline(entry, language)),
                            artist=entry.name, suggestions=FOLLOW_UPS, subject=_named(entry),
                            data={"work": title, "artist_card": answers.card(entry, language), "language": language})
    if name == "identify" and not named:
        return state, _identify(resources, state)
    if name == "similar":
        moved_on = state.focus_artist != state.image_artist  # an artist was named since the image came
        by_artist = named or state.image is None or (moved_on and not _THIS_PAINTING.search(text))
        reply = collection.similar(resources, state, target if by_artist else None)
        if state.language != DEFAULT_LANGUAGE and reply.images:  # the collection's own wording is English
            reply = dataclasses.replace(reply, text=phrase("similar_found", state.language),
                                        data={**reply.data, "language": state.language})
        subject = _named(target) if by_artist else image_subject(resources, state)
        return state, dataclasses.replace(reply, subject=subject)
    if name == "explain" and named and state.image is None:  # "why did Rivera's mural get destroyed?"
        return state, _fallback(resources, state, text, named[0])
    if name in ("explain", "explain_detail"):
        return state, _explain(resources, state, detailed=name == "explain_detail", progress=progress)
    if name == "compare":
        return state, _compare(resources, state, named)
    if name == "search":  # the results are the subject: a painter's card only when one was named
        return state, dataclasses.replace(collection.search(resources, state, text, named),
                                          subject=_named(named[0] if named else None))
    about_the_image = state.focus_artist is None or _THIS_PAINTING.search(text)
    if name == "movement" and not named and state.prediction and about_the_image:
        return state, _style_of_image(resources, state)
    if name == "died" and target is not None and re.search(r"\b(how|why|cause|of what)\b", text, re.I):
        if (recalled := _recalled(resources, state, target, text)) is not None:  # "how did Pollock die?"
            return state, recalled
    if name in FACTS or name == "identify":
        return state, _fact(resources, state, text, target, "about" if name == "identify" else name)
    return state, _fallback(resources, state, text, target if named or _REFERS_TO_ARTIST.search(text) else None)


def _about_work(resources: Resources, state: SessionState, text: str, asked: artworks.WorkQuestion,
                named: list[ArtistEntry]) -> tuple[SessionState, Reply] | None:
    """The answer to a question about a work by its title, or None when it is no such question after all."""
    kb, language = resources.kb, state.language
    if asked.found is None:  # "who painted X?" with an X the works index does not hold
        title = asked.frame_title or ""
        if kb.mentions(title) or _unknown_name(text) or not re.search(r"[^\W\d_]{3}", title):
            return None  # "who painted like Monet", "who painted the most?": no title
        return state, say(state, artworks.unknown(title, resources.works, language), ["Help"],
                          unknown_work=title, intent="work", language=language)
    meant = artworks.choose(asked.found, [entry.name for entry in named])
    if len(meant) > 1:
        return state, say(state, artworks.several(meant, language), ["Help"], intent="work", language=language,
                          works=[w.title for w in meant])
    work = meant[0]
    entry = kb.find_exact(work.artist) or kb.find(work.artist)
    state = dataclasses.replace(state, focus_artist=entry.name if entry else state.focus_artist)
    data = {"intent": "work", "work": work.title, "work_kind": asked.kind, "language": language,
            "artist_card": answers.card(entry, language) if entry else None}
    painter_question = by_rules(asked.rest, language)
    if entry is not None and painter_question in _PAINTER_OF_WORK and _ABOUT_PAINTER.search(asked.rest):
        reply = _fact(resources, state, text, entry, painter_question)
        return state, dataclasses.replace(reply, data={**reply.data, "work": work.title})
    if asked.kind != "story":
        return state, Reply(artworks.answer(work, asked.kind, language), artist=work.artist, data=data,
                            suggestions=_WORK_FOLLOW_UPS, subject=_named(entry))
    recall = resources.recall
    hit = recall.best(entry, asked.rest, only=f"notes on {work.title}", min_score=WORK_NOTES_MIN_SCORE,
                      min_cosine_alone=WORK_NOTES_MIN_SCORE) if recall and entry else None
    if hit is not None:
        quoted = phrase("quote", language, origin=hit.sentence.origin, who=entry.name, sentence=hit.sentence.text)
        return state, Reply(quoted, artist=work.artist, data={**data, "recall": hit.score, "language": None},
                            suggestions=_WORK_FOLLOW_UPS, subject=_named(entry))
    known = artworks.answer(work, "what", language)
    return state, Reply(f"{phrase('dont_know_work', language)}\n\n{known}", artist=work.artist, data=data,
                        suggestions=_WORK_FOLLOW_UPS, subject=_named(entry))


def _recalled(resources: Resources, state: SessionState, entry: ArtistEntry, text: str) -> Reply | None:
    """The painter's own sentence that best answers `text`, quoted with its origin, or None below confidence."""
    recall = resources.recall
    hit = recall.best(entry, text) if recall is not None else None
    if hit is None:
        return None
    language = state.language
    quoted = phrase("quote", language, origin=hit.sentence.origin, who=entry.name, sentence=hit.sentence.text)
    return Reply(quoted, artist=entry.name,
                 data={"fact": "recall", "recall": hit.score, "origin": hit.sentence.origin,
                       "artist_card": answers.card(entry, language), "language": None},
                 suggestions=["Tell me about the artist", "Famous works?"], subject=_named(entry))


def _fact(resources, state, text, entry: ArtistEntry | None, fact: str) -> Reply:
    if entry is None and fact == "about" and state.image is not None:
        return _identify(resources, state)  # "who's the artist?" about the painting in focus
    if entry is None and state.hedged_artist and state.image is not None:
        return _hedged(resources, state, text, fact)
    if entry is None:
        return _no_artist(resources, state, text)
    language = state.language
    if fact in answers.RICH_FACTS:
        answer = answers.rich_fact(entry, fact, language, question=text)
        localized = fact in ("teachers", "influences", "circle", "places") or language == DEFAULT_LANGUAGE
    else:
        answer, localized = answers.fact(entry, fact, language), True
    if answer is None and fact in answers.RICH_FACTS and (recalled := _recalled(resources, state, entry, text)):
        return recalled  # a painter without the field: perhaps the biography says it
    answer = answer or answers.dont_know(entry, fact, language)
    return Reply(answer, artist=entry.name,
                 data={"fact": fact, "artist_card": answers.card(entry, language),
                       "language": language if localized else None},
                 suggestions=["Show similar", "Famous works?", "Where was the artist born?"], subject=_named(entry))


def _hedged(resources: Resources, state: SessionState, text: str, fact: str) -> Reply:
    """A fact about the painter the classifier only guessed: said under "if it is X", without X's card, and the
    guess stays a guess for the next question too."""
    entry = _entry(resources, state.hedged_artist)
    answer = _fact(resources, dataclasses.replace(state, hedged_artist=None), text, entry, fact)
    return dataclasses.replace(answer, text=f"{phrase('if_guess', state.language, artist=entry.name)} {answer.text}",
                               artist=None, data={**answer.data, "artist_card": None, "hedged": entry.name},
                               subject=image_subject(resources, state))


def _no_artist(resources: Resources, state: SessionState, text: str) -> Reply:
    """No artist in focus: say why, and name the unknown person if the visitor named one."""
    if unknown := _unknown_name(text):
        return _not_known(resources, state, unknown)
    if state.image is not None:
        return dataclasses.replace(say_in(state, "painter_unknown", ["Show similar", "Why?"]),
                                   subject=image_subject(resources, state))
    return say_in(state, "which_artist", ["Help"])


def _unknown_name(text: str) -> str | None:
    """A name after "about"/"who was"/"by" (capitalised, or ending the question) that is no artist of the
    knowledge base."""
    match = _UNKNOWN_NAME.search(text)
    if match and match[1].lower() not in _NOT_NAMES:
        return match[1]
    match = _UNKNOWN_NAME_LOWER.search(text)
    if match and match[1].split()[0].lower() not in _NOT_NAME_STARTS:
        return match[1].title() if match[1].islower() else match[1]
    return None


def _not_known(resources: Resources, state: SessionState, name: str) -> Reply:
    kb = resources.kb
    examples = ", ".join(kb.names()[:3]) if kb else "none yet"
    reply = say(state, f"I don't know an artist called {name}, so I won't guess. I can tell you about "
                f"{len(kb) if kb else 0} painters, for example {examples}.", ["Help"], unknown_artist=name)
    return dataclasses.replace(reply, subject=Subject("painter", certainty="unknown"))


def _style_of_image(resources: Resources, state: SessionState) -> Reply:
    genres = state.prediction.get("genres") or []
    if not genres:
        reply = say(state, "My classifier gave no movement for this painting.", FOLLOW_UPS)
    else:
        listing = ", ".join(f"{g['genre']} ({paintings.percent(g['probability'])})" for g in genres)
        reply = say(state, f"By its look, this painting's style is closest to {listing}.", FOLLOW_UPS, genres=genres)
    return dataclasses.replace(reply, subject=image_subject(resources, state))


def _explain(resources: Resources, state: SessionState, detailed: bool = False,
             progress: Progress | None = None) -> Reply:
    """A heatmap first (fast); "in more detail" runs LIME over the painting's regions (a few seconds)."""
    if state.image is None:
        return say_in(state, "why_nothing", ["Help"])
    if paintings.no_painting(resources, state.look, state.match):
        return dataclasses.replace(
            say_in(state, "why_no_painting", ["Help"], {"percent": paintings.percent(state.look.painting_probability)},
                   intent="explain", no_painting=True),
            subject=image_subject(resources, state))
    drawn = None if detailed else paintings.matched_points(state.image, state.match)
    if drawn is not None:  # a recognised painting: its reason is the points that line up, shown side by side
        return dataclasses.replace(_why_recognised(state, drawn), subject=image_subject(resources, state))
    method = "lime" if detailed else "heatmap"
    painting = state.painting if state.painting is not None else state.image
    result = paintings.explain(resources, painting, state.prediction, method, progress) if state.prediction else None
    if result is None:
        text, overlay, examples = (
            paintings.why_sentence(state.prediction, state.match, list(state.neighbours)),
            None,
            [],
        )
    else:
        text, overlay, examples = result.text, result.overlay, result.examples
    language = state.language
    localized = result is not None and (language != DEFAULT_LANGUAGE or detailed)
    if result is not None and detailed:  # the first "why?" said the rest: only what the regions add
        text = phrase("why_detail", language, artist=result.explained["artist"],
                      percent=paintings.percent(result.explained["probability"])) + " " + phrase("why_lime", language)
    elif localized:  # the explainer writes English: say the same numbers from the phrase book
        text = phrase("why_style", language, artist=result.explained["artist"],
                      percent=paintings.percent(result.explained["probability"]))
        text += " " + phrase("why_lime" if detailed else "why_heatmap", language)
    if result and state.match and not detailed:  # the record named it; the overlay explains the style guess
        m = state.match
        record = (
            phrase(
                "why_match",
                language,
                title=m["title"],
                artist=m["artist"] or phrase("unidentified", language),
                score=f"{m['score']:.2f}",
            )
            if localized
            else paintings.why_sentence(None, m, [])
        )
        text = f"{record}\n\n{text}" if localized else f"{record}\n\nMy style classifier on its own: {text}"
    if examples:
        text += "\n\n" + phrase("why_examples", language)
    suggestions = ["Show me in more detail", "Show similar"] if result and not detailed else ["Show similar"]
    return Reply(text, artist=state.image_artist, overlay=overlay, subject=image_subject(resources, state),
                 images=[hit["image_path"] for hit in examples], captions=[paintings.caption(hit) for hit in examples],
                 data={"intent": "explain", "method": method if result else "summary", "prediction": state.prediction,
                       "match": state.match, "examples": examples,
                       "explained": result.explained if result else None,
                       "explanation": "classifier" if result else "summary",
                       "language": language if localized or language == DEFAULT_LANGUAGE else None},
                 suggestions=suggestions)


def _why_recognised(state: SessionState, drawn) -> Reply:
    m, language = state.match, state.language
    text = phrase("why_points", language, inliers=m["inliers"], title=m["title"], needed=m["min_inliers"],
                  artist=m["artist"] or phrase("unidentified", language))
    return Reply(text, artist=state.image_artist, overlay=drawn,
                 data={"intent": "explain", "method": "points", "explanation": "match", "match": m,
                       "prediction": state.prediction, "language": language},
                 suggestions=["Show me in more detail", "Show similar"])


def _compare(resources: Resources, state: SessionState, named: list[ArtistEntry]) -> Reply:
    focus = _entry(resources, state.focus_artist)
    pair = named[:2] if len(named) >= 2 else ([focus, named[0]] if named and focus and focus.name != named[0].name
                                              else [])
    if len(pair) < 2:
        return say(state, "Name two artists to compare, e.g. \"compare Monet and Manet\".", ["Help"])
    return Reply(answers.compare(*pair), artist=state.focus_artist,
                 subject=Subject("painter", tuple(e.name for e in pair), "named"),
                 data={"compare": [answers.card(e) for e in pair]}, suggestions=FOLLOW_UPS)


def _help(resources: Resources, state: SessionState) -> Reply:
    if state.language != DEFAULT_LANGUAGE:
        return say_in(state, "help", FOLLOW_UPS if state.image is not None else [])
    lines = ["I can:",
             "- **identify** a painting: show me a photo and ask \"who painted this?\"",
             "- tell you about an **artist**: born, died, age, nationality, where from, movement, famous works",
             "- find **similar** paintings: \"show me more like this\"",
             "- **search** the collection: \"paintings by Rembrandt\", \"impressionist\", \"paintings from the 1880s\"",
             "- **explain** my guess: \"why?\"",
             "- **compare** two artists: \"compare Monet and Manet\""]
    if resources.problems:
        lines.append("Not available right now: " + "; ".join(f"{p} ({r})" for p, r in resources.problems.items()))
    return say(state, "\n".join(lines), FOLLOW_UPS if state.image is not None else [])


def _fallback(resources: Resources, state: SessionState, text: str, entry: ArtistEntry | None) -> Reply:
    if not re.search(r"[^\W\d_]{2}", text) or not text.isascii() and detect(text, "") == "":
        return say_in(state, "not_understood", ["Help"])  # emoji, or a script none of our languages uses
    language = state.language
    if entry is not None and (recalled := _recalled(resources, state, entry, text)) is not None:
        return recalled
    if entry is not None:
        return Reply(answers.dont_know(entry, language=language), artist=entry.name, subject=_named(entry),
                     data={"artist_card": answers.card(entry, language), "language": language},
                     suggestions=["Tell me about the artist", "Show similar"])
    return say_in(state, "fallback", ["Help"])
