import csv, io, sys
from pathlib import Path
sys.path.insert(0, str(__import__("pathlib").Path(__file__).parents[2]))
import numpy as np
from PIL import Image
from classifier.train import labelled_corpus, VIEWS
from classifier.features import cached_extract, identity_view, flip_view
from classifier.photo import photo_found_view, found_view
from retrieval.style_features import FeatureConfig, StyleExtractor

import os
BA = Path(os.environ.get("MUSEUM_BEST_ARTWORKS", "../shared/data/best-artworks")).resolve()  # cache keys name absolute paths
OP = Path(os.environ.get("MUSEUM_OTHER_PAINTERS", "../shared/data/other-painters")).resolve()
CACHE = Path(os.environ.get("MUSEUM_EXPERIMENT_CACHE", "/tmp/museum-cache"))  # large: activations and features

def equalise(image, _pos=0):
    buf = io.BytesIO()
    image.convert("RGB").resize((224, 224), Image.BICUBIC).save(buf, format="JPEG", quality=75)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")

def other_painters():
    rows = list(csv.DictReader(open(OP / "manifest.csv")))
    rows.sort(key=lambda r: r["file"])
    return [OP / r["file"] for r in rows], [r["artist"] for r in rows], [r["style"] for r in rows]

VIEWS2 = dict(VIEWS)
VIEWS2["equalised"] = equalise
from classifier.photo import visitor_photo_found_view
VIEWS2["visitor-photo-found"] = visitor_photo_found_view
