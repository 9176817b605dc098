"""The style guess's wording tiers ("fairly sure", "probably", "a guess", "I don't recognise the painter") measured
on validation painters, clean and as visitors' photos (classifier/scenes.py, a generator the heads never trained
on), and on another museum's photographs (the Met's, as they are): how often each tier is said and how often the
name said in it is right. Then the same with independent evidence asked of "fairly sure": the painter's nearest
style prototype (classifier/evidence.py) agreeing with the head.

    python docs/experiments/tiers.py extract      # features of every set (cached in MUSEUM_EXPERIMENT_CACHE)
    python docs/experiments/tiers.py val          # the tiers and the evidence rule on validation (chooses)
    python docs/experiments/tiers.py test         # the chosen rule on the test painters, once
    python docs/experiments/tiers.py photo        # fit the photo calibration on validation photos (writes it)

`val` and `test` answer the photo sets with the shipped photo calibration (classifier/photo_calibration.py), as the
app answers a picture whose EXIF names a camera, and the clean sets without it.
"""
import sys
sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from load import *  # noqa: F401,F403  (BA, OP, CACHE, labelled_corpus, split helpers, numpy as np)
from classifier.features import cached_extract, small_jpeg_view
from classifier.photo import find_painting, found_view, photo_found_view, visitor_photo_found_view
from classifier import scenes
from classifier.train import met_paintings, other_painters as op

SCENE_SEED = 70_000  # far from the training views' seeds


def scene_found_view(image, position):
    """What the app judges of a visitor's photo: odd positions straight on, even ones at an angle, partly in
    view, dim, a visitor in front (classifier/scenes.py), then the painting finder, as app/serving/vision.py."""
    maker = scenes.mild_scene if position % 2 else scenes.hard_scene
    return find_painting(maker(image, SCENE_SEED + position).photo)


def sets():
    """{name: (paths, truth or None for painters outside the 50)} for the validation and test parts, and "train":
    (the training part's clean style features, labels), which the prototypes are fitted on."""
    corpus = labelled_corpus(BA)
    ex = StyleExtractor(FeatureConfig())
    clean = cached_extract(ex, corpus.paths, "clean", VIEWS["clean"], CACHE)
    parts = split_indices(corpus.labels, near_duplicate_groups(clean.pooled, 0.80), 0)
    others = op(OP, corpus.artists, 0)
    mo, mk, mk_names = met_paintings(corpus.artists)
    out = {"train": (clean.styles[parts["train"]], corpus.labels[parts["train"]])}  # features, not paths
    for part in ("val", "test"):
        rows = parts[part]
        out[f"{part} kaggle"] = ([corpus.paths[i] for i in rows], corpus.labels[rows])
        out[f"{part} others"] = ([others.paths[i] for i in others.parts[part]], None)
    out["met by the 50"] = (mk, np.array([corpus.artists.index(n) for n in mk_names]))
    out["met others"] = (mo, None)
    return corpus, ex, out


# The photo views: scenes.py's visitors' photos (a generator the heads never trained on), and classifier/photo.py's
# gallery and visitor photos (the generator of the heads' training views, on other paintings): the photo
# calibration is fitted on all three, so that it fits no one generator's idea of a photo.
PHOTO_VIEWS = (("photo", scene_found_view), ("gallery", photo_found_view), ("visitor", visitor_photo_found_view))
VIEWS_OF = {"kaggle": (("clean", small_jpeg_view), *PHOTO_VIEWS), "others": (("clean", VIEWS["clean"]), *PHOTO_VIEWS)}


def features(ex, name, paths, view_name, view):
    return cached_extract(ex, paths, f"tiers-{name}-{view_name}", view, CACHE, batch_size=16, workers=2)


def extract():
    corpus, ex, data = sets()
    for part in ("val", "test"):
        for kind in ("kaggle", "others"):
            for view_name, view in VIEWS_OF[kind]:
                print(part, kind, view_name, flush=True)
                features(ex, f"{part} {kind}", data[f"{part} {kind}"][0], view_name, view)
    for name in ("met by the 50", "met others"):
        features(ex, name, data[name][0], "clean", found_view)


