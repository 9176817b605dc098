"""One look at each new painting, batched with the paintings other visitors show at the same moment.

A painting needs the classifier's forward (artist, known/unknown, movement) and the index encoder's
(collection match and similar paintings: the image as given and the painting found in it, whichever
matches the collection better, as app/paintings.py's `embed`). `look_batch` runs both for all paintings
of a batch in two batched forwards; `Resources.painting_batcher` feeds it the paintings that arrive
within a short window, so twenty visitors cost two forwards of twenty images, not forty of one.

Why not one forward for both: the classifier's pooled vector (256 px, whole image) is not the vector the
index was built with (224 px, centre crop). Querying the Met index with it found the collection painting
(score >= 0.8) for 83% of clean reproductions and 31% of simulated gallery photos, against 100% and 62%
with the encoder's own vector (29 Met paintings, /tmp experiment described in docs/ui.md "Load").
"""

from __future__ import annotations

import logging

import numpy as np
from PIL import Image

from app.resources import Resources
from classifier.photo import find_painting

log = logging.getLogger(__name__)

Look = tuple[np.ndarray | None, dict | None]  # (index query [1, D] or None, the classifier's answer or None)


def look(resources: Resources, image: Image.Image) -> Look:
    """The painting's index query vector and the classifier's answer, from a batched forward."""
    batcher = resources.painting_batcher
    if batcher is None:
        return look_batch(resources, [image])[0]
    return batcher([image])[0]


def look_batch(resources: Resources, images: list[Image.Image]) -> list[Look]:
    """`look` for many images at once: one classifier forward and one encoder forward for all of them."""
    return list(zip(_vectors(resources, images), _predictions(resources, images)))


def _predictions(resources: Resources, images: list[Image.Image]) -> list[dict | None]:
    classifier = resources.classifier
    if classifier is None:
        return [None] * len(images)
    try:
        predictions = classifier.predict_images(images)
    except (RuntimeError, ValueError) as error:  # e.g. an image too small for the backbone: answer without it
        if len(images) > 1:
            return [answer for image in images for answer in _predictions(resources, [image])]
        log.warning("classifier failed on a %dx%d image: %s", images[0].width, images[0].height, error)
        return [None]
    answers = []
    for prediction in predictions:
        answer = prediction.to_json("")
        answer.pop("image", None)
        answers.append(answer)
    return answers


def _vectors(resources: Resources, images: list[Image.Image]) -> list[np.ndarray | None]:
    """Per image: the encoder vector of the image or of the painting found in it, whichever has the closer
    collection neighbour (a visitor's photo of a collection painting is found 98% of the time this way
    against 38% uncropped; the uncropped view keeps the few clean images the finder over-crops)."""
    encoder, index = resources.encoder, resources.index
    if encoder is None:
        return [None] * len(images)
    founds = [find_painting(image) for image in images]
    views, owner = [], []
    for number, (image, found) in enumerate(zip(images, founds)):
        candidates = [found] if found is image or index is None else [image, found]
        views += candidates
        owner += [number] * len(candidates)
    vectors = encoder.encode_images(views)
    if index is None:
        return [vectors[i][None] for i in range(len(images))]
    from retrieval.vector_index import search  # FAISS only once a painting is shown, not for a text question

    scores, _ = search(index.index, vectors, 1)
    closest = scores[:, 0] if scores.shape[1] else np.zeros(len(views), np.float32)  # an empty index
    best: dict[int, int] = {}
    for row, number in enumerate(owner):
        if number not in best or closest[row] > closest[best[number]]:
            best[number] = row
    return [vectors[best[number]][None] for number in range(len(images))]
