"""Upper bound of a perfect painting finder: the geometry-only gallery photo (wall, frame, rotation,
keystone) rectified with the painting's true corners, vs the shipped finder's box, with the shipped heads."""
import sys, time
sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from load import *
import torch
import classifier.photo as photo
from classifier.photo import WALLS, FRAMES, _perspective_coeffs, find_painting
from classifier.features import extract
torch.set_num_threads(2)


def rotate_point(x, y, cx, cy, degrees):
    t = np.deg2rad(degrees)
    return cx + (x - cx) * np.cos(t) + (y - cy) * np.sin(t), cy - (x - cx) * np.sin(t) + (y - cy) * np.cos(t)


def apply(coeffs, x, y):
    a, b, c, d, e, f, g, h = coeffs
    z = g * x + h * y + 1
    return (a * x + b * y + c) / z, (d * x + e * y + f) / z


def geometry_photo(image, seed):
    """simulate_gallery_photo's geometry with the same random draws, and the painting's corners in it."""
    rng = np.random.default_rng(seed)
    w, h = image.size
    frame = max(2, int(rng.uniform(0.03, 0.08) * max(w, h)))
    framed = Image.new("RGB", (w + 2 * frame, h + 2 * frame), FRAMES[rng.integers(len(FRAMES))])
    framed.paste(image, (frame, frame))
    fw, fh = framed.size
    margin_x, margin_y = (int(rng.uniform(0.08, 0.3) * fw) for _ in range(2))
    wall = np.array(WALLS[rng.integers(len(WALLS))]) + rng.integers(-15, 16, 3)
    canvas = Image.new("RGB", (fw + 2 * margin_x, fh + 2 * margin_y), tuple(int(c) for c in wall.clip(0, 255)))
    px = margin_x + int(rng.integers(-margin_x // 2, margin_x // 2 + 1))
    py = margin_y + int(rng.integers(-margin_y // 2, margin_y // 2 + 1))
    canvas.paste(framed, (px, py))
    quad = [(px + frame, py + frame), (px + frame + w, py + frame), (px + frame + w, py + frame + h), (px + frame, py + frame + h)]
    fill = tuple(int(c) for c in wall.clip(0, 255))
    angle = float(rng.uniform(-5, 5))
    canvas = canvas.rotate(angle, resample=Image.BICUBIC, fillcolor=fill)
    cw, ch = canvas.size
    quad = [rotate_point(x, y, cw / 2, ch / 2, angle) for x, y in quad]
    jitter = lambda: float(rng.uniform(0, 0.06))
    corners = [(0, 0), (cw, 0), (cw, ch), (0, ch)]
    moved = [(cw * jitter(), ch * jitter()), (cw * (1 - jitter()), ch * jitter()),
             (cw * (1 - jitter()), ch * (1 - jitter())), (cw * jitter(), ch * (1 - jitter()))]
    canvas = canvas.transform(canvas.size, Image.PERSPECTIVE, _perspective_coeffs(corners, moved), Image.BICUBIC, fillcolor=fill)
    forward = _perspective_coeffs(moved, corners)
    quad = [apply(forward, x, y) for x, y in quad]
    return canvas, quad, (w, h)


def oracle(image, seed):
    canvas, quad, (w, h) = geometry_photo(image, seed)
    return canvas.transform((w, h), Image.PERSPECTIVE, _perspective_coeffs(quad, [(0, 0), (w, 0), (w, h), (0, h)]), Image.BICUBIC)


if __name__ == "__main__":
    bundle, corpus, va, y, extractor = shipped_on_validation()
    for name, view in (("geometry + shipped finder", lambda im, p: find_painting(geometry_photo(im, 10_000 + int(va[p]))[0])),
                       ("geometry + oracle rectification", lambda im, p: oracle(im, 10_000 + int(va[p])))):
        t = time.time()
        s = extract(extractor, [corpus.paths[i] for i in va], view, batch_size=32, workers=2).styles
        print(name, f"top-1 {(bundle(s).probabilities.argmax(1) == y).mean():.3f}", f"{time.time()-t:.0f}s", flush=True)
