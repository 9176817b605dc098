"""Why does the classifier say so? One entry point for the chat and the CLI.

    explain_for_chat(resources, image, label=None, method="heatmap", progress=None) -> Explanation

- `resources`: an `ExplainResources` (build once, keep resident): the classifier adapter
  (`ExplainModel.from_classifier(classifier)` or `ExplainModel.load(heads_dir, encoder)`),
  optionally the retrieval `Encoder` and `LoadedIndex` for example paintings, a LIME cache.
- `image`: the visitor's picture (RGB PIL).
- `label`: an artist to explain: a classifier label, case and accents ignored, or a
  part naming one artist only ("van gogh", "durer"); None explains the top prediction.
- `method`: "heatmap" (Grad-CAM, ~0.03-0.3 s, answer this first), "lime" (superpixels,
  a few seconds, cached), or "examples" (no map, just similar paintings).
- `progress`: callable(fraction in [0, 1], description), e.g. a gr.Progress.

Returns `Explanation(text, overlay, examples, data)`: a one-paragraph answer built
only from computed facts, the overlay image (PIL, the painting's aspect ratio),
`retrieval.query.Hit`s by the explained artist, and a JSON-ready dict of the numbers.
Raises `ExplainError` (a message for the visitor) for an unknown label.
Each resources object serialises its own explanations (one backbone hook buffer), so
run one per worker if explanations must run in parallel; predictions are not blocked.
"""

from __future__ import annotations

import difflib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from PIL import Image

from classifier.explain.cam import heatmap
from classifier.explain.examples import examples_by_artist
from classifier.explain.lime_regions import LimeCache, LimeSettings, cached_lime
from classifier.explain.model import ExplainModel
from classifier.explain.overlay import heatmap_overlay, regions_overlay
from classifier.explain.text import Facts, describe
from data.text import fold
from retrieval.encoders import Encoder, normalize
from retrieval.query import Hit
from retrieval.store import LoadedIndex

log = logging.getLogger(__name__)

METHODS = ("heatmap", "lime", "examples")
Progress = Callable[[float, str], None]


class ExplainError(ValueError):
    """A request that cannot be explained; the message says why, for a person."""


@dataclass
class ExplainResources:
    model: ExplainModel
    encoder: Encoder | None = None  # the index's encoder, for example paintings
    index: LoadedIndex | None = None
    lime_settings: LimeSettings = LimeSettings()
    cache: LimeCache = field(default_factory=LimeCache)
    examples: int = 3


@dataclass
class Explanation:
    text: str
    overlay: Image.Image
    examples: list[Hit]
    data: dict


def resolve_label(label: str, artists: list[str]) -> str:
    """The artist named by `label` (case and accents ignored), or ExplainError with close names."""
    folded, wanted = {fold(a): a for a in artists}, fold(label.strip())
    if wanted in folded:
        return folded[wanted]
    containing = [key for key in folded if wanted and wanted in key]
    if len(containing) == 1:  # "van gogh", "durer"
        return folded[containing[0]]
    close = difflib.get_close_matches(wanted, list(folded), n=3, cutoff=0.5)
    close += [key for key in containing if key not in close]
    hint = f" Did you mean {', '.join(folded[c] for c in close[:3])}?" if close else ""
    raise ExplainError(f"I don't know an artist called {label!r}.{hint}")


def explain_for_chat(resources: ExplainResources, image: Image.Image, label: str | None = None,
                     method: str = "heatmap", progress: Progress | None = None) -> Explanation:
    if method not in METHODS:
        raise ExplainError(f"unknown explanation method {method!r}; choose one of {', '.join(METHODS)}")
    report = progress or (lambda _fraction, _desc: None)
    model, timings = resources.model, {}
    asked = resolve_label(label, model.artists) if label else None
    started = time.perf_counter()
    report(0.0, "looking at the painting")
    array = model.prepare(image)
    batch = model.to_batch(array[None])
    with torch.inference_mode():
        forward = model.head.run(batch)
    outputs = model.bundle(forward.styles.numpy())
    probabilities = outputs.probabilities[0]
    artist = asked or model.artists[int(probabilities.argmax())]
    index = model.label_index(artist)
    order = np.argsort(-probabilities)[:5]
    top = [(model.artists[i], float(probabilities[i])) for i in order]
    genre = int(outputs.genre_probabilities[0].argmax())
    timings["predict"] = time.perf_counter() - started

    data: dict = {"method": method, "label": artist, "probability": float(probabilities[index]),
                  "known": bool(outputs.known[0]), "top": [{"artist": a, "probability": p} for a, p in top],
                  "movement": {"genre": model.genres[genre],
                               "probability": float(outputs.genre_probabilities[0, genre])}}
    overlay = image.convert("RGB")
    if method == "heatmap":
        report(0.3, "computing the heatmap")
        tick = time.perf_counter()
        cam = heatmap(model.head, batch, index)
        timings["heatmap"] = time.perf_counter() - tick
        overlay = heatmap_overlay(image, cam)
        data["heatmap"] = {"size": list(cam.shape), "hot_fraction": float((cam > 0.5).mean())}
    elif method == "lime":
        tick = time.perf_counter()
        result = cached_lime(model.artist_probabilities, array, index, model.fingerprint, resources.cache,
                             resources.lime_settings, lambda f, d: report(0.05 + 0.85 * f, d))
        timings["lime"] = time.perf_counter() - tick
        overlay = regions_overlay(image, result.segments, result.weights, top=3, negative=True)
        ranked = result.ranked()
        data["lime"] = {"settings": resources.lime_settings.key(), "regions": int(len(result.weights)),
                        "fit_r2": result.score, "top_regions": [int(r) for r in ranked[:5]],
                        "top_weights": [float(result.weights[r]) for r in ranked[:5]]}

    report(0.92, "finding similar paintings")
    examples = []
    if resources.index is not None:
        vector = resources.encoder.encode_images([image]) if resources.encoder else normalize(forward.pooled.numpy())
        examples = examples_by_artist(resources.index, vector, artist, resources.examples)
    data["examples"] = [hit.to_json() for hit in examples]
    facts = Facts(artist=artist, probability=float(probabilities[index]), top=top, known=bool(outputs.known[0]),
                  asked=artist != top[0][0], movement=(model.genres[genre], data["movement"]["probability"]),
                  examples=[(hit.record.title, hit.score) for hit in examples], method=method)
    timings["total"] = time.perf_counter() - started
    data["seconds"] = {k: round(v, 3) for k, v in timings.items()}
    report(1.0, "done")
    return Explanation(describe(facts), overlay, examples, data)


def load_resources(heads_dir: Path, encoder_name: str, index_dir: Path | None = None,
                   cache_dir: Path | None = None) -> ExplainResources:
    """Resources from folders (the CLI's path); the index is optional (no examples without it)."""
    from retrieval.encoders import load_encoder
    from retrieval.store import IndexStoreError, load_store

    model = ExplainModel.load(heads_dir, encoder_name)
    loaded = encoder = None
    if index_dir is not None:
        try:
            loaded = load_store(index_dir, encoder_name)
            encoder = load_encoder(encoder_name)
        except IndexStoreError as error:
            log.warning("no example paintings: %s", error)
    return ExplainResources(model, encoder, loaded, cache=LimeCache(directory=cache_dir))
