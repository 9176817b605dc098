import sys, time, json
sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from load import *
import torch
from classifier.heads import Standardizer, balanced_weights, _fit, sigmoid
from classifier.calibration import fit_temperature, calibrated, expected_calibration_error
from classifier.unknown import DistanceModel, auroc
from sklearn.metrics import f1_score
torch.set_num_threads(1)
ENC = "efficientnet-lite0"
corpus = labelled_corpus(BA)
_, painters, ostyles = other_painters()
N = len(corpus.artists)

def fit_head(x, y, outliers=None, oe_weight=0.5, l2=1e-3):
    target = torch.from_numpy(y.astype(np.int64))
    w = torch.from_numpy(balanced_weights(y, N).astype(np.float32))
    n = len(y)
    X = x if outliers is None else np.concatenate([x, outliers])
    def loss(logits):
        known = (torch.nn.functional.cross_entropy(logits[:n], target, reduction="none") * w).mean()
        if outliers is None:
            return known
        lsm = torch.log_softmax(logits[n:], dim=1)
        return known + oe_weight * (-lsm.mean(dim=1)).mean()
    return _fit(X, loss, N, l2, 0)

def signals(head, temp, dist, std_x):
    logits = head(std_x)
    p = calibrated(logits, temp)
    from scipy.special import logsumexp
    d, r = dist.scores(std_x)
    return {"prob": p.max(1), "energy": logsumexp(logits, axis=1), "maxlogit": logits.max(1), "dist": d, "resid": r}, p
