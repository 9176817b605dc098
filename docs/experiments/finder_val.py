"""The rectifying finder vs the box finder on validation photos, shipped heads (test-time change only)."""
import sys, time
sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from load import *
import torch
from classifier.photo import photo_found_view, visitor_photo_found_view, found_view
from classifier.features import extract
from photo_oracle import geometry_photo
import classifier.photo as photo
torch.set_num_threads(2)
bundle, corpus, va, y, extractor = shipped_on_validation()
views = {"clean (found)": lambda im, p: found_view(im, int(va[p])),
         "geometry": lambda im, p: photo.find_painting(geometry_photo(im, 10_000 + int(va[p]))[0]),
         "gallery photo": lambda im, p: photo_found_view(im, int(va[p])),
         "visitor photo": lambda im, p: visitor_photo_found_view(im, int(va[p]))}
for name in sys.argv[1:]:
    t = time.time()
    s = extract(extractor, [corpus.paths[i] for i in va], views[name], batch_size=32, workers=2).styles
    print(name, f"top-1 {(bundle(s).probabilities.argmax(1) == y).mean():.3f}", f"{time.time()-t:.0f}s", flush=True)
