"""Simulated gallery photos: a painting in a frame on a coloured wall, shot at a slight
angle with glare, blur and a phone's resampling and JPEG compression.

Used to measure robustness (clean vs photo top-1) and to augment the training
features, so the head learns to ignore frames and walls without any extra work
at prediction time.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

WALLS = [(235, 230, 220), (200, 40, 45), (40, 60, 90), (90, 110, 90), (250, 250, 250), (60, 60, 60), (170, 150, 120)]
FRAMES = [(120, 90, 40), (190, 150, 60), (30, 25, 20), (230, 225, 215), (90, 60, 40)]


def _perspective_coeffs(source: list[tuple[float, float]], target: list[tuple[float, float]]) -> list[float]:
    """PIL's 8 coefficients mapping output corners `target` back to input corners `source`."""
    rows = []
    for (x, y), (u, v) in zip(target, source):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    return np.linalg.solve(np.array(rows, float), np.array(source, float).reshape(8)).tolist()


def simulate_gallery_photo(image: Image.Image, seed: int) -> Image.Image:
    """A deterministic (per seed) photo of `image` hanging on a wall."""
    rng = np.random.default_rng(seed)
    w, h = image.size
    frame = max(2, int(rng.uniform(0.03, 0.08) * max(w, h)))
    framed = Image.new("RGB", (w + 2 * frame, h + 2 * frame), FRAMES[rng.integers(len(FRAMES))])
    framed.paste(image, (frame, frame))
    fw, fh = framed.size
    margin_x, margin_y = (int(rng.uniform(0.08, 0.3) * fw) for _ in range(2))
    wall = np.array(WALLS[rng.integers(len(WALLS))]) + rng.integers(-15, 16, 3)
    canvas = Image.new("RGB", (fw + 2 * margin_x, fh + 2 * margin_y), tuple(int(c) for c in wall.clip(0, 255)))
    canvas.paste(framed, (margin_x + int(rng.integers(-margin_x // 2, margin_x // 2 + 1)),
                          margin_y + int(rng.integers(-margin_y // 2, margin_y // 2 + 1))))
    fill = tuple(int(c) for c in wall.clip(0, 255))
    canvas = canvas.rotate(float(rng.uniform(-5, 5)), resample=Image.BICUBIC, fillcolor=fill)
    # A slight keystone: the visitor stands a little off-centre.
    cw, ch = canvas.size
    jitter = lambda: float(rng.uniform(0, 0.06))
    corners = [(0, 0), (cw, 0), (cw, ch), (0, ch)]
    moved = [(cw * jitter(), ch * jitter()), (cw * (1 - jitter()), ch * jitter()),
             (cw * (1 - jitter()), ch * (1 - jitter())), (cw * jitter(), ch * (1 - jitter()))]
    canvas = canvas.transform(canvas.size, Image.PERSPECTIVE, _perspective_coeffs(corners, moved), Image.BICUBIC,
                              fillcolor=fill)
    # Glare: a soft bright ellipse.
    glare = Image.new("L", canvas.size, 0)
    gx, gy, radius = rng.uniform(0.2, 0.8) * cw, rng.uniform(0.2, 0.8) * ch, rng.uniform(0.08, 0.25) * cw
    ImageDraw.Draw(glare).ellipse([gx - radius, gy - radius * 0.6, gx + radius, gy + radius * 0.6],
                                  fill=int(rng.uniform(60, 140)))
    glare = glare.filter(ImageFilter.GaussianBlur(radius * 0.5))
    canvas = Image.composite(Image.new("RGB", canvas.size, (255, 255, 255)), canvas, glare)
    canvas = canvas.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 1.5))))
    scale = float(rng.uniform(0.5, 1.0))
    canvas = canvas.resize((max(32, int(cw * scale)), max(32, int(ch * scale))), Image.BILINEAR)
    buffer = io.BytesIO()
    canvas.save(buffer, format="JPEG", quality=int(rng.integers(60, 90)))
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def photo_view(image: Image.Image, position: int) -> Image.Image:
    """The feature-extraction view: one fixed simulated photo per corpus position."""
    return simulate_gallery_photo(image, seed=10_000 + position)
