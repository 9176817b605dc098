"""Lite0 vs Lite1 vs both (concatenated style features), clean-only heads, on a subset: 30 train images per
artist (the train part of the shipped split) and the whole validation part."""
import sys, time; sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from analyse import *
from classifier.split import near_duplicate_groups, split_indices
torch.set_num_threads(2)
Ks, Kp = load_view(ENC, "kaggle", "clean")
groups = near_duplicate_groups(Kp, 0.80)
parts = split_indices(corpus.labels, groups, 0)
y = corpus.labels
rng = np.random.default_rng(0)
train = np.sort(np.concatenate([rng.permutation(parts["train"][y[parts["train"]] == c])[:30] for c in range(N)]))
val = parts["val"]
rows = np.concatenate([train, val])
cfg2 = FeatureConfig(encoder="efficientnet-lite1", blocks=tuple(range(21)), gram_blocks=(6, 10, 14))
t = time.time()
L1 = cached_extract(StyleExtractor(cfg2), [corpus.paths[i] for i in rows], "lite1-subset", identity_view, CACHE, batch_size=16, workers=2).styles
print(f"lite1 features {L1.shape} {time.time()-t:.0f}s", flush=True)
feats = {"lite0": Ks[rows], "lite1": L1, "lite0+lite1": np.concatenate([Ks[rows], L1], axis=1)}
for name, f in feats.items():
    tr, va = f[:len(train)], f[len(train):]
    std = Standardizer.fit(tr)
    head = fit_head(std(tr), y[train])
    p = head(std(va))
    print(name, f"val top-1 {(p.argmax(1) == y[val]).mean():.3f} top-3 {np.mean([y[val][i] in np.argsort(-p[i])[:3] for i in range(len(val))]):.3f}", flush=True)
