"""Fine-tuning experiment, stage A: block-10 activations (Lite0 at 256, frozen bottom) of the train and
validation parts under the clean / photo-found / visitor-photo-found views, cached as float16."""
import sys, time
sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from load import *
import torch
from classifier.features import extract
from classifier.photo import photo_found_view, visitor_photo_found_view
torch.set_num_threads(2)
CUT = 10
corpus = labelled_corpus(BA)
Ks, Kp = load_view("efficientnet-lite0", "kaggle", "clean")
parts = split_indices(corpus.labels, near_duplicate_groups(Kp, 0.80), 0)
rows = np.sort(np.concatenate([parts["train"], parts["val"]]))
np.save(CACHE / "ft-rows.npy", rows)


class Bottom:
    def __init__(self):
        self.inner = StyleExtractor(FeatureConfig())
        self.preprocess, self.config = self.inner.preprocess, self.inner.config
        self.net = self.inner.net

    @torch.inference_mode()
    def __call__(self, batch):
        net = self.net
        x = net._swish(net._bn0(net._conv_stem(batch)))
        for block in net._blocks[:CUT + 1]:
            x = block(x)
        return x.flatten(1), torch.zeros(len(x), 1)


bottom = Bottom()
for name, view in (("clean", identity_view), ("photo-found", photo_found_view),
                   ("visitor-photo-found", visitor_photo_found_view)):
    out = CACHE / f"ft-{name}.npy"
    if out.exists():
        continue
    t = time.time()
    result = extract(bottom, [corpus.paths[i] for i in rows], lambda im, pos, v=view: v(im, int(rows[pos])),
                     batch_size=32, workers=2)
    np.save(out, result.styles.astype(np.float16))
    print(name, result.styles.shape, f"{time.time() - t:.0f}s", flush=True)
