"""What the engine can say about an image: the catalogue painting it is (if any), the
classifier's guess, similar paintings, and why. The classifier's forward (with the index
encoder's) runs batched in app/serving/vision.py; the only code coupled to the explanation modules is
`explain` below."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import numpy as np
from PIL import Image

from app.conversation.i18n import DEFAULT_LANGUAGE, movement_name, phrase
from app.serving.resources import Resources
from classifier.explain.text import percent
from data.images import MAX_PIXELS, ImageError, load_image
from retrieval.query import Hit, hit_at_row, similar_to_vector

log = logging.getLogger(__name__)

# The cosine between the classifier's pooled vector of the painting found in a picture and the collection's
# (`Resources.match_index`) above which the picture IS that painting. `python -m app.bench.match --best-artworks PATH`
# on the Met index: 200 pictures of paintings not in it (100 Kaggle images, a simulated gallery photo of each)
# reached at most 0.668, apart from a Kaggle reproduction of a Met painting (Cezanne's Madame Cezanne in a Red
# Dress: 0.762, and 0.730 as a photo; rightly a match); at 0.75, 118 of 174 simulated gallery photos of the
# collection's paintings (68%) are named from the right record and none as another painting.
CATALOGUE_MATCH = 0.75
# Wording tiers of a known painter's calibrated confidence. Below NAMED the name is only a guess: it is said as
# one, and the painter's card and facts are not shown as if they were the answer ("if it is X, ...").
SURE = 0.8
NAMED = 0.5
POINTS_SHOWN = 40  # matched pairs drawn on "why?": enough to see the agreement, few enough to follow a line
# Distinct under the common colour-vision deficiencies (Okabe and Ito's palette).
POINT_COLOURS = ((230, 159, 0), (86, 180, 233), (0, 158, 115), (240, 228, 66), (0, 114, 178), (213, 94, 0),
                 (204, 121, 167))
# The same, for the index encoder's own vectors (a collection without the whole-image index, or a CLIP encoder):
# on the Met index with Lite0's 224-px centre crops, 300 pictures of paintings not in it reached at most 0.789.
ENCODER_MATCH = 0.8
# A picture is judged, explained and kept in the session at most this large (longest side): the backbone sees
# 256 px, the panels show ~500, and a session then holds a few MB whatever a phone uploads (a 12 MP photo
# decoded is 36 MB).
KEPT_SIDE = 1024
# Below this many pixels on a side there is no brushwork or composition left to judge (a 1x1 image was
# "read" as Baroque at 72%); the backbone itself sees 256 x 256.
MIN_SIDE = 32


@dataclass(frozen=True)
class SeenImage:
    image: Image.Image
    key: str  # content hash: the same upload twice is the same painting in focus


def open_image(source, at_least: int = KEPT_SIDE) -> SeenImage:
    """A path, bytes or PIL image as RGB with its content hash; ImageError for anything unusable,
    including a picture too small to judge. A large JPEG is decoded reduced, to no less than `at_least` px on
    its longest side (what is kept and searched for keypoints needs no more)."""
    if isinstance(source, Image.Image):
        if source.width * source.height > MAX_PIXELS:
            raise ImageError(f"the image is too large ({source.width}x{source.height} pixels)")
        image = _judgeable(source.convert("RGB"))
        return SeenImage(image, hashlib.sha256(image.tobytes()).hexdigest())
    raw = source if isinstance(source, bytes) else None
    # load_image checks size, emptiness and format before we read the file ourselves
    image = _judgeable(load_image(source, at_least=at_least))
    if raw is None:
        with open(source, "rb") as handle:
            raw = handle.read()
    return SeenImage(image, hashlib.sha256(raw).hexdigest())


def working_side(settings) -> int:
    """The least a picture needs on its longest side: what is kept (KEPT_SIDE) and searched for keypoints
    (`Settings.photo_side`); a larger JPEG is decoded reduced to no less than this."""
    return max(KEPT_SIDE, settings.photo_side)


def kept(image: Image.Image) -> Image.Image:
    """`image` at most KEPT_SIDE on its longest side (the image itself when it is no larger)."""
    if max(image.size) <= KEPT_SIDE:
        return image
    smaller = image.copy()
    smaller.thumbnail((KEPT_SIDE, KEPT_SIDE), Image.Resampling.BICUBIC)
    return smaller


def _judgeable(image: Image.Image) -> Image.Image:
    if min(image.size) < MIN_SIDE:
        raise ImageError(f"the picture is too small to judge ({image.width}x{image.height} pixels; "
                         f"I need at least {MIN_SIDE} pixels on each side)")
    return image


def friendly(error: ImageError) -> str:
    """The reason without the file name: visitors need no paths."""
    return str(error).split(": ", 1)[-1]


def photo_features(resources: Resources, image: Image.Image):
    """The photo's local features at up to `photo_side` px (not the 256 px the classifier sees), with the
    extractor the collection's were made with; None when the collection has none (an index built without them)."""
    loaded = resources.match_index or resources.index
    store = getattr(loaded, "local", None)
    if store is None:
        return None
    from retrieval.local import extract

    settings = resources.settings
    return extract(image, store.spec.extractor, settings.photo_side, settings.photo_keypoints)


