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
    return _jpeg(canvas, int(rng.integers(60, 90)))


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def simulate_visitor_photo(image: Image.Image, seed: int) -> Image.Image:
    """A harder photo than `simulate_gallery_photo`: the same wall, frame and glare, then what a
    visitor's phone adds: a steeper angle, warm or cool gallery light, light falling off towards the
    corners, a reflection across the glass, part of the scene cut off at the photo's edge, sensor
    noise and a second compression (phone, then upload)."""
    rng = np.random.default_rng(seed + 7_919)
    photo = simulate_gallery_photo(image, seed)
    w, h = photo.size
    jitter = lambda: float(rng.uniform(0, 0.07))
    corners = [(0, 0), (w, 0), (w, h), (0, h)]
    moved = [(w * jitter(), h * jitter()), (w * (1 - jitter()), h * jitter()),
             (w * (1 - jitter()), h * (1 - jitter())), (w * jitter(), h * (1 - jitter()))]
    border = np.concatenate([np.asarray(photo)[[0, -1]].reshape(-1, 3), np.asarray(photo)[:, [0, -1]].reshape(-1, 3)])
    photo = photo.transform(photo.size, Image.PERSPECTIVE, _perspective_coeffs(corners, moved), Image.BICUBIC,
                            fillcolor=tuple(int(c) for c in np.median(border, axis=0)))
    # Cut off up to a fifth of the scene on some sides: the painting may touch the photo's edge.
    cuts = [float(rng.uniform(0, 0.2)) if rng.random() < 0.4 else float(rng.uniform(0, 0.04)) for _ in range(4)]
    photo = photo.crop((round(w * cuts[0]), round(h * cuts[1]), round(w * (1 - cuts[2])), round(h * (1 - cuts[3]))))
    pixels = np.asarray(photo, dtype=np.float32)
    ph, pw = pixels.shape[:2]
    # Gallery light: a colour cast and an exposure change.
    pixels *= rng.uniform(0.75, 1.15) * (1 + rng.uniform(-0.12, 0.12, 3))
    # Light falling off towards the corners.
    yy, xx = np.mgrid[0:ph, 0:pw]
    cy, cx = rng.uniform(0.3, 0.7) * ph, rng.uniform(0.3, 0.7) * pw
    falloff = ((yy - cy) / ph) ** 2 + ((xx - cx) / pw) ** 2
    pixels *= (1 - rng.uniform(0.1, 0.5) * falloff)[..., None]
    # A reflection across the glass: a soft, slanted bright band.
    angle, offset, width = rng.uniform(-1, 1), rng.uniform(0.1, 0.9), rng.uniform(0.05, 0.2)
    band = np.exp(-((xx / pw - offset - angle * (yy / ph - 0.5)) / width) ** 2)
    pixels += (rng.uniform(10, 60) * band)[..., None]
    pixels += rng.normal(0, rng.uniform(1, 6), pixels.shape)
    photo = Image.fromarray(pixels.clip(0, 255).astype(np.uint8))
    return _jpeg(photo, int(rng.integers(50, 85)))


def photo_view(image: Image.Image, position: int) -> Image.Image:
    """The feature-extraction view: one fixed simulated photo per corpus position."""
    return simulate_gallery_photo(image, seed=10_000 + position)


# --- the fix: find the painting in a photo -------------------------------------------

DETECT_SIZE = 160
UNIFORM_RING_SPREAD = 18.0  # a wall or frame is smooth; a painting's edge usually is not
MIN_MARGIN = 0.02  # a frame or wall shows on all four sides of a gallery photo
CORNER_REACH = 0.12  # how far (share of the box's side) a corner may lie from the box's: 5 degrees and a 6% keystone
MIN_SMOOTH_OUTSIDE = 0.8  # share of the cropped-off border that must match the smooth wall (Met: 12 of 174 cropped)


def _smooth_background(pixels: np.ndarray, ring: np.ndarray) -> np.ndarray:
    """The colour a wall would have at every pixel: a quadratic in (x, y) per channel, fitted to the
    pixels of the ring, so gallery light falling off across the wall is not taken for the painting."""
    height, width = pixels.shape[:2]
    yy, xx = np.mgrid[0:height, 0:width]
    y, x = yy / height - 0.5, xx / width - 0.5
    terms = np.stack([np.ones_like(x), x, y, x * x, y * y, x * y], axis=-1)
    coefficients, *_ = np.linalg.lstsq(terms[ring], pixels[ring], rcond=None)
    return terms @ coefficients


def _wall_differs(pixels: np.ndarray) -> np.ndarray | None:
    """Where the image differs from a smooth wall fitted to its border ring, or None when the border
    is not smooth (no wall around the image: a clean reproduction, or a painting cut off by the photo)."""
    height, width = pixels.shape[:2]
    ring = np.zeros((height, width), bool)
    ring[:2], ring[-2:], ring[:, :2], ring[:, -2:] = True, True, True, True
    background = _smooth_background(pixels, ring)
    spread = np.median(np.abs(pixels[ring] - background[ring]).max(axis=1))
    if spread > UNIFORM_RING_SPREAD:
        return None
    return np.abs(pixels - background).max(axis=2) > max(35.0, 4 * spread)


def _cut_off_is_wall(differs: np.ndarray, inside: np.ndarray) -> bool:
    """What a crop would cut off must be wall or frame, all of it smooth: a painting's own plain background
    (the yellow behind van Gogh's Irises) fits a smooth field along the edge but has flowers reaching into it."""
    outside = ~inside
    return bool(outside.any()) and 1 - differs[outside].mean() >= MIN_SMOOTH_OUTSIDE


