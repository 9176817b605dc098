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


# --- the fix: find the painting in a photo -------------------------------------------

DETECT_SIZE = 160
UNIFORM_RING_SPREAD = 18.0  # a wall or frame is near-uniform; a painting's edge usually is not
MIN_MARGIN = 0.02  # a frame or wall shows on all four sides of a gallery photo


def _inner_box(pixels: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) inside a uniform border that surrounds the image, else None."""
    height, width = pixels.shape[:2]
    ring = np.concatenate([pixels[:2].reshape(-1, 3), pixels[-2:].reshape(-1, 3),
                           pixels[:, :2].reshape(-1, 3), pixels[:, -2:].reshape(-1, 3)])
    background = np.median(ring, axis=0)
    spread = np.median(np.abs(ring - background).max(axis=1))
    if spread > UNIFORM_RING_SPREAD:
        return None
    differs = np.abs(pixels - background).max(axis=2) > max(35.0, 4 * spread)
    rows, cols = np.flatnonzero(differs.mean(axis=1) > 0.5), np.flatnonzero(differs.mean(axis=0) > 0.5)
    if len(rows) < 2 or len(cols) < 2:
        return None
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    margins = (top / height, 1 - bottom / height, left / width, 1 - right / width)
    area = (bottom - top) * (right - left) / (height * width)
    return (top, bottom, left, right) if min(margins) >= MIN_MARGIN and 0.15 <= area else None


def find_painting(image: Image.Image) -> Image.Image:
    """Crop a photographed painting out of its wall and frame (two uniform borders); an
    image without such a border, like a clean reproduction, is returned unchanged."""
    scale = DETECT_SIZE / max(image.size)
    small = np.asarray(image.resize((max(8, round(image.width * scale)), max(8, round(image.height * scale))),
                                    Image.BILINEAR), dtype=float)
    top, left, bottom, right = 0, 0, small.shape[0], small.shape[1]
    for _ in range(2):  # wall, then frame
        box = _inner_box(small[top:bottom, left:right])
        if box is None:
            break
        top, bottom, left, right = top + box[0], top + box[1], left + box[2], left + box[3]
    if (top, left, bottom, right) == (0, 0, small.shape[0], small.shape[1]):
        return image
    # A small inset drops what is left of the frame's edge after rotation and keystone.
    inset_y, inset_x = 0.02 * (bottom - top), 0.02 * (right - left)
    return image.crop((round((left + inset_x) / scale), round((top + inset_y) / scale),
                       round((right - inset_x) / scale), round((bottom - inset_y) / scale)))


def found_view(image: Image.Image, _position: int) -> Image.Image:
    """What `predict` sees: the painting found in the image."""
    return find_painting(image)


def photo_found_view(image: Image.Image, position: int) -> Image.Image:
    """What `predict` sees of a simulated gallery photo."""
    return find_painting(photo_view(image, position))


SECOND_PHOTO_SEED_OFFSET = 1_000_003


def second_photo_found_view(image: Image.Image, position: int) -> Image.Image:
    """Another simulated photo of the same painting (other wall, angle, glare), as `predict` sees it."""
    return photo_found_view(image, position + SECOND_PHOTO_SEED_OFFSET)
