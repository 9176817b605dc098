"""`museum bench match`: how often a visitor's photo is recognised as the right collection painting, named as a
wrong one, or left unmatched, with the app's own code (Resources, `paintings.photo_features` and
`catalogue_match`, and whole image turns through `engine.respond`), on photo sets made by classifier/scenes.py:

- mild: straight on, frame and wall, glare; hard: a steep angle, 60-90% of the painting in view, a dim room,
  a visitor's head in front, hand shake, a label card and part of a painting the museum does not own (several
  views of each painting, `hard_views`: one view of 87 validation paintings let a single photo move the figure
  by 0.011);
- two: two collection paintings on one wall (the larger or central one is the answer, the other is named);
- not in the collection: Kaggle paintings (`--best-artworks`) photographed mild and hard: no record may be named;
- no painting: everyday photos (a cat, a person, coins, a page of text, ...): no painter may be named.

Beside the record figures: how often each set is judged to show no painting at all (classifier/presence.py's
head), which must be all of "no painting" and none of the paintings the collection does not hold.

The collection's paintings are split in two by a seeded shuffle: the inlier threshold is chosen on the validation
half (the smallest that names no wrong record there, on every set) and the test half is reported at the shipped
threshold (`match_min_inliers`). Each photo is sent as a phone JPEG, some with an EXIF orientation.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import numpy as np

from app.serving.resources import Resources

THRESHOLDS = (8, 10, 12, 15, 20, 25, 30)
SPLITS = ("validation", "test")
HARD_VIEWS = 3  # hard photos of each painting: one view of 87 validation paintings let one photo move a figure by 0.011


@dataclass
class Case:
    kind: str
    split: str
    photo: bytes  # the JPEG a visitor's phone sends
    truth: tuple[int, ...]  # collection rows in view, the one meant first; () when none is
    candidates: list = None  # (row, inliers) of every verified candidate, filled by `measure`
    seconds: dict = None
    source: str = ""  # the image file photographed, for a person checking a wrong record by eye
    painting_probability: float | None = None  # the presence head's P(a painting is in view), filled by `measure`


def _jpeg(scene_photo, orientation: int | None) -> bytes:
    """As a phone sends it: the camera named in its EXIF; `orientation`, stored turned (quality 92, else 88)."""
    from classifier.scenes import phone_jpeg

    return phone_jpeg(scene_photo, orientation or 1, quality=92 if orientation else 88)


def make_cases(resources: Resources, others: list, seed: int = 0, limit: int | None = None,
               hard_views: int = HARD_VIEWS, photographed: int | None = None) -> list[Case]:
    """The photo sets above for the collection of `resources` and `others` (images not in it); `photographed`:
    only its first rows are photographed (app/bench/match_scale.py: the rest are distractors)."""
    from classifier import scenes
    from data.images import load_image

    records = resources.match_index.records
    order = list(range(photographed or len(records)))
    random.Random(seed).shuffle(order)
    order = order[:limit] if limit else order
    half = len(order) // 2
    split_of = {row: SPLITS[0] if n < half else SPLITS[1] for n, row in enumerate(order)}
    images = {row: load_image(records[row].image_path) for row in order}
    rng = random.Random(seed + 1)
    cases = []
    for n, row in enumerate(order):
        orientation = (None, 3, 6, 8)[n % 4] if n % 3 == 0 else None
        cases.append(Case("mild", split_of[row], _jpeg(scenes.mild_scene(images[row], n).photo, orientation), (row,)))
        for view in range(hard_views):  # view 0 is the one photo of each painting the bench took before views
            neighbour = load_image(others[(n + view) % len(others)]) if others else None
            photo = scenes.hard_scene(images[row], n + 10_000 * view, neighbour=neighbour).photo
            cases.append(Case("hard", split_of[row], _jpeg(photo, orientation), (row,)))
    for split in SPLITS:
        rows = [row for row in order if split_of[row] == split]
        for n in range(0, len(rows) - 1, 2):
            first, second = rows[n], rows[n + 1]
            cases.append(Case("two", split, _jpeg(scenes.two_scene(images[first], images[second], n).photo, None),
                              (first, second)))
    for n, path in enumerate(others):
        split = SPLITS[n % 2]
        image = load_image(path)
        maker = scenes.mild_scene if n % 2 else scenes.hard_scene
        cases.append(Case("not in the collection", split, _jpeg(maker(image, 5_000 + n).photo, None), (),
                          source=str(path)))
    for n, (_, photo) in enumerate(scenes.no_painting_photos()):
        cases.append(Case("no painting", SPLITS[n % 2], _jpeg(photo, None), ()))
    rng.shuffle(cases)  # a visitor's order, not the sets'
    return cases


def measure(resources: Resources, case: Case) -> None:
    """Every candidate's verification for the photo, with the app's shortlist and the time of each stage."""
    from app.conversation import paintings
    from app.serving import vision
    from data.images import load_image
    from retrieval.local import verify_candidates

    settings = resources.settings
    image = load_image(case.photo)
    started = time.perf_counter()
    photo = paintings.photo_features(resources, image)
    extracted = time.perf_counter()
    look = vision.look(resources, paintings.kept(image))
    looked = time.perf_counter()
    store = resources.match_index.local
    nearest = paintings.nearest_by_vector(resources, look.match_vector)
    candidates = paintings.candidate_rows(settings, store, photo, [hit["row"] for hit in nearest])
    shortlisted = time.perf_counter()
    verified = verify_candidates(photo, store, candidates, settings.match_rule())
    done = time.perf_counter()
    case.candidates = [(row, v) for row, v in verified]
    case.seconds = {"keypoints": extracted - started, "forward": looked - extracted,
                    "shortlist": shortlisted - looked, "verification": done - shortlisted,
                    "shortlisted": any(t in candidates for t in case.truth[:1])}
    case.size = image.size
    case.painting_probability = look.painting_probability


def outcome(case: Case, min_inliers: int) -> str:
    """"right", "wrong" or "none" for the photo at this threshold."""
    from retrieval.local.recognise import MatchRule, decide

    found = decide(case.candidates, case.size, MatchRule(min_inliers=min_inliers))
    if not found:
        return "none"
    if any(r.row not in case.truth for r in found):
        return "wrong"
    return "right" if case.truth and found[0].row == case.truth[0] else "other"


def sweep(cases: list[Case], split: str) -> list[dict]:
    """Per threshold and set: photos, right, wrong, none."""
    rows = []
    for threshold in THRESHOLDS:
        for kind in sorted({c.kind for c in cases}):
            chosen = [c for c in cases if c.kind == kind and c.split == split]
            outcomes = [outcome(c, threshold) for c in chosen]
            rows.append({"split": split, "min_inliers": threshold, "set": kind, "photos": len(chosen),
                         "right": outcomes.count("right") / max(1, len(chosen)) if chosen[0].truth else
                         outcomes.count("none") / max(1, len(chosen)),
                         "wrong": outcomes.count("wrong"), "other": outcomes.count("other")} if chosen else None)
    return [row for row in rows if row]


def choose_threshold(rows: list[dict]) -> int:
    """The smallest threshold that names no wrong record on any validation set."""
    clean = [t for t in THRESHOLDS if all(r["wrong"] == 0 for r in rows if r["min_inliers"] == t)]
    return clean[0] if clean else THRESHOLDS[-1]


def turn_times(resources: Resources, cases: list[Case], count: int) -> dict:
    """Whole image turns through the engine (match, style guess, similar gallery), one visitor at a time."""
    from app.conversation.engine import respond
    from app.conversation.turns import Message, SessionState

    seconds = []
    for case in cases[:count]:
        started = time.perf_counter()
        respond(resources, SessionState(), Message(image=case.photo))
        seconds.append(time.perf_counter() - started)
    return {"turns": len(seconds), "p50": float(np.percentile(seconds, 50)), "p95": float(np.percentile(seconds, 95))}


def stage_times(cases: list[Case]) -> dict:
    out = {}
    for stage in ("keypoints", "forward", "shortlist", "verification"):
        values = [c.seconds[stage] for c in cases]
        out[stage] = {"p50": float(np.percentile(values, 50)), "p95": float(np.percentile(values, 95))}
    with_painting = [c for c in cases if c.truth]
    out["shortlist_recall"] = float(np.mean([c.seconds["shortlisted"] for c in with_painting]))
    out["candidates_p50"] = float(np.median([len(c.candidates) for c in cases]))
    return out


def run(resources: Resources, others: list, seed: int = 0, limit: int | None = None, turns: int = 60,
        progress=None, hard_views: int = HARD_VIEWS) -> dict:
    """Every figure of `museum bench match` as one dict."""
    cases = make_cases(resources, others, seed, limit, hard_views)
    for case in cases:
        measure(resources, case)
        if progress:
            progress(1)
    validation = sweep(cases, "validation")
    chosen = choose_threshold(validation)
    shipped = resources.settings.match_min_inliers
    test = [row for row in sweep(cases, "test") if row["min_inliers"] == shipped]
    painters = _painters_named(resources, [c for c in cases if c.kind == "no painting"])
    records = resources.match_index.records
    named_wrongly = [{"photo of": case.source, "named": records[row].title, "inliers": v.inliers}
                     for case in cases if case.kind == "not in the collection" and outcome(case, shipped) == "wrong"
                     for row, v in case.candidates if v.inliers >= shipped]
    return {"photos": len(cases), "validation": validation, "chosen_min_inliers": chosen,
            "shipped_min_inliers": shipped, "test": test, "stages": stage_times(cases),
            "turns": turn_times(resources, cases, turns), "no_painting_named": painters,
            "not_held_but_named": named_wrongly, "seen_as_no_painting": _seen_as_no_painting(resources, cases)}


def _seen_as_no_painting(resources: Resources, cases: list[Case]) -> dict:
    """{set: share of its photos the presence head sees no painting in}; {} without the head."""
    from app.conversation.paintings import no_painting

    if resources.presence is None:
        return {}
    shares = {}
    for kind in sorted({c.kind for c in cases}):
        chosen = [c for c in cases if c.kind == kind]
        shares[kind] = float(np.mean([no_painting(resources, c, None) for c in chosen]))
    return shares


def _painters_named(resources: Resources, cases: list[Case]) -> dict:
    """How many photos with no painting in them the engine answers with a painter's name."""
    from app.conversation.engine import respond
    from app.conversation.turns import Message, SessionState

    named = []
    for case in cases:
        _, reply = respond(resources, SessionState(), Message(image=case.photo))
        prediction = reply.data.get("prediction") or {}
        named.append(bool(reply.data.get("match") or prediction.get("known")))
    return {"photos": len(cases), "named": int(sum(named))}