SURE, NAMED = 0.8, 0.5  # app/conversation/paintings.py's tiers
TIERS = ("sure", "likely", "guess", "unknown")


HEADS = Path(__file__).parents[2] / "classifier/weights/efficientnet-lite0"


def shipped():
    from classifier.model import load_bundle
    from retrieval.style_encoder import load_projection

    bundle, _ = load_bundle(HEADS, "efficientnet-lite0")
    return bundle, load_projection("style-lite0")[0]


def shipped_photo():
    from classifier.model import HEADS_FILE
    from classifier.photo_calibration import load_photo_calibration

    return load_photo_calibration(HEADS, HEADS / HEADS_FILE)


# A photo's painter is named only where the known score says the 50 at least this often on validation photos of
# their paintings; among those thresholds, the one with the best balanced accuracy (classifier/unknown.py).
MIN_PHOTO_ANSWERED = 0.5


def fit_photo():
    """Fit the photo calibration on the validation photos (by the 50: the temperature; and by other painters:
    the threshold) and write it beside the heads."""
    from classifier.calibration import expected_calibration_error, fit_temperature
    from classifier.model import HEADS_FILE
    from classifier.photo_calibration import PhotoCalibration, save_photo_calibration
    from classifier.unknown import auroc, best_threshold

    corpus, ex, data = sets()
    bundle, _ = shipped()
    paths, truth = data["val kaggle"]
    known = np.concatenate([features(ex, "val kaggle", paths, name, view).styles for name, view in PHOTO_VIEWS])
    truth = np.tile(truth, len(PHOTO_VIEWS))
    unknown = np.concatenate([features(ex, "val others", data["val others"][0], name, view).styles
                              for name, view in PHOTO_VIEWS])
    temperature = fit_temperature(bundle.logits(known), truth)
    known_scores, unknown_scores = bundle(known).known_score, bundle(unknown).known_score
    threshold = best_threshold(known_scores, unknown_scores, MIN_PHOTO_ANSWERED)
    calibration = PhotoCalibration(temperature, threshold)
    before = expected_calibration_error(bundle(known).probabilities, truth)
    after = expected_calibration_error(answers(bundle, known, calibration)["probabilities"], truth)
    figures = {"photos by the 50": len(known), "photos by other painters": len(unknown),
               "ece before": round(before, 4), "ece after": round(after, 4),
               "auroc": round(auroc(known_scores, unknown_scores), 4),
               "known answered": round(float((known_scores >= threshold).mean()), 4),
               "unknown rejected": round(float((unknown_scores < threshold).mean()), 4),
               "unknown rejected at the clean threshold": round(float((unknown_scores < bundle.rule.threshold).mean()),
                                                                4)}
    print(calibration, figures)
    save_photo_calibration(HEADS, HEADS / HEADS_FILE, calibration, {
        "what": "temperature and known/unknown threshold for a picture whose EXIF names a camera",
        "fitted_by": "docs/experiments/tiers.py photo",
        "fitted_on": "validation Kaggle paintings and validation other painters (split by painter), each as three "
                     f"simulated photos: a visitor's (classifier/scenes.py, seeds from {SCENE_SEED}), a gallery's and "
                     "a visitor's (classifier/photo.py), through the painting finder",
        "min_photo_answered": MIN_PHOTO_ANSWERED, "validation": figures})


def answers(bundle, styles, photo=None):
    out = bundle(styles, np.ones(len(styles), bool), photo) if photo is not None else bundle(styles)
    return {"top": out.probabilities.argmax(1), "confidence": out.probabilities.max(1), "known": out.known,
            "probabilities": out.probabilities}


def tiers(a, agrees=None):
    named = a["known"]
    sure = named & (a["confidence"] >= SURE)
    if agrees is not None:
        sure &= agrees
    likely = named & ~sure & (a["confidence"] >= NAMED)
    guess = named & ~sure & ~likely
    return {"sure": sure, "likely": likely, "guess": guess, "unknown": ~named}