def verifies(resources: Resources) -> bool:
    """The collection's index holds local features, so a photo of one of its paintings is verified, and a
    photo verified as none of them is of a painting the museum does not hold."""
    return getattr(resources.match_index or resources.index, "local", None) is not None


def no_painting(resources: Resources, look, match: dict | None) -> bool:
    """True when nothing in the collection was recognised and the presence head sees no painting in the photo
    (`vision.Look.painting_probability` below `Settings.presence_threshold`, else the head's own)."""
    chance = getattr(look, "painting_probability", None)
    if match or chance is None:
        return False
    threshold = resources.settings.presence_threshold
    if threshold is None:
        threshold = resources.presence.threshold if resources.presence is not None else 0.0
    return chance < threshold


def catalogue_match(resources: Resources, vector: np.ndarray | None, photo=None, shown_scale: float = 1.0) \
        -> tuple[dict | None, list[dict]]:
    """(the collection painting the picture shows, the other collection paintings seen beside it).

    With the collection's local features (`photo`: `photo_features` of the picture) the paintings sharing most of
    its visual words (`match_shortlist`) and those nearest its global vector (`match_global`) are the
    candidates, and a painting is the match when a homography verifies it
    (retrieval/local); its outline is given in the pixels of the picture as shown (`shown_scale` = shown /
    original). Without them, the nearest painting is the match when its cosine passes the threshold measured
    for those vectors (`match_threshold`)."""
    loaded = resources.match_index or resources.index
    store = getattr(loaded, "local", None)
    if store is None or photo is None:
        hits = _nearest(loaded, vector, 1)
        threshold = match_threshold(loaded)
        match = {**hits[0], "threshold": threshold, "method": "cosine"} if hits and hits[0]["score"] >= threshold \
            else None
        return match, []
    from retrieval.local import recognise

    settings = resources.settings
    nearest = {hit["row"]: hit for hit in nearest_by_vector(resources, vector)}
    found = recognise(photo, store, candidate_rows(settings, store, photo, list(nearest)), settings.match_rule())
    for r in found:  # a painting shortlisted by its words alone: its cosine from its stored vector
        nearest.setdefault(r.row, hit_json(hit_at_row(loaded, vector, r.row)))
    seen = [{**nearest[r.row], "method": "verified", "cosine": nearest[r.row]["score"],
             **r.verification.to_json(), "outline": (r.verification.outline * shown_scale).round(1).tolist(),
             "points": _inlier_points(photo, store.features(r.row), r.verification, shown_scale),
             "photo_share": round(r.area, 3), "min_inliers": settings.match_min_inliers} for r in found]
    return (seen[0] if seen else None), seen[1:]


def nearest_by_vector(resources: Resources, vector: np.ndarray | None) -> list[dict]:
    """The collection paintings nearest the photo's global vector that `candidate_rows` may take, best first."""
    settings = resources.settings
    return _nearest(resources.match_index or resources.index, vector,
                    max(settings.match_global, settings.match_shortlist))


def candidate_rows(settings, store, photo, by_vector: list[int]) -> list[int]:
    """The collection rows a photo's local features are verified against: the `match_shortlist` paintings sharing
    most of its visual words, then the `match_global` first of `by_vector` (rows nearest its global vector, best
    first); a collection without words takes `match_shortlist` of those instead."""
    _, by_words = store.shortlist(photo, settings.match_shortlist)
    by_vector = by_vector[:settings.match_global if len(by_words) else settings.match_shortlist]
    return list(dict.fromkeys([*map(int, by_words), *map(int, by_vector)]))


def _inlier_points(photo, painting, verification, shown_scale: float, most: int = POINTS_SHOWN) -> list:
    """Up to `most` inlier pairs, spread over all of them, as [[x, y] in the picture as shown, [u, v] in the
    collection image as shares of its width and height]: what "why?" draws side by side."""
    pairs = verification.inlier_pairs
    if not len(pairs):
        return []
    chosen = pairs[np.unique(np.linspace(0, len(pairs) - 1, min(most, len(pairs))).astype(int))]
    seen = photo.xy[chosen[:, 0]] * shown_scale
    held = painting.xy[chosen[:, 1]] / np.asarray(painting.size, np.float32)
    return [[[round(float(x), 1), round(float(y), 1)], [round(float(u), 4), round(float(v), 4)]]
            for (x, y), (u, v) in zip(seen, held)]


