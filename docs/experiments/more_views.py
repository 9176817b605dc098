"""More photo views per image (validation): heads trained on the five views (finder 2) vs + a second
simulated gallery photo and a second visitor's photo of every training image (other seeds)."""
import sys, time, logging, json; sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from common import *
from classifier.features import cached_extract
from classifier.photo import _uses_finder, find_painting, simulate_gallery_photo, simulate_visitor_photo
from classifier.split import near_duplicate_groups, split_indices
from classifier.train import OTHER_VIEWS, other_painters as op, fit_bundle, held_out_metrics

@_uses_finder
def second_photo_found(image, position):
    return find_painting(simulate_gallery_photo(image, seed=30_000 + position))

@_uses_finder
def second_visitor_photo_found(image, position):
    return find_painting(simulate_visitor_photo(image, seed=40_000 + position))

EXTRA = {"photo-found-2": second_photo_found, "visitor-photo-found-2": second_visitor_photo_found}
mode = sys.argv[1]  # extract | fit5 | fit7
corpus = labelled_corpus(BA)
ex = StyleExtractor(FeatureConfig())
feat = lambda paths, name, view: cached_extract(ex, paths, name, view, CACHE)
if mode == "extract":
    for name, view in EXTRA.items():
        t = time.time(); feat(corpus.paths, name, view); print(name, time.time() - t, flush=True)
    sys.exit()
views = {name: feat(corpus.paths, name, VIEWS[name]) for name in VIEWS}
if mode == "fit7":
    views.update({name: feat(corpus.paths, name, view) for name, view in EXTRA.items()})
valid = np.all([~np.isnan(v.styles).any(axis=1) for v in views.values()], axis=0)
assert valid.all()
styles = {n: v.styles for n, v in views.items()}
parts = split_indices(corpus.labels, near_duplicate_groups(views["clean"].pooled, 0.80), 0)
others = op(OP, corpus.artists, 0)
ov = {n: feat(others.paths, n, v).styles for n, v in OTHER_VIEWS.items()}
op_ = others.parts
t = time.time()
bundle, fitting = fit_bundle(styles, corpus, parts, {n: v[op_["train"]] for n, v in ov.items()},
                             ov["other-painters"][op_["val"]], FeatureConfig(), 0)
m = held_out_metrics(bundle, corpus, parts["val"], styles, ov["other-painters"][op_["val"]])
short = {"clean_top1": m["clean"]["top1"], "clean_top3": m["clean"]["top3"], "macro_f1": m["clean"]["macro_f1"],
         "ece": m["clean"].get("ece"), "photo_top1": m["photo"]["top1"], "visitor_top1": m["visitor_photo"]["top1"],
         "unknown": m["unknown"], "unknown_as_they_are": m["unknown_as_they_are"], "rule": bundle.rule.method,
         "fit_seconds": round(time.time() - t)}
print(mode, json.dumps(short, default=float), flush=True)
