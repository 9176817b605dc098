"""Load cached features and build splits for experiments."""
import sys, json
sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from common import *
from classifier.features import cache_key
from classifier.split import near_duplicate_groups, split_indices

def load_view(enc, which, view):
    corpus = labelled_corpus(BA)
    paths = {"kaggle": corpus.paths, "other": other_painters()[0],
             "met": [r.image_path for r in __import__("data.corpora", fromlist=["load_met"]).load_met()]}[which]
    name = view if which == "kaggle" else f"{which}-{view}"
    key = cache_key(FeatureConfig(encoder=enc), name, paths)
    with np.load(CACHE / f"{key}.npz") as d:
        return d["styles"].astype(np.float32), d["pooled"].astype(np.float32)

def painter_split(painters, seed=0, fractions=(0.6, 0.2, 0.2)):
    names = sorted(set(painters))
    order = np.random.default_rng(seed).permutation(len(names))
    n_train, n_val = int(fractions[0] * len(names)), int(fractions[1] * len(names))
    part = {}
    for rank, i in enumerate(order):
        part[names[i]] = "train" if rank < n_train else "val" if rank < n_train + n_val else "test"
    p = np.array([part[x] for x in painters])
    return {k: np.flatnonzero(p == k) for k in ("train", "val", "test")}


def shipped_on_validation():
    """The shipped heads, the corpus, the validation rows of the shipped split and their labels, and a Lite0
    style extractor: what the finder/photo experiments score views with."""
    from classifier.model import load_bundle
    bundle, _ = load_bundle(Path(__file__).parents[2] / "classifier/weights/efficientnet-lite0", "efficientnet-lite0")
    corpus = labelled_corpus(BA)
    parts = split_indices(corpus.labels, near_duplicate_groups(load_view("efficientnet-lite0", "kaggle", "clean")[1], 0.80), 0)
    va = parts["val"]
    return bundle, corpus, va, corpus.labels[va], StyleExtractor(FeatureConfig())