def _inner_box(pixels: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) inside a smooth border that surrounds the image, else None."""
    differs = _wall_differs(pixels)
    return None if differs is None else _box_inside(differs)


def _box_inside(differs: np.ndarray) -> tuple[int, int, int, int] | None:
    height, width = differs.shape
    rows, cols = np.flatnonzero(differs.mean(axis=1) > 0.5), np.flatnonzero(differs.mean(axis=0) > 0.5)
    if len(rows) < 2 or len(cols) < 2:
        return None
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    margins = (top / height, 1 - bottom / height, left / width, 1 - right / width)
    area = (bottom - top) * (right - left) / (height * width)
    inside = np.zeros((height, width), bool)
    inside[top:bottom, left:right] = True
    return (top, bottom, left, right) if min(margins) >= MIN_MARGIN and 0.15 <= area and \
        _cut_off_is_wall(differs, inside) else None


def _quad_mask(corners: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    mask = Image.new("1", (shape[1], shape[0]), 0)
    ImageDraw.Draw(mask).polygon([tuple(c) for c in corners], fill=1)
    return np.asarray(mask, bool)


def _painting_corners(pixels: np.ndarray) -> np.ndarray | None:
    """The four corners (top-left, top-right, bottom-right, bottom-left; x, y) of what hangs on a smooth
    wall, when `_box_inside` finds it there, else None. A photo taken a little off-centre shows the painting
    rotated and in perspective; a box around it keeps wedges of frame and wall and cuts its corners, so
    the corners are found (the extremes of x + y and x - y of the largest region unlike the wall near the
    box: exact for any convex quadrilateral turned by less than 45 degrees) and the painting is unwarped.
    A corner far from the box's (a reflection or a shadow joined to the region) keeps the box's corner."""
    from scipy import ndimage  # only for photos with a wall around them

    differs = _wall_differs(pixels)
    box = None if differs is None else _box_inside(differs)
    if box is None:
        return None
    top, bottom, left, right = box
    reach = CORNER_REACH * max(bottom - top, right - left)
    window = np.zeros_like(differs)
    window[max(0, round(top - reach)):round(bottom + reach), max(0, round(left - reach)):round(right + reach)] = True
    regions, count = ndimage.label(ndimage.binary_opening(differs, iterations=1) & window)
    box_corners = np.array([[left, top], [right, top], [right, bottom], [left, bottom]], float)
    if count == 0:
        return box_corners
    largest = regions == 1 + np.argmax(np.bincount(regions.ravel())[1:])
    ys, xs = np.nonzero(largest)
    xs, ys = xs + 0.5, ys + 0.5
    corners = np.array([[xs[i], ys[i]] for i in (np.argmin(xs + ys), np.argmax(xs - ys), np.argmax(xs + ys),
                                                  np.argmax(ys - xs))])
    far = np.linalg.norm(corners - box_corners, axis=1) > reach
    corners[far] = box_corners[far]
    inside = _quad_mask(corners, differs.shape)
    return corners if _cut_off_is_wall(differs, inside) else box_corners


def _thumbnail(image: Image.Image) -> tuple[np.ndarray, float]:
    scale = DETECT_SIZE / max(image.size)
    small = image.resize((max(8, round(image.width * scale)), max(8, round(image.height * scale))), Image.BILINEAR)
    return np.asarray(small, dtype=float), scale


def _unwarp(image: Image.Image, corners: np.ndarray) -> Image.Image:
    """The quadrilateral `corners` of `image` as an upright rectangle of its own mean width and height."""
    tl, tr, br, bl = corners
    width = round((np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2)
    height = round((np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2)
    target = [(0, 0), (width, 0), (width, height), (0, height)]
    return image.transform((max(8, width), max(8, height)), Image.PERSPECTIVE,
                           _perspective_coeffs([tuple(c) for c in corners], target), Image.BICUBIC)


def find_painting(image: Image.Image) -> Image.Image:
    """Cut a photographed painting out of its wall (unwarped to a rectangle) and frame (cropped: after
    unwarping it is an upright uniform border); an image without such a border, like a clean
    reproduction, is returned unchanged."""
    small, scale = _thumbnail(image)
    corners = _painting_corners(small)
    if corners is None:
        return image
    painting = _unwarp(image, corners / scale)
    small, scale = _thumbnail(painting)
    box = _inner_box(small)  # the frame
    top, bottom, left, right = box if box is not None else (0, small.shape[0], 0, small.shape[1])
    # A small inset drops what is left of the frame's edge.
    inset_y, inset_x = 0.02 * (bottom - top), 0.02 * (right - left)
    return painting.crop((round((left + inset_x) / scale), round((top + inset_y) / scale),
                          round((right - inset_x) / scale), round((bottom - inset_y) / scale)))


FINDER_VERSION = 2  # 2: the painting is unwarped from its four corners (1: a box around it)


def _uses_finder(view):
    """Mark a view that runs `find_painting`: its cached features are keyed by the finder's version."""
    view.cache_version = f"finder-{FINDER_VERSION}"
    return view


@_uses_finder
def found_view(image: Image.Image, _position: int) -> Image.Image:
    """What `predict` sees: the painting found in the image."""
    return find_painting(image)


@_uses_finder
def photo_found_view(image: Image.Image, position: int) -> Image.Image:
    """What `predict` sees of a simulated gallery photo."""
    return find_painting(photo_view(image, position))


@_uses_finder
def visitor_photo_found_view(image: Image.Image, position: int) -> Image.Image:
    """What `predict` sees of a simulated visitor's photo (`simulate_visitor_photo`)."""
    return find_painting(simulate_visitor_photo(image, seed=20_000 + position))
