"""Test-time views on the validation part with the trained heads: clean, +mirror, +a centre crop at a second scale."""
import sys; sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from load import *
from classifier.model import load_bundle
from classifier.split import near_duplicate_groups, split_indices
from classifier.features import cached_extract
import torch; torch.set_num_threads(2)
ENC = "efficientnet-lite0"
bundle, manifest = load_bundle(Path(sys.argv[1]), "efficientnet-lite0")
corpus = labelled_corpus(BA)
Ks, Kp = load_view(ENC, "kaggle", "clean")
Kf, _ = load_view(ENC, "kaggle", "flip")
groups = near_duplicate_groups(Kp, 0.80)
val = split_indices(corpus.labels, groups, 0)["val"]
y = corpus.labels[val]
def crop(image, _):
    w, h = image.size
    return image.crop((round(w * 0.1), round(h * 0.1), round(w * 0.9), round(h * 0.9)))
Kc = cached_extract(StyleExtractor(FeatureConfig()), [corpus.paths[i] for i in val], "val-crop80", crop, CACHE).styles
P = {n: bundle(x).probabilities for n, x in (("clean", Ks[val]), ("flip", Kf[val]), ("crop", Kc))}
for name, probs in (("clean", P["clean"]), ("clean+flip", (P["clean"] + P["flip"]) / 2),
                    ("clean+crop", (P["clean"] + P["crop"]) / 2), ("clean+flip+crop", (P["clean"] + P["flip"] + P["crop"]) / 3)):
    print(name, f"val top-1 {(probs.argmax(1) == y).mean():.3f}")
