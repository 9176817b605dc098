"""Where the gallery-photo drop comes from, on the validation part with the shipped heads: the photo's
degradations one at a time (geometry = wall, frame, rotation, keystone, then the finder; glare; optics =
blur + downscale; JPEG)."""
import sys, time
sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from load import *
import torch
from PIL import ImageFilter
import classifier.photo as photo
from classifier.features import extract
torch.set_num_threads(2)
bundle, corpus, va, y, extractor = shipped_on_validation()

import inspect, textwrap
src = inspect.getsource(photo.simulate_gallery_photo).replace("def simulate_gallery_photo(image: Image.Image, seed: int) -> Image.Image:", "def flagged_photo(image, seed, glare_on, optics_on, jpeg_on):")
src = src.replace("    canvas = Image.composite(", "    if glare_on: canvas = Image.composite(")
src = src.replace("    canvas = canvas.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 1.5))))", "    blur = ImageFilter.GaussianBlur(float(rng.uniform(0.3, 1.5)))\n    if optics_on: canvas = canvas.filter(blur)")
src = src.replace("    canvas = canvas.resize(", "    if optics_on: canvas = canvas.resize(")
src = src.replace("    return _jpeg(canvas, int(rng.integers(60, 90)))", "    q = int(rng.integers(60, 90))\n    return _jpeg(canvas, q) if jpeg_on else canvas")
ns = dict(vars(photo)); exec(src, ns); flagged_photo = ns["flagged_photo"]
print(src[-900:])

def make(flags):
    g, gl, o, j = flags
    def view(image, pos):
        seed = 10_000 + int(va[pos])
        if not g:
            # no wall or frame: apply the non-geometric degradations to the painting alone, same random draws
            rng = np.random.default_rng(seed)
            img = image
            if o:
                img = img.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 1.5))))
                s = float(rng.uniform(0.5, 1.0)); img = img.resize((max(32, int(img.width * s)), max(32, int(img.height * s))), Image.BILINEAR)
            if j:
                img = photo._jpeg(img, int(rng.integers(60, 90)))
            return img
        return photo.find_painting(flagged_photo(image, seed, gl, o, j))
    return view

rows = [("clean", None)]
for name, flags in [("optics (blur + downscale)", (0, 0, 1, 0)), ("jpeg", (0, 0, 0, 1)), ("optics + jpeg", (0, 0, 1, 1)),
                    ("geometry + finder", (1, 0, 0, 0)), ("geometry + glare + finder", (1, 1, 0, 0)), ("full gallery photo + finder", (1, 1, 1, 1))]:
    t = time.time()
    s = extract(extractor, [corpus.paths[i] for i in va], make(flags), batch_size=32, workers=2).styles
    print(name, f"top-1 {(bundle(s).probabilities.argmax(1) == y).mean():.3f}", f"{time.time()-t:.0f}s", flush=True)
