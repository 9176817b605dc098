"""Does putting every input into one format (224 px, q75 JPEG) before the features make the known head
reject other painters' paintings photographed elsewhere (the Met)? Validation parts only."""
import sys, time; sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from common import *
from classifier.features import cached_extract, small_jpeg_view
from classifier.heads import Standardizer, fit_known_head, fit_artist_head
from classifier.split import near_duplicate_groups, split_indices
from classifier.train import other_painters as op, met_paintings
from classifier.photo import found_view
from classifier.unknown import auroc, best_threshold

def canon(view):
    return lambda im, i: small_jpeg_view(view(im, i), i)

corpus = labelled_corpus(BA)
ex = StyleExtractor(FeatureConfig())
f = lambda paths, name, view: cached_extract(ex, paths, name, view, CACHE).styles
clean, flip, small = (f(corpus.paths, n, VIEWS[n]) for n in ("clean", "flip", "small-jpeg"))
pooled = cached_extract(ex, corpus.paths, "clean", VIEWS["clean"], CACHE).pooled
parts = split_indices(corpus.labels, near_duplicate_groups(pooled, 0.80), 0)
tr, va = parts["train"], parts["val"]
others = op(OP, corpus.artists, 0)
oth = f(others.paths, "other-painters", VIEWS["clean"])
otr, ova = others.parts["train"], others.parts["val"]
mo, mk, mnames = met_paintings(corpus.artists)
met = f(mo + mk, "met-found", found_view)
metc = f(mo + mk, "met-found-canon", canon(found_view))
nmo = len(mo)
mlab = np.array([corpus.artists.index(n) for n in mnames])

def report(name, known_rows, inputs_val, inputs_met, artist_rows=None):
    st = Standardizer.fit(known_rows)
    head = fit_known_head(st(known_rows), st(oth[otr]))
    s = lambda x: head(st(x))[:, 0]
    kv, uv = s(inputs_val), s(oth[ova])
    thr = best_threshold(kv, uv)
    mo_s, mk_s = s(inputs_met[:nmo]), s(inputs_met[nmo:])
    print(f"{name}: val AUROC {auroc(kv, uv):.3f} answered {(kv>=thr).mean():.3f} rejected {(uv<thr).mean():.3f} | "
          f"Met others AUROC vs val known {auroc(kv, mo_s):.3f} rejected {(mo_s<thr).mean():.3f} | Met by-50 answered {(mk_s>=thr).mean():.3f}", flush=True)
    if artist_rows is not None:
        x, y = artist_rows
        sa = Standardizer.fit(x)
        ah = fit_artist_head(sa(x), y, len(corpus.artists))
        top1 = (ah(sa(inputs_val)).argmax(1) == corpus.labels[va]).mean()
        mtop = (ah(sa(inputs_met[nmo:])).argmax(1) == mlab).mean()
        print(f"   artist top-1 val {top1:.3f}, Met by-50 {mtop:.3f}", flush=True)

t = time.time()
y3 = np.tile(corpus.labels[tr], 3)
report("as-is (clean+flip+small known)", np.concatenate([clean[tr], flip[tr], small[tr]]), clean[va], met,
       (np.concatenate([clean[tr], flip[tr], small[tr]]), y3))
report("canonical (small known only)", small[tr], small[va], metc, (small[tr], corpus.labels[tr]))
print("seconds", time.time() - t)
