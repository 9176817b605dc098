"""What a message asks for: rules where the wording is unambiguous, MiniLM similarity to example
phrasings for the rest, and "fallback" when neither is confident."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from app.conversation.i18n import DEFAULT_LANGUAGE, intent_rules

MAX_CHARS = 500  # longer messages are cut: nobody asks a painting question in 10,000 characters
MIN_SIMILARITY = 0.55  # below this cosine the nearest example is a guess, and a guess is worse than asking

# Fact intents answer from one knowledge-base field each.
FACTS = ("born", "died", "age", "birthplace", "deathplace", "nationality", "movement", "works", "about",
         "teachers", "influences", "circle", "places", "media", "art_kind")
_WHO = r"\w+(?: \w+){0,3}"  # a painter's name or pronoun between a question's words: "did van gogh live"
_MEDIA_WORDS = (r"prints?|etchings?|engravings?|woodcuts?|lithographs?|posters?|sculptures?|sculpt|statues?|frescoe?s?"
                r"|murals?|watercolou?rs?|drawings?|ceramics?|pottery|films?|photo\w*|collages?|icons?|pastels?"
                r"|stained glass|cut-?outs?|architecture")

# Checked in order: the first rule that matches decides ("where was he born" before "born").
RULES: list[tuple[str, re.Pattern]] = [(name, re.compile(pattern, re.I)) for name, pattern in [
    # Before "similar" and "movement": "paint it in the style of Monet" asks for a picture, not a style.
    ("paint", r"^\W*(please\W+)?((can|could|would|will) you\W+)?(paint|repaint|turn|make|draw|redo|restyle|styli[sz]e)"
              r"\b.*\b(like|as|in the style of|the way)\b|\bpaint (it|me|this|my|us|that|them)\b"
              r"|\bstyle transfer\b|\b(paint|turn|make) .*\binto an? (painting|picture)\b|^\W*like the painting\b"),
    ("other_painting", r"\b(and )?the other (one|painting|picture)\b|\bthe second (one|painting)\b"
                       r"|\b(what|which) is the other\b"),
    ("greet", r"^\W*(hi|hello|hey|hiya|good (morning|afternoon|evening)|bonjour|hola|hallo|ciao)\b\W*$"),
    ("thanks", r"^\W*(thanks?|thank you|cheers)\b[\w\s,!.]{0,30}$|^\W*(ok(ay)?|nice|great|cool|wow)\W*$"),
    ("help", r"^\W*(help|\?+)\W*$|\bwhat can (you|i)\b|\bhow does (this|it) work\b|\bwhat do you do\b"
             r"|\bwhat do you know\W*$"),
    ("explain_detail", r"\bin (more )?detail\b|\bmore detail|\bwhich (parts|regions|areas)\b|\blime\b"),
    ("explain", r"^\W*why\b|\bwhat made you\b|\bhow (do|did|can) you (know|tell)\b|\bexplain\b|\bwhy do you think\b"
                r"|\byour reason|\bwhat makes you\b"),
    ("compare", r"\bcompare\b|\bdifference between\b|\bversus\b|\bvs\.?\b|\b(older|younger) than\b"),
    ("similar", r"\bsimilar\b|\bmore like (this|that|it)\b|\blooks? like (this|that|it)\b|\bresembl"
                r"|\blike this one\b|\bmore of (this|these)\b"),
    ("age", r"\bhow old\b|\bage\b|\bhow long did \w+ live\b"),
    ("deathplace", r"\bwhere did \w+ die\b|\bwhere .*\b(died|buried)\b|\bplace of death\b"),
    ("birthplace", r"\bwhere\b.*\b(born|from)\b|\bbirth ?place\b|\bhome ?town\b|\bcome from\b|\bplace of birth\b"),
    ("born", r"\bborn\b|\bbirth(day|date)?\b"),
    ("died", r"\b(die|died|death|pass(ed)? away)\b"),
    ("nationality", r"\bnationality\b|\b(what|which) (country|nation)\b"),
    ("art_kind", r"\b(what|which) (type|kind|sort|style|form|genre)s? of (art|painting|paintings|works?|artist|painter"
                 r"|pictures?|artwork)\b|\bwhat (did|does) " + _WHO + r" (make|create|do)\b"),
    ("media", r"\b(mediums?|media|materials?|techniques?|technically|brushwork|brush ?strokes?|methods?)\b"
              r"|\bwhat (did|does) " + _WHO + r" (paint|work) (on|with|in)\b|\bhow did " + _WHO + r" paint\b"
              r"|\b(did|does) " + _WHO + r" (make|do|paint|create|produce|carve|design|draw)\b.*\b(" + _MEDIA_WORDS
              + r")\b|\bwas " + _WHO + r" (also )?an? (sculptor|printmaker|engraver|architect)\b"),
    ("teachers", r"\b(who|whom) (taught|tought|thought|trained|instructed|mentored|teached)\b"
                 r"|\b(teachers?|mentors?|tutors?|masters?"
                 r"|apprentice(d|ship)?|training)\b|\b(pupil|student) of\b|\bstudied (with|under)\b"
                 r"|\b(where|with whom|who|how) did " + _WHO + r" (study|train|learn)\b"),
    ("influences", r"\b(who|what) (influenced|influensed|influanced|inspired)\b|\binfluenc\w* (on|of)\b|\binfluences\b"
                   r"|\b(was|were) " + _WHO + r" (influenced|inspired)\b|\binspirations?\b|\brole models?\b"),
    ("circle", r"\bfriends?\b|\bfriendship\b|\bcircle\b|\bcontemporaries\b|\bwork(ed)? (with|alongside)\b"
               r"|\bcollaborat\w*\b|\b(wife|husband|married|spouse|partner|lover|muse|patrons?)\b"),
    ("places", r"\bwhere did " + _WHO + r" (live|work|settle|move|spend|reside|stay|paint)\b"
               r"|\b(did|has) " + _WHO + r" (live|work|stay|settle) (in|at)\b|\bwhen (was|were|did) " + _WHO
               + r" (in|at|live in|move to|go to|visit|stay in|travel to|settle in)\b"
               r"|\bhow long did " + _WHO + r" (live|stay|spend)\b|\bplaces?\b.*\b(live|lived|work|worked)\b"
               r"|\bwhere .*\b(lived|worked)\b"),
    ("identify", r"\bwho (painted|made|created|did|drew|is behind) (this|it|that|the painting)\b|\bwhose\b"
                 r"|\bwho(se| is|'s) the (artist|painter)\b|\bwhat (painting|picture|artwork) is (this|that|it)\b"
                 r"|\b(identify|recogni[sz]e)\b"),
    ("movement", r"\b(movement|style|school|genre|period)\b"),
    ("works", r"\bfamous\b|\bknown for\b|\b(notable|best known|best|major) (works|paintings)\b|\bmasterpieces?\b"
              r"|\bwhat did \w+ paint\b"),
    ("search", r"\b(show|find|search|list|any|have you got|do you have)\b.*\b(paintings?|works?|pictures?|portraits?"
               r"|landscapes?|still lifes?|art)\b|\b(paintings?|works?|pictures?) (by|from|of)\b"
               r"|\b1[0-9]{2}0s\b|\b\d{1,2}(st|nd|rd|th)[ -]century\b"),
    ("about", r"\bwhen did .+ live\b|\btell me (more )?about\b|\bwho (was|is)\b|\bbiography\b|\bbio\b|\bmore about\b"),
]]

EXAMPLES: dict[str, list[str]] = {
    "greet": ["hello", "hi there", "good morning", "hey, nice to meet you"],
    "thanks": ["thank you", "thanks a lot", "that was helpful", "great, thanks"],
    "help": ["what can you do?", "how do I use this?", "what can I ask you?", "what are you?"],
    "identify": ["who painted this?", "who is the artist of this painting?", "who made this picture?",
                 "do you recognise this painting?", "what is this artwork?", "which painter did this one?"],
    "born": ["when was he born?", "what year was she born?", "his date of birth", "in which year was the artist born?"],
    "died": ["when did he die?", "what year did she die?", "when did the artist pass away?", "is he still alive?"],
    "age": ["how old was he when he died?", "at what age did she die?", "how long did the painter live?"],
    "birthplace": ["where was he born?", "where is she from?", "which city did the artist come from?"],
    "deathplace": ["where did he die?", "in which city did she die?"],
    "nationality": ["what nationality was he?", "which country was the painter from?", "was she French?"],
    "movement": ["what style is this?", "which art movement did he belong to?", "what kind of art is this?",
                 "is this impressionism?"],
    "works": ["what are his most famous paintings?", "what is she known for?", "name some of his works",
              "which paintings made him famous?"],
    "about": ["tell me about this artist", "who was he?", "tell me more about her",
              "what do you know about the painter?"],
    "similar": ["show me more like this", "find paintings that look like this one", "anything similar?",
                "other paintings in the same style"],
    "search": ["show me paintings by Monet", "impressionist landscapes", "paintings from the 1880s",
               "do you have any portraits?", "find still lifes", "works from the 17th century"],
    "explain": ["why?", "what made you think so?", "how do you know?", "why do you say that?",
                "what makes you sure?"],
    "cant_price": ["what is this painting worth?", "how much did it sell for?", "what is the most valuable painting?"],
    "cant_depicted": ["who is the man in the picture?", "who is shown in this painting?", "who posed for it?"],
    "cant_meaning": ["what does this painting mean?", "what is the message of this picture?"],
    "compare": ["compare Monet and Manet", "what is the difference between these two painters?",
                "who was older, Picasso or Matisse?"],
}


@dataclass(frozen=True)
class Intent:
    name: str
    method: str  # "rule", "meaning" (MiniLM), "empty" or "none"
    score: float = 1.0


def clean(text: str | None, limit: int | None = MAX_CHARS) -> str:
    """One line, at most `limit` characters, control characters removed."""
    text = "".join(ch if ch.isprintable() else " " for ch in (text or ""))
    return " ".join(text.split())[:limit]


def by_rules(text: str, language: str = DEFAULT_LANGUAGE) -> str | None:
    """The language's own patterns (app/conversation/i18n.json) first, then what the assistant cannot answer, then
    the English rules (artist names, "compare", decades read the same in every language)."""
    rules = (intent_rules(language) if language != DEFAULT_LANGUAGE else ()) + intent_rules(DEFAULT_LANGUAGE)
    return next((name for name, pattern in (*rules, *RULES) if pattern.search(text)), None)


@dataclass(frozen=True)
class IntentBank:
    """Example phrasings of each intent, embedded once: a message's intent is its nearest example's."""

    labels: list[str]
    examples: list[str]
    matrix: np.ndarray  # float32[E, D], L2-normalised


def embed_examples(embed) -> IntentBank | None:
    """EXAMPLES embedded by `embed(list[str]) -> float32[N, D] | None`; None without a text model."""
    pairs = [(label, text) for label, texts in EXAMPLES.items() for text in texts]
    matrix = embed([text for _, text in pairs])
    if matrix is None:
        return None
    return IntentBank([label for label, _ in pairs], [text for _, text in pairs], matrix)


def classify(text: str, embed=None, intent_bank=None, language: str = DEFAULT_LANGUAGE) -> Intent:
    """The intent of a cleaned message. `embed(list[str]) -> vectors` and `intent_bank() -> IntentBank | None`
    add meaning (English only: the MiniLM model and its example phrasings are English); both are called only
    when no rule decides, so a plainly worded question loads no text model."""
    if not text:
        return Intent("empty", "empty")
    rule = by_rules(text, language)
    if rule is not None:
        return Intent(rule, "rule")
    if language == DEFAULT_LANGUAGE and embed is not None and intent_bank is not None and re.search(r"[A-Za-z]", text):
        bank = intent_bank()
        vector = embed([text]) if bank is not None else None
        if vector is not None:
            scores = bank.matrix @ vector[0]
            best = int(np.argmax(scores))
            if scores[best] >= MIN_SIMILARITY:
                return Intent(bank.labels[best], "meaning", float(scores[best]))
    return Intent("fallback", "none")
