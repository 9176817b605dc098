"""How well each signal ranks the Met's photographs of paintings by the 50 above those of other painters
(shipped heads, painting finder as `predict` runs it)."""
import sys; sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from load import *
from scipy.special import logsumexp
from classifier.features import cached_extract
from classifier.train import met_paintings
from classifier.photo import found_view
from classifier.unknown import auroc

bundle, corpus, va, yv, ex = shipped_on_validation()
mo, mk, _ = met_paintings(corpus.artists)
met = cached_extract(ex, mo + mk, "met-found", found_view, CACHE).styles
out = bundle(met)
n = len(mo)
print(f"shipped heads, Met (finder 2): AUROC by-50 vs others {auroc(out.known_score[n:], out.known_score[:n]):.3f}; "
      f"others rejected {(~out.known[:n]).mean():.3f}; by-50 answered {out.known[n:].mean():.3f}")
standard = bundle.standardizer(met)
logits = bundle.artist_head(standard)
signals = {"known head": bundle.known_head(standard)[:, 0], "max prob": out.probabilities.max(1),
           "energy": logsumexp(logits, axis=1), "max logit": logits.max(1)}
for name, value in signals.items():
    print(f"  {name}: within-Met AUROC {auroc(value[n:], value[:n]):.3f}")
