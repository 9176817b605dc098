"""What the engine can say about an image: the catalogue painting it is (if any), the
classifier's guess, similar paintings, and why. The classifier's forward (with the index
encoder's) runs batched in app/vision.py; the only code coupled to the explanation modules is
`explain` below."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import numpy as np
from PIL import Image

from app.resources import Resources
from classifier.explain.text import percent
from data.images import MAX_PIXELS, ImageError, load_image
from retrieval.query import Hit, similar_to_vector

log = logging.getLogger(__name__)

# Measured with EfficientNet-Lite0 on the Met index: 300 queries of paintings NOT in it (Kaggle images and
# simulated gallery photos of them, painting found) reached at most cosine 0.789; simulated gallery photos of
# collection paintings reach >= 0.8 for 60% of them once the painting is cropped out of the photo. So 0.8 says
# "this is the collection's painting" for most photos and has not yet said it for another painting.
CATALOGUE_MATCH = 0.8


@dataclass(frozen=True)
class SeenImage:
    image: Image.Image
    key: str  # content hash: the same upload twice is the same painting in focus


def open_image(source) -> SeenImage:
    """A path, bytes or PIL image as RGB with its content hash; ImageError for anything unusable."""
    if isinstance(source, Image.Image):
        if source.width * source.height > MAX_PIXELS:
            raise ImageError(f"the image is too large ({source.width}x{source.height} pixels)")
        image = source.convert("RGB")
        return SeenImage(image, hashlib.sha256(image.tobytes()).hexdigest())
    raw = source if isinstance(source, bytes) else None
    image = load_image(source)  # checks size, emptiness and format before we read the file ourselves
    if raw is None:
        with open(source, "rb") as handle:
            raw = handle.read()
    return SeenImage(image, hashlib.sha256(raw).hexdigest())


def friendly(error: ImageError) -> str:
    """The reason without the file name: visitors need no paths."""
    return str(error).split(": ", 1)[-1]


def neighbours(resources: Resources, vector: np.ndarray | None, k: int) -> list[Hit]:
    loaded = resources.index
    if vector is None or loaded is None:
        return []
    return similar_to_vector(loaded, vector, k)


def explain(resources: Resources, image: Image.Image, prediction: dict, method: str = "heatmap",
            progress=None) -> tuple[str, Image.Image | None, list[dict]] | None:
    """(text, overlay, example paintings) from classifier.explain, or None when it is unavailable or fails.

    method "heatmap" answers in a fraction of a second; "lime" takes a few seconds and reports
    `progress(fraction, description)` while it runs.
    """
    explainer = resources.explainer
    if explainer is None:
        return None
    from classifier.explain import explain_for_chat

    label = prediction.get("artist") if prediction.get("known") else None
    try:
        result = explain_for_chat(explainer, image, label=label, method=method, progress=progress)
    except Exception as error:  # an explanation is a bonus: its failure must not end the conversation
        log.warning("explanation failed: %s", error)
        return None
    return result.text, result.overlay, [hit_json(hit) for hit in result.examples]


def hit_json(hit: Hit) -> dict:
    return {**hit.to_json(), "row": hit.row}


def caption(hit: dict) -> str:
    """ "Irises — Vincent van Gogh, 1890 (similarity 0.83)"."""
    who = hit.get("artist") or "unknown artist"
    date = f", {hit['date']}" if hit.get("date") else ""
    score = f" (similarity {hit['score']:.2f})" if hit.get("score") is not None else ""
    return f"{hit.get('title') or 'Untitled'} — {who}{date}{score}"


def prediction_sentence(prediction: dict) -> str:
    """What the classifier thinks, honestly: a name only when it says the painter is one it knows."""
    top = prediction.get("top") or []
    genres = prediction.get("genres") or []
    style = f" The style reads as {genres[0]['genre']} ({percent(genres[0]['probability'])})." if genres else ""
    others = ", ".join(f"{t['artist']} {percent(t['probability'])}" for t in top[1:3])
    if prediction.get("known") and prediction.get("artist"):
        runner_up = f" Next best: {others}." if others else ""
        confidence = prediction["confidence"]
        # Calibrated probabilities, so the wording can follow them honestly.
        if confidence >= 0.8:
            lead = f"By its style I'm fairly sure this is by **{prediction['artist']}** ({percent(confidence)})."
        elif confidence >= 0.5:
            lead = f"By its style I'd say **{prediction['artist']}** (confidence {percent(confidence)})."
        else:
            lead = f"My best guess by style is **{prediction['artist']}**, but I'm not sure ({percent(confidence)})."
        return f"{lead}{runner_up}{style}"
    closest = ", ".join(f"{t['artist']} ({percent(t['probability'])})" for t in top[:3])
    return ("I don't recognise the painter: the style is not close enough to any of the painters I have learnt, "
            f"so I won't guess a name.{style}" + (f" The closest painters I know are {closest}." if closest else ""))


def why_sentence(prediction: dict | None, match: dict | None, hits: list[dict]) -> str:
    """A fallback explanation built only from numbers the engine already has."""
    parts = []
    if match:
        parts.append(f"The picture matches *{match['title']}* by {match['artist'] or 'an unidentified artist'} "
                     f"in the collection (similarity {match['score']:.2f}; other paintings stay below 0.8), so I read "
                     "the answer from the museum's record.")
    if prediction:
        top = ", ".join(f"{t['artist']} {percent(t['probability'])}" for t in prediction.get("top", [])[:3])
        verdict = ("that is confident enough to name" if prediction.get("known")
                   else "that is too far from every painter I know to name anyone")
        parts.append(f"My style classifier compares brushwork, colour and texture with the painters it learnt: "
                     f"{top}; {verdict}.")
    close = [h for h in hits if not match or h.get("row") != match.get("row")][:3]
    if close:
        parts.append("The paintings in the collection that look most alike: "
                     + "; ".join(caption(h) for h in close) + ".")
    return " ".join(parts) or "I have no image analysis to explain yet: show me a painting first."