def table(results, label):
    """One line per set: share said in each tier and, for the 50's paintings, how often its name is right."""
    print(f"\n== {label}")
    print(f"{'set':28s}" + "".join(f"{t:>18s}" for t in TIERS))
    for name, (tier, right) in results.items():
        cells = []
        for t in TIERS:
            said = tier[t]
            cell = f"{said.mean():.3f}"
            if right is not None and t != "unknown" and said.any():
                cell += f" ({right[said].mean():.2f})"
            cells.append(f"{cell:>18s}")
        print(f"{name:28s}" + "".join(cells))
    # The Met's sets are the same in the validation and the test table: the held-out figure leaves them out.
    for which, names in (("these sets", list(results)), ("the Kaggle and other-painters sets (held out)",
                                                         [n for n in results if not n.startswith("met")])):
        said = sum(results[n][0]["sure"].sum() for n in names)
        right = sum((results[n][0]["sure"] & results[n][1]).sum() for n in names if results[n][1] is not None)
        print(f"'fairly sure' right: {right}/{said} = {right / max(said, 1):.3f} over {which}")


def fitted_prototypes(data, projection, per_artist):
    from classifier.evidence import StylePrototypes, fit_prototypes

    train_styles, train_labels = data["train"]
    return StylePrototypes(*fit_prototypes(projection(train_styles), train_labels, per_artist), projection)


def fit():
    """Write the shipped prototypes beside the heads (from the training part only)."""
    from classifier.evidence import PER_PAINTER, save_prototypes

    corpus, ex, data = sets()
    bundle, projection = shipped()
    prototypes = fitted_prototypes(data, projection, PER_PAINTER)
    save_prototypes(Path(__file__).parents[2] / "classifier/weights/efficientnet-lite0", prototypes.vectors,
                    prototypes.owners, {
                        "what": "k-means centres of each painter's style vectors: a 'fairly sure' needs the nearest "
                                "to be the named painter's", "fitted_by": "docs/experiments/tiers.py fit",
                        "per_painter": PER_PAINTER, "seed": 0, "fitted_on": "the heads' training part (clean)",
                        "projection": "style-lite0", "projection_digest": projection.digest,
                        "artists": bundle.artists, "prototypes": int(len(prototypes.vectors))})


def measure(part, per_artist=8, agreement=("none", "nearest")):
    from classifier.calibration import expected_calibration_error

    corpus, ex, data = sets()
    bundle, projection = shipped()
    photo = shipped_photo()
    prototypes = fitted_prototypes(data, projection, per_artist)
    loaded = {}
    for kind in ("kaggle", "others"):
        paths, truth = data[f"{part} {kind}"]
        for view_name, view in VIEWS_OF[kind]:
            loaded[f"{part} {kind} {view_name}"] = (features(ex, f"{part} {kind}", paths, view_name, view).styles, truth)
    for name in ("met by the 50", "met others"):
        loaded[name] = (features(ex, name, data[name][0], "clean", found_view).styles, data[name][1])
    photo_names = tuple(f" {name}" for name, _ in PHOTO_VIEWS)
    scored = {name: (answers(bundle, styles, photo if name.endswith(photo_names) else None), truth)
              for name, (styles, truth) in loaded.items()}
    styles_of = {name: styles for name, (styles, _) in loaded.items()}
    for name, (a, truth) in scored.items():
        if truth is not None:
            print(f"{name}: top-1 {np.mean(a['top'] == truth):.3f}, ECE {expected_calibration_error(a['probabilities'], truth):.4f}")
    for rule in agreement:
        results = {}
        for name, (a, truth) in scored.items():
            agrees = None if rule == "none" else prototypes.nearest_painter(styles_of[name]) == a["top"]
            results[name] = (tiers(a, agrees), None if truth is None else a["top"] == truth)
        table(results, f"{part}: 'fairly sure' needs {rule} (prototypes per painter: {per_artist})")


if __name__ == "__main__":
    if sys.argv[1] in ("extract", "fit", "photo"):
        {"extract": extract, "fit": fit, "photo": fit_photo}[sys.argv[1]]()
    else:
        measure(sys.argv[1], per_artist=int(sys.argv[2]) if len(sys.argv) > 2 else 8)