def matched_points(image: Image.Image, match: dict | None, height: int = 480) -> Image.Image | None:
    """The visitor's photo (left) beside the collection's image of the recognised painting (right), a line
    joining each pair of points the homography explains; None without a verified match with points."""
    if not match or match.get("method") != "verified" or not match.get("points"):
        return None
    from PIL import ImageDraw

    try:
        held = load_image(match["image_path"])
    except (ImageError, OSError):
        log.warning("the collection image %s cannot be read for the matched points", match["image_path"])
        return None
    photo_scale, gap = height / image.height, 16
    left = image.convert("RGB").resize((max(1, round(image.width * photo_scale)), height))
    right = held.convert("RGB").resize((max(1, round(held.width * height / held.height)), height))
    canvas = Image.new("RGB", (left.width + gap + right.width, height), (255, 255, 255))
    canvas.paste(left, (0, 0))
    canvas.paste(right, (left.width + gap, 0))
    pen = ImageDraw.Draw(canvas)
    for number, ((x, y), (u, v)) in enumerate(match["points"]):
        start = (x * photo_scale, y * photo_scale)
        end = (left.width + gap + u * right.width, v * height)
        colour = POINT_COLOURS[number % len(POINT_COLOURS)]
        pen.line([start, end], fill=colour, width=2)
        for cx, cy in (start, end):
            pen.ellipse([cx - 4, cy - 4, cx + 4, cy + 4], outline=(0, 0, 0), fill=colour)
    return canvas


def match_threshold(loaded) -> float:
    """The cosine threshold measured for the vectors of index `loaded` (used without local features)."""
    from retrieval.encoders import WHOLE_ENCODERS

    whole = loaded is not None and loaded.manifest["encoder"]["name"] in WHOLE_ENCODERS
    return CATALOGUE_MATCH if whole else ENCODER_MATCH


