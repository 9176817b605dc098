"""One look at each new painting: ONE backbone forward, batched with the paintings other visitors show.

A painting needs: the painting found in the photo (wall and frame cropped off, once), the classifier's
answer (artist, known/unknown, movement), the collection match (is it one of the collection's paintings?)
and the similar paintings. All of them read the classifier's one forward (retrieval/style_features.py:
style features and a pooled vector of the found painting, whole, at 256 px):

- the match: the pooled vector shortlists the collection's index of the same vectors (`Resources.match_index`,
  index/<corpus>-<encoder>-whole), whose stored keypoints then verify the photo (retrieval/local);
- similar paintings: the style features through the style projection, against the corpus's style index
  (`Resources.style_search`, index/<corpus>-style-lite0, what `museum similar` ranks by);
- is there a painting at all? The pooled vector through the presence head (`Resources.presence`,
  classifier/presence.py): a cat or a page of text is not named as a painter.

Without those indexes (a museum's own collection before it has them, or a CLIP encoder, whose zero-shot
answer already carries the index encoder's vector) the index encoder runs a second forward on the found
painting. `look_batch` does all this for a batch of paintings; `batcher(resources)` feeds it the
paintings that arrive within a short window, so twenty visitors cost one forward of twenty images.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from PIL import Image

from app.serving.heap import trim
from app.serving.microbatch import MicroBatcher
from app.serving.resources import Resources
from classifier.photo import find_painting
from data.images import taken_by_camera

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Look:
    """What one forward says about a painting."""

    painting: Image.Image  # the painting found in the picture: the view judged (and explained on "why?")
    prediction: dict | None  # the classifier's answer, or None without a classifier
    match_vector: np.ndarray | None  # [1, D] for `Resources.match_index` (or the encoder's index)
    similar_vector: np.ndarray | None  # [1, d] for `Resources.style_search` (or the same as match_vector)
    # P(a painting is in view) from classifier/presence.py's head on the same embedding; None without the head.
    painting_probability: float | None = None


def look(resources: Resources, image: Image.Image) -> Look:
    """The painting's Look, from a forward batched with other visitors' paintings."""
    shared = batcher(resources)
    if shared is None:
        return look_batch(resources, [image])[0]
    return shared([image])[0]


def batcher(resources: Resources) -> MicroBatcher | None:
    """`look_batch` behind the process's micro-batcher (kept in `resources`): paintings shown by several
    visitors at the same moment share one classifier forward and one encoder forward. One worker thread runs
    all of them, so the style extractor's hooks never see two forwards at once."""
    def build() -> MicroBatcher:
        def run(images):
            try:
                return look_batch(resources, images)
            finally:
                trim()  # a batch's images and activations are freed now: hand their pages back

        return MicroBatcher(run, window=resources.settings.batch_window, max_batch=resources.settings.batch_size,
                            name="paintings")

    return resources.part("painting_batcher", build)


def warm(resources: Resources) -> None:
    """Start the micro-batcher and look at one blank picture: the first visitor must not pay the backbone's
    first-call set-up."""
    if batcher(resources) is not None:
        look(resources, Image.new("RGB", (256, 256), (128, 128, 128)))


def look_batch(resources: Resources, images: list[Image.Image]) -> list[Look]:
    """`look` for many images at once: the painting finder once per image, one forward for all of them."""
    paintings = [find_painting(image) for image in images]
    predictions, embeddings, styles = _forward(resources, paintings, [taken_by_camera(image) for image in images])
    matches = embeddings if resources.match_index is not None else _encoded(resources, paintings)
    search = resources.style_search
    similars = search.vectors(styles) if search is not None and styles is not None else matches
    presence = resources.presence if embeddings is not None else None
    chances = presence.probability(embeddings) if presence is not None else [None] * len(paintings)
    return [Look(painting, prediction, _row(matches, number), _row(similars, number),
                 None if chance is None else float(chance))
            for number, (painting, prediction, chance) in enumerate(zip(paintings, predictions, chances))]


def _row(vectors: np.ndarray | None, number: int) -> np.ndarray | None:
    return None if vectors is None else vectors[number][None]


def _forward(resources: Resources, paintings: list[Image.Image], photographed: list[bool]) \
        -> tuple[list[dict | None], np.ndarray | None, np.ndarray | None]:
    """(answers, pooled embeddings [N, D], style features [N, F]) of the classifier's forward; style features
    only from the trained heads (the CLIP zero-shot fallback has none); None for what there is not.
    `photographed[i]`: picture i was taken by a camera (answered with the heads' photo calibration)."""
    classifier = resources.classifier
    if classifier is None:
        return [None] * len(paintings), None, None
    try:
        if hasattr(classifier, "predict_paintings"):
            predictions, styles = classifier.predict_paintings(paintings, photographed)
        else:
            predictions, styles = classifier.predict_images(paintings), None
    except (RuntimeError, ValueError) as error:  # e.g. an image too small for the backbone: answer without it
        if len(paintings) > 1:
            raise  # the micro-batcher then answers the batch's paintings one by one: only this one goes without
        log.warning("classifier failed on a %dx%d image: %s", paintings[0].width, paintings[0].height, error)
        return [None], None, None
    embeddings = np.stack([prediction.embedding for prediction in predictions]).astype(np.float32)
    return [_answer(prediction) for prediction in predictions], embeddings, styles


def _answer(prediction) -> dict:
    answer = prediction.to_json("")
    answer.pop("image", None)
    return answer


def _encoded(resources: Resources, paintings: list[Image.Image]) -> np.ndarray | None:
    """The index encoder's vectors of the paintings: the second forward, only when no index of the
    classifier's own vectors is at hand."""
    encoder = resources.encoder
    return None if encoder is None else encoder.encode_images(paintings)
