"""Which known/unknown rule holds in two domains: other painters' paintings (validation painters) and
another museum's photographs (the Met as a whole, and split by painter into halves: 'val' chooses, 'test'
reports). For each rule: how well it ranks the 50's paintings above other painters', and what its threshold
answers and rejects."""
import sys; sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from load import *
from classifier.features import cached_extract
from classifier.train import met_paintings, other_painters as op
from classifier.photo import found_view
from classifier.unknown import auroc, best_threshold, UnknownRule, METHODS
from classifier.model import unknown_signals, load_bundle
from classifier.calibration import calibrated
from data.corpora import load_met
from classifier.labels import match_artist

weights = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parents[2] / "classifier/weights/efficientnet-lite0"
bundle, _ = load_bundle(weights, "efficientnet-lite0")
corpus = labelled_corpus(BA)
parts = split_indices(corpus.labels, near_duplicate_groups(load_view("efficientnet-lite0", "kaggle", "clean")[1], 0.80), 0)
va = parts["val"]
ex = StyleExtractor(FeatureConfig())
small = cached_extract(ex, corpus.paths, "small-jpeg", VIEWS["small-jpeg"], CACHE).styles[va]
clean = cached_extract(ex, corpus.paths, "clean", VIEWS["clean"], CACHE).styles[va]
others = op(OP, corpus.artists, 0)
oth = cached_extract(ex, others.paths, "other-painters", VIEWS["clean"], CACHE).styles[others.parts["val"]]
mo, mk, _ = met_paintings(corpus.artists)
met = cached_extract(ex, mo + mk, "met-found", found_view, CACHE).styles
# Met painter of each image, in the same order as met_paintings
painter = {r.image_path: r.artist for r in load_met()}
met_painters = [painter[p] for p in mo + mk]
names = sorted(set(met_painters))
half = dict(zip(names, np.random.default_rng(0).permutation(len(names)) % 2))
met_half = np.array([half[p] for p in met_painters])  # 0 = val, 1 = test
is_known = np.r_[np.zeros(len(mo), bool), np.ones(len(mk), bool)]

def signals(x):
    s = bundle.standardizer(x); lg = bundle.artist_head(s)
    return unknown_signals(bundle.known_head(s), lg, calibrated(lg, bundle.temperature), bundle.distance, s)

sk, so, sm = signals(small), signals(oth), signals(met)
print(f"Met val half: {(is_known & (met_half==0)).sum()} by-50, {(~is_known & (met_half==0)).sum()} others; "
      f"test half: {(is_known & (met_half==1)).sum()} / {(~is_known & (met_half==1)).sum()}")
centre, spread = sk.mean(axis=0), np.maximum(sk.std(axis=0), 1e-6)  # as fit_rule z-scores them
for m in METHODS:
    probe = UnknownRule(m, 0.0, centre, spread)
    if bundle.distance is None and probe.uses_distance:
        continue  # heads saved without the distance model (their rule does not read it)
    ks, us, ms = probe.score(sk), probe.score(so), probe.score(sm)
    thr = best_threshold(ks, us)  # as fit_rule picks it, for this method
    row = []
    for h in (0, 1):
        k, o = ms[is_known & (met_half == h)], ms[~is_known & (met_half == h)]
        row.append(f"AUROC {auroc(k, o):.3f} by-50 answered {(k >= thr).mean():.2f} others rejected {(o < thr).mean():.2f}")
    print(f"{m:24s} val {auroc(ks, us):.3f} ({(ks>=thr).mean():.3f}/{(us<thr).mean():.3f}) | "
          f"whole Met AUROC {auroc(ms[is_known], ms[~is_known]):.3f} | Met val: {row[0]} | Met test: {row[1]}")
