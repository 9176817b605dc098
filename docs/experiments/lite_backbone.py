"""Lite0 vs another Lite backbone (`lite_backbone.py efficientnet-lite1|efficientnet-lite2`) vs both (concatenated style features), clean-only heads, on a subset: 30 train images per
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
encoder = sys.argv[1]
short = encoder.removeprefix("efficientnet-")  # "lite2": the cache name the figures were run with
# Lite1 and Lite2 both have 21 blocks; 6, 10, 14 end the stages matching Lite0's Gram blocks 4, 7, 10.
cfg2 = FeatureConfig(encoder=encoder, blocks=tuple(range(21)), gram_blocks=(6, 10, 14))
t = time.time()
other = cached_extract(StyleExtractor(cfg2), [corpus.paths[i] for i in rows], f"{short}-subset", identity_view, CACHE, batch_size=16, workers=2).styles
print(f"{short} features {other.shape} {time.time()-t:.0f}s", flush=True)
feats = {"lite0": Ks[rows], short: other, f"lite0+{short}": np.concatenate([Ks[rows], other], axis=1)}
for name, f in feats.items():
    tr, va = f[:len(train)], f[len(train):]
    std = Standardizer.fit(tr)
    head = fit_head(std(tr), y[train])
    p = head(std(va))
    print(name, f"val top-1 {(p.argmax(1) == y[val]).mean():.3f} top-3 {np.mean([y[val][i] in np.argsort(-p[i])[:3] for i in range(len(val))]):.3f}", flush=True)
