"""Artist-head L2 on validation, product protocol (all five training views of the train part)."""
import sys, time
sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from load import *
import torch
from classifier.heads import Standardizer, fit_artist_head
from classifier.train import VIEWS
torch.set_num_threads(2)
corpus = labelled_corpus(BA)
N = len(corpus.artists)
feats = {v: load_view("efficientnet-lite0", "kaggle", v)[0] for v in VIEWS}
parts = split_indices(corpus.labels, near_duplicate_groups(load_view("efficientnet-lite0", "kaggle", "clean")[1], 0.80), 0)
tr, va, y = parts["train"], parts["val"], corpus.labels
x = np.concatenate([feats[v][tr] for v in VIEWS]); yy = np.tile(y[tr], len(VIEWS))
std = Standardizer.fit(x); x = std(x)
for l2 in [float(a) for a in sys.argv[1:]]:
    t = time.time()
    head = fit_artist_head(x, yy, N, l2=l2)
    r = {v: (head(std(feats[v][va])).argmax(1) == y[va]).mean() for v in ("clean", "photo-found", "visitor-photo-found")}
    print(f"l2 {l2:g}", " ".join(f"{k} {v:.3f}" for k, v in r.items()), f"{time.time()-t:.0f}s", flush=True)