def outlined(image: Image.Image, match: dict | None, others: tuple = ()) -> Image.Image | None:
    """The visitor's photo with the recognised painting's outline drawn on it (and, thinner, the other collection
    paintings seen beside it); None when nothing was verified."""
    if not match or match.get("method") != "verified" or not match.get("outline"):
        return None
    from PIL import ImageDraw

    drawn = image.convert("RGB").copy()
    pen = ImageDraw.Draw(drawn)
    width = max(3, round(max(drawn.size) / 150))
    for other in others:
        if other.get("outline"):
            pen.line([tuple(p) for p in [*other["outline"], other["outline"][0]]], fill=(255, 255, 255),
                     width=max(2, width // 2))
    corners = [tuple(p) for p in match["outline"]]
    pen.line([*corners, corners[0]], fill=(0, 0, 0), width=width + 2)  # a dark edge keeps it visible on any wall
    pen.line([*corners, corners[0]], fill=(255, 200, 0), width=width)
    return drawn


def look_alikes(resources: Resources, vector: np.ndarray | None, match: dict | None, k: int) -> list[dict]:
    """The k collection paintings nearest to the picture (`vision.Look.similar_vector`): by style when the
    style index is loaded; the painting it is (`match`) left out."""
    search = resources.style_search
    loaded = search.index if search is not None else resources.match_index or resources.index
    hits = _nearest(loaded, vector, k + 1)
    return [hit for hit in hits if not match or hit["id"] != match["id"]][:k]


def _nearest(loaded, vector: np.ndarray | None, k: int) -> list[dict]:
    if vector is None or loaded is None:
        return []
    return [hit_json(hit) for hit in similar_to_vector(loaded, vector, k)]


@dataclass(frozen=True)
class Why:
    text: str
    overlay: Image.Image | None
    examples: list[dict]
    explained: dict  # {"artist", "probability"}: the numbers the explanation itself computed


def explain(resources: Resources, painting: Image.Image, prediction: dict, method: str = "heatmap",
            progress=None) -> Why | None:
    """Why the classifier gave `prediction` for `painting` (`vision.Look.painting`, the view it judged, not the
    uncropped photo: another view gives other probabilities and an explanation of another answer).
    None when the explainer is unavailable or fails.

    method "heatmap" answers in a fraction of a second; "lime" takes a few seconds and reports
    `progress(fraction, description)` while it runs.
    """
    explainer = resources.explainer
    if explainer is None:
        return None
    from classifier.explain import explain_for_chat

    top = prediction.get("top") or []
    label = top[0]["artist"] if top else None  # the head whose answer was shown, known or not
    try:
        with resources.explain_slots:
            result = explain_for_chat(explainer, painting, label=label, method=method, progress=progress)
    except Exception as error:  # an explanation is a bonus: its failure must not end the conversation
        log.warning("explanation failed: %s", error)
        return None
    explained = {"artist": result.data.get("label"), "probability": result.data.get("probability")}
    if top and explained["probability"] is not None and abs(explained["probability"] - top[0]["probability"]) > 0.02:
        log.warning("the explanation's %s %.3f differs from the prediction shown (%.3f)", label,
                    explained["probability"], top[0]["probability"])
    return Why(result.text, result.overlay, [hit_json(hit) for hit in result.examples], explained)


def hit_json(hit: Hit) -> dict:
    return {**hit.to_json(), "row": hit.row}


def caption(hit: dict) -> str:
    """ "Irises — Vincent van Gogh, 1890 (similarity 0.83)"."""
    who = hit.get("artist") or "unknown artist"
    date = f", {hit['date']}" if hit.get("date") else ""
    score = f" (similarity {hit['score']:.2f})" if hit.get("score") is not None else ""
    return f"{hit.get('title') or 'Untitled'} — {who}{date}{score}"


def prediction_sentence(prediction: dict, language: str = DEFAULT_LANGUAGE, matched: bool = False) -> str:
    """What the classifier thinks, honestly: a name only when it says the painter is one it knows. `matched`:
    the collection's record already names the painting, so an unknown style is said as what it is (the style
    alone would not have named the painter, without the style's percentages that would say otherwise), not as
    "I don't recognise the painter" under the record's name."""
    top = prediction.get("top") or []
    genres = prediction.get("genres") or []
    style = (phrase("pred_style", language, genre=movement_name(genres[0]["genre"], language),
                    percent=percent(genres[0]["probability"]))
             if genres else "")
    others = ", ".join(f"{t['artist']} {percent(t['probability'])}" for t in top[1:3])
    if prediction.get("known") and prediction.get("artist"):
        runner_up = phrase("pred_next", language, others=others) if others else ""
        confidence = prediction["confidence"]
        # Calibrated probabilities, so the wording can follow them honestly; "fairly sure" also needs the nearest
        # style prototype to be that painter's (classifier/evidence.py), not the top probability alone.
        sure = confidence >= SURE and prediction.get("style_agrees") is not False
        key = "pred_sure" if sure else "pred_likely" if confidence >= NAMED else "pred_guess"
        return phrase(key, language, artist=prediction["artist"], percent=percent(confidence)) + runner_up + style
    if matched:  # no percentages beside "I would not have named the painter": the record names the painting
        return phrase("pred_unknown_matched", language) + style
    closest = ", ".join(f"{t['artist']} ({percent(t['probability'])})" for t in top[:3])
    return phrase("pred_unknown", language) + style + (phrase("pred_closest", language, closest=closest) if closest
                                                        else "")


def why_sentence(prediction: dict | None, match: dict | None, hits: list[dict]) -> str:
    """A fallback explanation built only from numbers the engine already has."""
    parts = []
    if match and match.get("method") == "verified":
        parts.append(f"The photo shows *{match['title']}* by {match['artist'] or 'an unidentified artist'} from the "
                     f"collection: {match['inliers']} points of the photo line up with the museum's image of it "
                     f"under one perspective ({match['inlier_share']:.0%} of the candidate pairs; a painting needs "
                     f"{match['min_inliers']}), so I read the answer from the museum's record.")
    elif match:
        parts.append(f"The picture matches *{match['title']}* by {match['artist'] or 'an unidentified artist'} "
                     f"in the collection (similarity {match['score']:.2f}; other paintings stay below "
                     f"{match.get('threshold', CATALOGUE_MATCH)}), so I read the answer from the museum's record.")
    if prediction:
        top = ", ".join(f"{t['artist']} {percent(t['probability'])}" for t in prediction.get("top", [])[:3])
        verdict = ("that is confident enough to name" if prediction.get("known")
                   else "that is too far from every painter I know to name anyone")
        parts.append(f"My style classifier compares brushwork, colour and texture with the painters it learnt: "
                     f"{top}; {verdict}.")
    close = [h for h in hits if not match or h.get("id") != match.get("id")][:3]
    if close:
        parts.append("The paintings in the collection that look most alike: "
                     + "; ".join(caption(h) for h in close) + ".")
    return " ".join(parts) or "I have no image analysis to explain yet: show me a painting first."
