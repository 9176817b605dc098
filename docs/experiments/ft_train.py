"""Fine-tuning experiment, stage B: train Lite0's blocks 11-15 and head conv (BN frozen) on cached block-10
activations, one random view per image per epoch (+ random mirror of the activation map), a linear
classifier on the pooled head; then splice the new top's style statistics into the cached style features,
fit the product's artist head on train views, and report validation top-1 (clean, gallery photo, visitor
photo) against the frozen features under the same protocol."""
import copy, sys, time
sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from load import *
import torch
from classifier.heads import Standardizer, fit_artist_head, balanced_weights
from retrieval.style_features import style_statistics
torch.set_num_threads(2)
torch.manual_seed(0)
EPOCHS = int(sys.argv[1]) if len(sys.argv) > 1 else 8
LR = float(sys.argv[2]) if len(sys.argv) > 2 else 3e-4
CUT = 10
VIEWS = ("clean", "photo-found", "visitor-photo-found")
corpus = labelled_corpus(BA)
N = len(corpus.artists)
Ks, Kp = load_view("efficientnet-lite0", "kaggle", "clean")
parts = split_indices(corpus.labels, near_duplicate_groups(Kp, 0.80), 0)
rows = np.load(CACHE / "ft-rows.npy")
pos = {r: i for i, r in enumerate(rows)}
tr = np.array([pos[r] for r in parts["train"]]); va = np.array([pos[r] for r in parts["val"]])
acts = {v: np.load(CACHE / f"ft-{v}.npy", mmap_mode="r") for v in VIEWS}
C, H = 112, 16
y_all = corpus.labels[rows]

base = StyleExtractor(FeatureConfig())
net = base.net


class Top(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = copy.deepcopy(net._blocks[CUT + 1:])
        self.conv_head, self.bn1, self.swish = copy.deepcopy(net._conv_head), copy.deepcopy(net._bn1), net._swish

    def forward(self, x, captured=None):
        for i, block in enumerate(self.blocks):
            x = block(x)
            if captured is not None:
                captured[CUT + 1 + i] = x
        return self.swish(self.bn1(self.conv_head(x)))


top = Top()
classifier = torch.nn.Linear(1280, N)
dropout = torch.nn.Dropout(0.3)
weights = torch.from_numpy((len(tr) / (N * np.bincount(y_all[tr], minlength=N))).astype(np.float32))
opt = torch.optim.AdamW([{"params": top.parameters(), "lr": LR}, {"params": classifier.parameters(), "lr": 3e-3}],
                        weight_decay=0.05)
BATCH = 64
steps = EPOCHS * ((len(tr) + BATCH - 1) // BATCH)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[LR, 3e-3], total_steps=steps, pct_start=0.1)
rng = np.random.default_rng(0)


def batch_acts(view_of_row, idx):
    x = np.stack([acts[view_of_row[j]][idx[j]] for j in range(len(idx))]).astype(np.float32)
    return torch.from_numpy(x.reshape(len(idx), C, H, H))


def set_train():
    top.train(); classifier.train()
    for m in top.modules():  # BN statistics stay those of ImageNet: batches of 64 from 40 artists are too few
        if isinstance(m, torch.nn.BatchNorm2d):
            m.eval()


@torch.no_grad()
def evaluate(view):
    top.eval(); classifier.eval()
    out = []
    for s in range(0, len(va), 128):
        idx = va[s:s + 128]
        out.append(classifier(top(batch_acts([view] * len(idx), idx)).mean(dim=(2, 3))))
    return (torch.cat(out).argmax(1).numpy() == y_all[va]).mean()


print(f"train {len(tr)} val {len(va)} epochs {EPOCHS} lr {LR}", flush=True)
t0 = time.time()
for epoch in range(EPOCHS):
    set_train()
    order = rng.permutation(len(tr))
    total = 0.0
    for s in range(0, len(order), BATCH):
        idx = tr[order[s:s + BATCH]]
        views = [VIEWS[k] for k in rng.integers(0, len(VIEWS), len(idx))]
        x = batch_acts(views, idx)
        flip = torch.from_numpy(rng.random(len(idx)) < 0.5)
        x = torch.where(flip[:, None, None, None], x.flip(3), x)
        logits = classifier(dropout(top(x).mean(dim=(2, 3))))
        loss = (torch.nn.functional.cross_entropy(logits, torch.from_numpy(y_all[idx]), reduction="none",
                                                  label_smoothing=0.1) * weights[y_all[idx]]).mean()
        opt.zero_grad(); loss.backward(); opt.step(); sched.step()
        total += loss.item() * len(idx)
    print(f"epoch {epoch} loss {total / len(tr):.3f} val clean {evaluate('clean'):.3f} photo {evaluate('photo-found'):.3f} "
          f"visitor {evaluate('visitor-photo-found'):.3f} {time.time() - t0:.0f}s", flush=True)
torch.save(top.state_dict(), CACHE / f"ft-top-e{EPOCHS}-lr{LR}.pt")

# Splice: style statistics of blocks 11-15 and the head from the tuned top, the rest from the cache.
cfg = FeatureConfig()
widths = [b._project_conv.out_channels for b in net._blocks]
start = 2 * sum(widths[:CUT + 1]); end = start + 2 * sum(widths[CUT + 1:]) + 2 * 1280


@torch.no_grad()
def top_stats(view, idx, model):
    model.eval()
    out = []
    for s in range(0, len(idx), 128):
        cap = {}
        head = model(batch_acts([view] * len(idx[s:s + 128]), idx[s:s + 128]), cap)
        ms = lambda m: torch.cat([m.mean(dim=(2, 3)), m.std(dim=(2, 3))], dim=1)
        out.append(torch.cat([ms(cap[i]) for i in range(CUT + 1, 16)] + [ms(head)], dim=1))
    return torch.cat(out).numpy()


cached = {v: load_view("efficientnet-lite0", "kaggle", v)[0][rows] for v in VIEWS}
frozen_top = Top()
check = top_stats("clean", va[:64], frozen_top)
print("splice check (frozen top vs cached):", float(np.abs(check - cached["clean"][va[:64], start:end]).max()), flush=True)
tuned = {}
for v in VIEWS:
    f = cached[v].copy()
    idx = np.arange(len(rows))
    f[:, start:end] = top_stats(v, idx, top)
    tuned[v] = f


def protocol(features, name):
    x = np.concatenate([features[v][tr] for v in VIEWS]); yy = np.tile(y_all[tr], len(VIEWS))
    std = Standardizer.fit(x)
    head = fit_artist_head(std(x), yy, N)
    res = {v: (head(std(features[v][va])).argmax(1) == y_all[va]).mean() for v in VIEWS}
    print(name, " ".join(f"{v} {r:.3f}" for v, r in res.items()), flush=True)


protocol(cached, "frozen features, LR on 3 views:")
protocol(tuned, "tuned top spliced, LR on 3 views:")
