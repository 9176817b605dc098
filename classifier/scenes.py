"""Simulated visitors' photos for the recognition benchmark (issue 20): a painting hanging in a gallery, shot with
a phone, with the painting's outline in the photo known exactly.

Not the classifier's training augmentation (classifier/photo.py: small photos, a slight angle): these are whole
phone photos (long side about 1,800 px, a parameter) of a scene laid out on a wall plane and projected by a pinhole
camera, so the outline of every collection painting in view is its four corners pushed through the same homography.

- `mild_scene`: straight on (<= 5 degrees), a moulded frame with its shadow on a lit wall, sometimes a label card,
  glare on the varnish, a phone's sharpening and JPEG.
- `hard_scene`: a steep angle (25-45 degrees of yaw or pitch), 60-90% of the painting in view (the rest cut off by
  the photo's edge), a dim room (exposure 0.35-0.7 of the light, applied in linear light; sensor noise, a colour
  cast, vignetting), a visitor's head and shoulders in front (a dark, soft-edged silhouette hiding 10-25% of what
  is in view), hand shake (motion blur of 3-9 px), a label card on the wall beside it, and part of a neighbouring
  painting when one is given.
- `two_scene`: two paintings on one wall, the first larger and nearer the centre.
- `no_painting_photos`: everyday photos with no painting in them (the images bundled with scikit-image and
  scikit-learn, read from their installed files: no download), as they are and as phone JPEGs.
- `phone_jpeg`: the JPEG a phone writes: stored rotated with the EXIF Orientation tag that shows it upright, and
  the camera's make and model (which tell the classifier it is a photo: classifier/photo_calibration.py).

Everything is deterministic per seed (numpy's generator, OpenCV and PIL drawing).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

from classifier.photo import FRAMES, WALLS, _jpeg
from data.images import CAMERA_TAGS

KINDS = ("mild", "hard", "two", "no_painting")
ASPECT = 3 / 4  # a phone photo's short side over its long side
MAX_PAINTING_SIDE = 1600  # larger paintings are shrunk first (the photo never shows more pixels of them)
FLOORS = [(112, 78, 48), (150, 112, 72), (120, 118, 112), (70, 64, 60)]  # oak, light oak, stone, slate
OCCLUDER_COLOURS = [(38, 34, 36), (30, 38, 55), (55, 40, 35), (45, 48, 40), (70, 30, 35)]
CASTS = [(1.10, 1.0, 0.78), (1.05, 1.0, 0.86), (0.92, 1.0, 1.08), (0.96, 1.04, 0.90), (1.0, 1.0, 1.0)]


@dataclass(frozen=True)
class Scene:
    """A simulated photo and where the collection's paintings are in it."""

    photo: Image.Image  # RGB, phone-like
    kind: str  # "mild" | "hard" | "two" | "no_painting"
    outlines: tuple[np.ndarray, ...]  # float32 [4, 2] corners (tl, tr, br, bl; x, y in photo pixels, pixel edges
    # at integers: a painting filling the photo is (0, 0), (w, 0), (w, h), (0, h)); the first is the one meant
    params: dict = field(default_factory=dict, compare=False)  # what was drawn: angles, exposure, shares, ...


# --- geometry ----------------------------------------------------------------------------------------------------

def _translate(dx: float, dy: float) -> np.ndarray:
    return np.array([[1, 0, dx], [0, 1, dy], [0, 0, 1]], float)


def _project(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    points = np.asarray(points, float)
    homogeneous = np.column_stack([points, np.ones(len(points))]) @ matrix.T
    return homogeneous[:, :2] / homogeneous[:, 2:3]


def _camera(yaw: float, pitch: float, roll: float, distance: float, focal: float, size: tuple[int, int],
            look_at: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """The homography from the wall plane (x right, y down, in wall units) to the photo (pixel edges) of a pinhole
    camera `distance` units from `look_at`, turned `yaw` degrees round the vertical (positive: standing to the
    painting's right), `pitch` round the horizontal (positive: below it, looking up) and rolled `roll` degrees."""
    yaw, pitch = math.radians(yaw), math.radians(pitch)
    target = np.array([look_at[0], look_at[1], 0.0])
    away = np.array([math.sin(yaw) * math.cos(pitch), math.sin(pitch), -math.cos(yaw) * math.cos(pitch)])
    centre = target + distance * away
    forward = -away
    right = np.cross([0.0, 1.0, 0.0], forward)
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    rotation = np.stack([right, down, forward])
    width, height = size
    intrinsics = np.array([[focal, 0, width / 2], [0, focal, height / 2], [0, 0, 1]])
    matrix = intrinsics @ np.column_stack([rotation[:, 0], rotation[:, 1], -rotation @ centre])
    angle = math.radians(roll)
    spin = np.array([[math.cos(angle), -math.sin(angle), 0], [math.sin(angle), math.cos(angle), 0], [0, 0, 1]])
    matrix = _translate(width / 2, height / 2) @ spin @ _translate(-width / 2, -height / 2) @ matrix
    return matrix / matrix[2, 2]


def _rect(x: float, y: float, width: float, height: float) -> np.ndarray:
    return np.array([[x, y], [x + width, y], [x + width, y + height], [x, y + height]], float)


def visible_share(outline: np.ndarray, size: tuple[int, int]) -> float:
    """The share of the quadrilateral `outline` inside a photo of `size` (width, height)."""
    quad = np.asarray(outline, np.float32)
    area = abs(cv2.contourArea(quad))
    if area <= 0:
        return 0.0
    inside, _ = cv2.intersectConvexConvex(quad, _rect(0, 0, *size).astype(np.float32))
    return float(inside) / area


def _whole_in_view(points: np.ndarray, size: tuple[int, int], margin: float = 0.01) -> bool:
    inset = margin * max(size)
    return bool((points >= inset).all() and (points[:, 0] <= size[0] - inset).all()
                and (points[:, 1] <= size[1] - inset).all())


def _extent(outline: np.ndarray, size: tuple[int, int]) -> float:
    """How much of the photo the outline spans: the larger of its width and height shares."""
    span = outline.max(axis=0) - outline.min(axis=0)
    return float(max(span[0] / size[0], span[1] / size[1]))


def _fit_distance(yaw, pitch, roll, focal, size, corners, extent, look_at=(0.0, 0.0)) -> tuple[float, np.ndarray]:
    """The camera distance at which `corners` span `extent` of the photo, and its homography."""
    distance = focal * float(np.ptp(corners[:, 0])) / (extent * size[0])
    for _ in range(4):  # the projected size is about inversely proportional to the distance
        matrix = _camera(yaw, pitch, roll, distance, focal, size, look_at)
        distance *= _extent(_project(matrix, corners), size) / extent
    matrix = _camera(yaw, pitch, roll, distance, focal, size, look_at)
    return distance, matrix


def _centre_on(matrix: np.ndarray, corners: np.ndarray, point: tuple[float, float]) -> np.ndarray:
    """`matrix` moved in the photo so the projected `corners`' centre lands on `point` (as if the phone panned)."""
    middle = _project(matrix, corners).mean(axis=0)
    return _translate(point[0] - middle[0], point[1] - middle[1]) @ matrix


# --- what hangs on the wall ----------------------------------------------------------------------------------------

@dataclass
class _Piece:
    """An RGBA image on the wall: its top-left corner at `origin` (wall units), `scale` wall units per pixel."""

    rgba: np.ndarray
    origin: tuple[float, float]
    scale: float

    def to_wall(self) -> np.ndarray:
        return np.array([[self.scale, 0, self.origin[0]], [0, self.scale, self.origin[1]], [0, 0, 1]], float)


def _painting_array(painting: Image.Image) -> np.ndarray:
    image = painting.convert("RGB")
    if max(image.size) > MAX_PAINTING_SIDE:
        image = ImageOps.contain(image, (MAX_PAINTING_SIDE, MAX_PAINTING_SIDE), Image.LANCZOS)
    return np.asarray(image)


def _framed(painting: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, tuple[int, int], int]:
    """The painting in a moulded frame (lit from above: the top lighter, the bottom in shade), sometimes behind a
    mat, with the frame's shadow on the wall below it, as RGBA; the painting's top-left pixel in it; and how far
    the frame (with the mat) reaches beyond the painting."""
    height, width = painting.shape[:2]
    longest = max(width, height)
    frame = max(3, int(rng.uniform(0.035, 0.09) * longest))
    mat = int(rng.uniform(0.05, 0.1) * longest) if rng.random() < 0.2 else 0
    margin = int(0.1 * longest)
    outer_w, outer_h = width + 2 * (frame + mat), height + 2 * (frame + mat)
    rgba = np.zeros((outer_h + 2 * margin, outer_w + 2 * margin, 4), np.float32)
    # The shadow: the frame's box, lower and softer.
    shadow = np.zeros(rgba.shape[:2], np.float32)
    dx, dy = int(rng.uniform(-0.01, 0.015) * longest), int(rng.uniform(0.015, 0.035) * longest)
    shadow[margin + dy:margin + dy + outer_h, margin + dx:margin + dx + outer_w] = rng.uniform(0.35, 0.6)
    sigma = max(1.0, rng.uniform(0.012, 0.03) * longest)
    rgba[..., 3] = cv2.GaussianBlur(shadow, (0, 0), sigma)
    # The frame: a rounded moulding profile across its width, shaded per side.
    yy, xx = np.mgrid[0:outer_h, 0:outer_w].astype(np.float32)
    to_edge = np.stack([xx, outer_w - 1 - xx, yy, outer_h - 1 - yy])  # left, right, top, bottom
    side = to_edge.argmin(axis=0)
    depth = to_edge.min(axis=0) / frame  # 0 at the outer edge, 1 at the inner one
    profile = 0.72 + 0.45 * np.sin(np.pi * np.clip(depth, 0, 1) * 0.85 + 0.15) ** 0.6
    profile = np.where((depth > 0.82) & (depth < 1), profile * 0.72, profile)  # the slip's shadowed lip
    profile *= np.array([1.0, 0.8, 1.14, 0.66], np.float32)[side]
    colour = np.array(FRAMES[rng.integers(len(FRAMES))], np.float32) * rng.uniform(0.85, 1.1)
    grain = cv2.GaussianBlur(rng.normal(0, 1, (outer_h, outer_w)).astype(np.float32), (0, 0), 1.2) * 6
    framed = colour * profile[..., None] + grain[..., None]
    if mat:
        inner = (depth >= 1)
        framed[inner] = np.array((238, 234, 222), np.float32) * rng.uniform(0.92, 1.02)
    # The painting, with the frame's own shadow on its top edge.
    top, left = frame + mat, frame + mat
    shade = 1 - rng.uniform(0.15, 0.35) * np.exp(-np.arange(height, dtype=np.float32) / max(1.0, 0.012 * longest))
    framed[top:top + height, left:left + width] = painting.astype(np.float32) * shade[:, None, None]
    rgba[margin:margin + outer_h, margin:margin + outer_w, :3] = framed
    rgba[margin:margin + outer_h, margin:margin + outer_w, 3] = 1.0
    rgba[..., :3] = np.clip(rgba[..., :3], 0, 255)
    return rgba, (margin + left, margin + top), frame + mat


FIRST_NAMES = ["Anna", "Pieter", "Marie", "Jules", "Sofia", "Hendrik", "Clara", "Luis", "Ingrid", "Tomas"]
LAST_NAMES = ["Vermeulen", "Duval", "Lindqvist", "Moreau", "Castellano", "Bergmann", "Okafor", "Haas", "Rossi"]
NATIONS = ["Dutch", "French", "Swedish", "Spanish", "German", "Italian", "Flemish", "American", "Norwegian"]
TITLES = ["View of the Harbour", "Portrait of a Woman", "Still Life with Lemons", "The Mill at Dusk",
          "Young Girl Reading", "Landscape with Cattle", "The Orchard", "Study of Clouds", "Interior with a Lute"]
MEDIA = ["Oil on canvas", "Oil on wood", "Tempera on panel", "Oil on paper, laid down", "Watercolour"]


def _label_card(rng: np.random.Generator, width_units: float) -> tuple[np.ndarray, float]:
    """A museum label: a white card with the painter, nationality and dates, the title, the medium and a credit
    line in dark type, RGBA with a thin shadow; and its scale (wall units per card pixel)."""
    card_w, card_h = 640, int(640 * rng.uniform(0.55, 0.75))
    pad = 14
    image = Image.new("RGBA", (card_w + 2 * pad, card_h + 2 * pad), (0, 0, 0, 0))
    shadow = Image.new("L", image.size, 0)
    ImageDraw.Draw(shadow).rectangle([pad + 3, pad + 5, pad + card_w + 3, pad + card_h + 5], fill=110)
    image.putalpha(shadow.filter(ImageFilter.GaussianBlur(5)))
    draw = ImageDraw.Draw(image)
    paper = tuple(int(c) for c in np.array((247, 245, 239)) - rng.integers(0, 10))
    draw.rectangle([pad, pad, pad + card_w, pad + card_h], fill=paper + (255,))
    ink = (30, 28, 26, 255)
    birth = int(rng.integers(1500, 1900))
    lines = [(f"{FIRST_NAMES[rng.integers(len(FIRST_NAMES))]} {LAST_NAMES[rng.integers(len(LAST_NAMES))]}", 48, True),
             (f"{NATIONS[rng.integers(len(NATIONS))]}, {birth}\u2013{birth + int(rng.integers(30, 80))}", 32, False),
             (TITLES[rng.integers(len(TITLES))], 38, False),
             (f"{birth + int(rng.integers(20, 40))}, {MEDIA[rng.integers(len(MEDIA))].lower()}", 30, False),
             (f"Gift of the {LAST_NAMES[rng.integers(len(LAST_NAMES))]} family, {int(rng.integers(1900, 2020))}",
              26, False)]
    y = pad + 36
    for text, size, bold in lines:
        if y + size > pad + card_h - 20:
            break
        font = ImageFont.load_default(size=size)
        for offset in ((0, 0), (1, 0)) if bold else ((0, 0),):
            draw.text((pad + 36 + offset[0], y), text, font=font, fill=ink if size > 28 else (80, 78, 74, 255))
        y += int(size * 1.45)
    rgba = np.asarray(image, np.float32).copy()
    rgba[..., 3] /= 255
    return rgba, width_units / card_w


# --- rendering -----------------------------------------------------------------------------------------------------

def _wall(matrix: np.ndarray, size: tuple[int, int], rng: np.random.Generator, painting_box: np.ndarray,
          floor: bool) -> np.ndarray:
    """The wall (and the floor below it, when `floor`) as the photo sees it: the wall's colour lit by a spotlight
    above the painting, darkening downwards, with a faint uneven paint texture, all in wall coordinates."""
    width, height = size
    step = 4  # smooth: computed on a coarse grid, then enlarged
    gx, gy = np.meshgrid((np.arange(0, width + step, step) + 0.5), (np.arange(0, height + step, step) + 0.5))
    inverse = np.linalg.inv(matrix)
    points = np.stack([gx.ravel(), gy.ravel(), np.ones(gx.size)]).T @ inverse.T
    wx, wy = (points[:, :2] / points[:, 2:3]).T
    wx, wy = wx.reshape(gx.shape), wy.reshape(gx.shape)
    (x0, y0), (x1, y1) = painting_box.min(axis=0), painting_box.max(axis=0)
    unit = max(x1 - x0, y1 - y0)
    cx, top = (x0 + x1) / 2, y0
    light = 0.78 + rng.uniform(0.25, 0.45) * np.exp(-((wx - cx) / (1.1 * unit)) ** 2
                                                    - ((wy - top - 0.25 * unit) / (0.9 * unit)) ** 2)
    light -= rng.uniform(0.0, 0.12) * (wy - top) / unit
    for _ in range(3):  # uneven paint and plaster
        kx, ky = rng.uniform(-6, 6, 2) / unit
        light += rng.uniform(0.004, 0.012) * np.sin(kx * wx + ky * wy + rng.uniform(0, 2 * np.pi))
    base = np.array(WALLS[rng.integers(len(WALLS))], np.float32) + rng.integers(-12, 13, 3)
    wall = base * light[..., None]
    if floor:
        floor_y = y1 + rng.uniform(0.6, 1.1) * (y1 - y0)
        skirting = floor_y - rng.uniform(0.04, 0.08) * (y1 - y0)
        board = np.clip(base * 0.8, 0, 255) if rng.random() < 0.5 else np.array((236, 234, 228), np.float32)
        wall = np.where((wy > skirting)[..., None], board * light[..., None], wall)
        ground = np.array(FLOORS[rng.integers(len(FLOORS))], np.float32)
        wall = np.where((wy > floor_y)[..., None], ground * (0.7 + 0.2 * light[..., None]), wall)
    wall = cv2.resize(wall.astype(np.float32), (gx.shape[1] * step, gx.shape[0] * step), interpolation=cv2.INTER_LINEAR)
    return wall[:height, :width]


def _place(canvas: np.ndarray, piece: _Piece, matrix: np.ndarray) -> None:
    """Draw `piece` on `canvas` through `matrix` (wall -> photo), where it lands only."""
    height, width = canvas.shape[:2]
    ph, pw = piece.rgba.shape[:2]
    box = _project(matrix @ piece.to_wall(), _rect(0, 0, pw, ph))
    x0, y0 = np.clip(np.floor(box.min(axis=0)).astype(int) - 2, 0, (width, height))
    x1, y1 = np.clip(np.ceil(box.max(axis=0)).astype(int) + 2, 0, (width, height))
    if x1 <= x0 or y1 <= y0:
        return
    # cv2 puts pixel centres at integers; the wall's and the photo's coordinates put pixel edges there.
    to_photo = _translate(-0.5 - x0, -0.5 - y0) @ matrix @ piece.to_wall() @ _translate(0.5, 0.5)
    premultiplied = np.concatenate([piece.rgba[..., :3] * piece.rgba[..., 3:], piece.rgba[..., 3:]], axis=2)
    warped = cv2.warpPerspective(premultiplied, to_photo, (int(x1 - x0), int(y1 - y0)), flags=cv2.INTER_CUBIC,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    alpha = np.clip(warped[..., 3:], 0, 1)
    region = canvas[y0:y1, x0:x1]
    region *= 1 - alpha
    region += warped[..., :3]


def _quad_mask(outline: np.ndarray, size: tuple[int, int], scale: float = 1.0) -> np.ndarray:
    width, height = size
    mask = np.zeros((max(1, round(height * scale)), max(1, round(width * scale))), np.uint8)
    cv2.fillConvexPoly(mask, np.round((outline * scale - 0.5) * 16).astype(np.int32), 255, cv2.LINE_AA, shift=4)
    return mask.astype(np.float32) / 255


def _glare(canvas: np.ndarray, outline: np.ndarray, rng: np.random.Generator, strength: tuple[float, float]) -> None:
    """A spotlight's soft reflection on the varnish: brighter towards white, inside the painting only."""
    height, width = canvas.shape[:2]
    u, v = rng.uniform(0.15, 0.85, 2)
    tl, tr, br, bl = outline
    centre = (1 - v) * ((1 - u) * tl + u * tr) + v * ((1 - u) * bl + u * br)
    radius = rng.uniform(0.06, 0.2) * float(np.ptp(outline[:, 0]))
    squash, peak = rng.uniform(0.5, 1), rng.uniform(*strength)
    x0, y0 = np.clip(np.floor(outline.min(axis=0)).astype(int), 0, (width, height))
    x1, y1 = np.clip(np.ceil(outline.max(axis=0)).astype(int), 0, (width, height))
    if x1 <= x0 or y1 <= y0:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32) + 0.5
    spot = np.exp(-(((xx - centre[0]) / radius) ** 2 + ((yy - centre[1]) / (radius * squash)) ** 2))
    spot *= _quad_mask(outline - (x0, y0), (x1 - x0, y1 - y0)) * peak
    region = canvas[y0:y1, x0:x1]
    region += (255 - region).clip(0) * spot[..., None]


def _visitor(size: tuple[int, int], painting_mask: np.ndarray, share: float,
             rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """A visitor's head and shoulders rising from the photo's bottom edge (close to the lens, so soft-edged),
    raised until it hides about `share` of the painting's visible area; (mask 0-1 at the photo's size, share)."""
    width, height = size
    small = 0.25
    sw, sh = round(width * small), round(height * small)
    seen = cv2.resize(painting_mask, (sw, sh), interpolation=cv2.INTER_AREA)
    cols = np.flatnonzero(seen.max(axis=0) > 0.5)
    head = rng.uniform(0.05, 0.075) * max(sw, sh)  # the head's half-width: a visitor about a metre away
    x = cols[0] + rng.uniform(0.2, 0.8) * (cols[-1] - cols[0]) if len(cols) else sw / 2
    lean = rng.uniform(-0.4, 0.4) * head
    blur = rng.uniform(0.006, 0.012) * max(sw, sh)
    tilt = rng.uniform(-8, 8)

    def silhouette(rise: float) -> np.ndarray:
        mask = np.zeros((sh, sw), np.float32)
        top = sh - rise
        centre = (int(round(x)), int(round(top + 1.3 * head)))
        cv2.ellipse(mask, centre, (int(head), int(1.3 * head)), tilt, 0, 360, 1.0, -1, cv2.LINE_AA)
        neck_y = top + 2.3 * head
        cv2.rectangle(mask, (int(x - 0.45 * head), int(top + 1.8 * head)), (int(x + 0.45 * head), int(neck_y + head)),
                      1.0, -1)
        shoulders = (int(round(x + lean)), int(round(neck_y + 1.6 * head)))
        cv2.ellipse(mask, shoulders, (int(2.9 * head), int(1.3 * head)), 0, 180, 360, 1.0, -1, cv2.LINE_AA)
        cv2.rectangle(mask, (int(x + lean - 2.9 * head), shoulders[1]), (int(x + lean + 2.9 * head), sh), 1.0, -1)
        return cv2.GaussianBlur(mask, (0, 0), blur)

    total = float(seen.sum()) or 1.0
    low, high = 0.0, float(sh) + 4 * head
    for _ in range(18):
        rise = (low + high) / 2
        if float((silhouette(rise) * seen).sum()) / total < share:
            low = rise
        else:
            high = rise
    mask = silhouette((low + high) / 2)
    hidden = float((mask * seen).sum()) / total
    return cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR), hidden


def _motion_blur(canvas: np.ndarray, length: float, angle: float) -> np.ndarray:
    """Hand shake: a line kernel of `length` pixels at `angle` degrees."""
    size = int(math.ceil(length)) | 1
    scale = 8  # drawn larger, anti-aliased, then reduced: sub-pixel lengths
    kernel = np.zeros((size * scale, size * scale), np.float32)
    middle = size * scale / 2
    dx, dy = math.cos(math.radians(angle)) * length * scale / 2, math.sin(math.radians(angle)) * length * scale / 2
    cv2.line(kernel, (int(middle - dx), int(middle - dy)), (int(middle + dx), int(middle + dy)), 1.0, scale,
             cv2.LINE_AA)
    kernel = cv2.resize(kernel, (size, size), interpolation=cv2.INTER_AREA)
    return cv2.filter2D(canvas, -1, kernel / kernel.sum(), borderType=cv2.BORDER_REFLECT)


def _light_and_sensor(canvas: np.ndarray, rng: np.random.Generator, exposure: float, cast, vignette: float,
                      noise: float) -> np.ndarray:
    """The room's light and the phone's sensor: exposure and colour cast, light falling off to the corners, then
    luminance noise (fine grain) and chroma noise (blotches, as a phone's denoiser leaves them)."""
    height, width = canvas.shape[:2]
    yy, xx = np.mgrid[0:height:8, 0:width:8].astype(np.float32)
    falloff = 1 - vignette * (((xx / width - 0.5) ** 2 + (yy / height - 0.5) ** 2) / 0.5)
    falloff = cv2.resize(falloff, (width, height), interpolation=cv2.INTER_LINEAR)
    gain = (exposure * falloff)[..., None] * np.asarray(cast, np.float32)  # light: applied in linear light
    canvas = 255 * ((np.clip(canvas, 0, 255) / 255) ** 2.2 * gain) ** (1 / 2.2)
    if noise > 0:
        grain = rng.normal(0, noise, (height // 2 + 1, width // 2 + 1)).astype(np.float32)
        canvas += cv2.resize(grain, (width, height), interpolation=cv2.INTER_LINEAR)[..., None]
        chroma = rng.normal(0, noise * 0.6, (height // 4 + 1, width // 4 + 1, 3)).astype(np.float32)
        canvas += cv2.resize(chroma, (width, height), interpolation=cv2.INTER_CUBIC)
    return canvas


def _photo_size(side: int, portrait: bool) -> tuple[int, int]:
    short = int(round(side * ASPECT))
    return (short, side) if portrait else (side, short)


def _finish(canvas: np.ndarray, quality: int, sharpen: bool) -> Image.Image:
    image = Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8))
    if sharpen:  # a phone's processing
        image = image.filter(ImageFilter.UnsharpMask(radius=2, percent=50, threshold=2))
    return _jpeg(image, quality)


def _focal(size: tuple[int, int], rng: np.random.Generator) -> float:
    return max(size) * rng.uniform(0.68, 0.8)  # a phone's main camera: about 26 mm equivalent


# --- the scenes ----------------------------------------------------------------------------------------------------

def _hang_label(canvas: np.ndarray, matrix: np.ndarray, corners: np.ndarray, rng: np.random.Generator, side: int,
                border: float) -> float:
    """A label card on the wall beside the painting (`side` 1: right of it, -1: left), `border` being the frame's
    reach beyond the painting, its top near the painting's lower third; returns the card's far edge (wall x)."""
    (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
    longest = max(x1 - x0, y1 - y0)
    card, scale = _label_card(rng, rng.uniform(0.14, 0.2) * longest)
    card_w = card.shape[1] * scale
    near = (x1 if side > 0 else x0) + side * (border + rng.uniform(0.06, 0.12) * longest)
    left = near if side > 0 else near - card_w
    top = y0 + rng.uniform(0.55, 0.75) * (y1 - y0)
    _place(canvas, _Piece(card, (left, top), scale), matrix)
    return near + side * card_w


def mild_scene(painting: Image.Image, seed: int, side: int = 1800) -> Scene:
    """Straight on (at most 5 degrees), the whole painting in its frame on a lit wall, glare, a phone's JPEG."""
    rng = np.random.default_rng([seed, 1])
    pixels = _painting_array(painting)
    height, width = pixels.shape[:2]
    portrait = height > width if rng.random() < 0.85 else height <= width
    size = _photo_size(side, portrait)
    framed, (px, py), border = _framed(pixels, rng)
    corners = _rect(-width / 2, -height / 2, width, height)
    yaw, pitch, roll = rng.uniform(-5, 5), rng.uniform(-5, 5), rng.uniform(-3, 3)
    focal = _focal(size, rng)
    extent = rng.uniform(0.45, 0.72)
    _, matrix = _fit_distance(yaw, pitch, roll, focal, size, corners, extent)
    aim = (size[0] * rng.uniform(0.45, 0.55), size[1] * rng.uniform(0.45, 0.55))
    matrix = _centre_on(matrix, corners, aim)
    canvas = _wall(matrix, size, rng, corners, floor=rng.random() < 0.3)
    if rng.random() < 0.5:
        _hang_label(canvas, matrix, corners, rng, 1 if rng.random() < 0.7 else -1, border)
    _place(canvas, _Piece(framed, (-px - width / 2, -py - height / 2), 1.0), matrix)
    outline = _project(matrix, corners)
    _glare(canvas, outline, rng, (0.25, 0.6))
    exposure = rng.uniform(0.88, 1.08)
    cast = tuple(1 + (c - 1) * 0.4 for c in CASTS[rng.integers(len(CASTS))])  # white balance mostly corrects it
    canvas = _light_and_sensor(canvas, rng, exposure, cast, rng.uniform(0.05, 0.2), rng.uniform(0.8, 2.5))
    quality = int(rng.integers(80, 93))
    return Scene(_finish(canvas, quality, sharpen=True), "mild", (outline.astype(np.float32),),
                 {"yaw": yaw, "pitch": pitch, "roll": roll, "extent": extent, "exposure": exposure,
                  "jpeg_quality": quality})


def _pan_until(matrix: np.ndarray, corners: np.ndarray, size: tuple[int, int], keep: float,
               direction: np.ndarray) -> np.ndarray:
    """`matrix` panned along `direction` (photo pixels) until `keep` of `corners` is in view."""
    low, high = 0.0, 2.0 * max(size)
    for _ in range(40):
        middle = (low + high) / 2
        if visible_share(_project(_translate(*(direction * middle)) @ matrix, corners), size) > keep:
            low = middle
        else:
            high = middle
    return _translate(*(direction * (low + high) / 2)) @ matrix


def _hang_beside(matrix: np.ndarray, size: tuple[int, int], edge: float, side: int, drop: float,
                 extent: tuple[float, float], nearest: float, spread: float, target: float) -> np.ndarray:
    """The corners of a neighbour of `extent` (wall units) hung beside the painting's `edge` on `side`, its middle
    `drop` below the painting's, at a gap from `nearest` to `nearest + spread` chosen so that about `target` of it is
    in view: its share falls as it hangs further away until the gap is a gallery's spacing, and on the wall
    receding from the phone it may show whole."""
    width, height = extent

    def hung(gap: float) -> np.ndarray:
        return _rect(edge + gap if side > 0 else edge - gap - width, drop - height / 2, width, height)

    low, high = nearest, nearest + spread
    for _ in range(30):
        middle = (low + high) / 2
        if visible_share(_project(matrix, hung(middle)), size) > target:
            low = middle
        else:
            high = middle
    return hung((low + high) / 2)


def hard_scene(painting: Image.Image, seed: int, side: int = 1800, neighbour: Image.Image | None = None,
               neighbour_in_collection: bool = False) -> Scene:
    """A steep angle, part of the painting cut off by the photo's edge, a dim room, a visitor in front, hand
    shake, a label card beside it and, when `neighbour` is given, part of that painting hanging next to it (its
    outline is the second when `neighbour_in_collection` and some of it is in view)."""
    rng = np.random.default_rng([seed, 2])
    pixels = _painting_array(painting)
    height, width = pixels.shape[:2]
    portrait = height > width if rng.random() < 0.7 else height <= width
    size = _photo_size(side, portrait)
    framed, (px, py), border = _framed(pixels, rng)
    corners = _rect(-width / 2, -height / 2, width, height)
    steep = rng.uniform(25, 45) * (1 if rng.random() < 0.5 else -1)
    if rng.random() < 0.7:  # from one side
        yaw, pitch = steep, rng.uniform(-10, 10)
    else:  # from below (or above)
        yaw, pitch = rng.uniform(-10, 10), steep
    roll = rng.uniform(-8, 8)
    focal = _focal(size, rng)
    extent = rng.uniform(0.7, 0.95)
    _, matrix = _fit_distance(yaw, pitch, roll, focal, size, corners, extent)
    matrix = _centre_on(matrix, corners, (size[0] / 2, size[1] / 2))
    keep = rng.uniform(0.6, 0.9)  # of the painting in view: the phone pans until the rest is cut off
    angle = rng.uniform(0, 2 * np.pi)
    direction = np.array([math.cos(angle), math.sin(angle)])
    matrix = _pan_until(matrix, corners, size, keep, direction)
    outline = _project(matrix, corners)
    # The painting moved towards `direction`: the wall on the other side of it is in view.
    towards = -1 if direction[0] > 0 else 1
    canvas = _wall(matrix, size, rng, corners, floor=rng.random() < 0.5)
    label_far = _hang_label(canvas, matrix, corners, rng, towards, border)
    outlines = [outline]
    params = {"yaw": yaw, "pitch": pitch, "roll": roll, "in_view": visible_share(outline, size),
              "cut_towards_degrees": math.degrees(angle)}
    if neighbour is not None:
        other = _painting_array(neighbour)
        oh, ow = other.shape[:2]
        other_framed, (ox, oy), other_border = _framed(other, rng)
        edge = width / 2 if towards > 0 else -width / 2
        target, drop, scale = rng.uniform(0.15, 0.5), rng.uniform(-0.15, 0.15), height * rng.uniform(0.7, 1.1) / oh
        main_seen = abs(cv2.contourArea(outline.astype(np.float32))) * params["in_view"]
        for _ in range(12):  # smaller until less of it shows than of the painting meant
            placed = _hang_beside(matrix, size, edge, towards, drop * height, (ow * scale, oh * scale),
                                  abs(label_far - edge) + other_border * scale + 0.08 * max(width, height),
                                  0.6 * max(width, height), target)
            seen = _project(matrix, placed)
            if abs(cv2.contourArea(seen.astype(np.float32))) * visible_share(seen, size) < 0.7 * main_seen:
                break
            scale *= 0.85
        _place(canvas, _Piece(other_framed, (placed[0, 0] - ox * scale, placed[0, 1] - oy * scale), scale), matrix)
        other_outline = _project(matrix, placed)
        params["neighbour_in_view"] = visible_share(other_outline, size)
        if neighbour_in_collection and params["neighbour_in_view"] > 0:
            outlines.append(other_outline)
    _place(canvas, _Piece(framed, (-px - width / 2, -py - height / 2), 1.0), matrix)
    if rng.random() < 0.5:
        _glare(canvas, outline, rng, (0.2, 0.5))
    # The visitor in front, then the shake (it blurs everything), the dim room and the sensor.
    mask, hidden = _visitor(size, _quad_mask(outline, size), rng.uniform(0.1, 0.25), rng)
    person = np.array(OCCLUDER_COLOURS[rng.integers(len(OCCLUDER_COLOURS))], np.float32)
    shading = np.linspace(1.3, 0.8, size[1], dtype=np.float32)[:, None, None]  # a little light on the head
    canvas = canvas * (1 - mask[..., None]) + (person * shading) * mask[..., None]
    blur, blur_angle = rng.uniform(3, 9), rng.uniform(0, 180)
    canvas = _motion_blur(canvas, blur, blur_angle)
    exposure = rng.uniform(0.35, 0.7)
    cast = CASTS[rng.integers(len(CASTS) - 1)]  # never neutral
    noise = rng.uniform(3, 7) * (0.7 / exposure) ** 0.5  # a dim room: the phone raises the gain
    canvas = _light_and_sensor(canvas, rng, exposure, cast, rng.uniform(0.15, 0.4), noise)
    quality = int(rng.integers(70, 89))
    params.update({"hidden_by_visitor": hidden, "motion_blur_px": blur, "exposure": exposure, "cast": cast,
                   "noise": noise, "jpeg_quality": quality})
    return Scene(_finish(canvas, quality, sharpen=False), "hard", tuple(o.astype(np.float32) for o in outlines),
                 params)


def two_scene(first: Image.Image, second: Image.Image, seed: int, side: int = 1800) -> Scene:
    """Two paintings on one wall, both whole in view: `first` larger and nearer the photo's centre."""
    rng = np.random.default_rng([seed, 3])
    a, b = _painting_array(first), _painting_array(second)
    ah, aw = a.shape[:2]
    bh, bw = b.shape[:2]
    size = _photo_size(side, portrait=False)
    b_scale = min(ah * rng.uniform(0.55, 0.8) / bh, 0.75 * math.sqrt(ah * aw / (bh * bw)))  # smaller in area too
    a_framed, (ax, ay), a_border = _framed(a, rng)
    b_framed, (bx, by), b_border = _framed(b, rng)
    side_of_b = 1 if rng.random() < 0.5 else -1
    gap = a_border + b_border * b_scale + rng.uniform(0.15, 0.4) * max(aw, ah)
    b_left = aw / 2 + gap if side_of_b > 0 else -aw / 2 - gap - bw * b_scale
    b_top = rng.uniform(-0.1, 0.1) * ah - bh * b_scale / 2
    a_corners = _rect(-aw / 2, -ah / 2, aw, ah)
    b_corners = _rect(b_left, b_top, bw * b_scale, bh * b_scale)
    both = np.concatenate([a_corners, b_corners])
    yaw, pitch, roll = rng.uniform(-8, 8), rng.uniform(-5, 5), rng.uniform(-3, 3)
    focal = _focal(size, rng)
    extent = rng.uniform(0.75, 0.9)
    for _ in range(12):  # aimed at the first, pulled towards the second just enough for both to be whole in view
        _, matrix = _fit_distance(yaw, pitch, roll, focal, size, both, extent)
        for pull in np.linspace(0.0, 0.45, 10):
            aim = a_corners.mean(axis=0) * (1 - pull) + b_corners.mean(axis=0) * pull
            placed = _centre_on(matrix, np.array([aim]), (size[0] / 2, size[1] / 2))
            if _whole_in_view(_project(placed, both), size):
                break
        else:
            extent *= 0.92
            continue
        break
    matrix = placed
    canvas = _wall(matrix, size, rng, both, floor=rng.random() < 0.3)
    _place(canvas, _Piece(b_framed, (b_left - bx * b_scale, b_top - by * b_scale), b_scale), matrix)
    _place(canvas, _Piece(a_framed, (-aw / 2 - ax, -ah / 2 - ay), 1.0), matrix)
    outlines = (_project(matrix, a_corners), _project(matrix, b_corners))
    _glare(canvas, outlines[rng.integers(2)], rng, (0.2, 0.5))
    exposure = rng.uniform(0.8, 1.05)
    cast = tuple(1 + (c - 1) * 0.5 for c in CASTS[rng.integers(len(CASTS))])
    canvas = _light_and_sensor(canvas, rng, exposure, cast, rng.uniform(0.1, 0.25), rng.uniform(1, 3))
    quality = int(rng.integers(78, 92))
    return Scene(_finish(canvas, quality, sharpen=True), "two", tuple(o.astype(np.float32) for o in outlines),
                 {"yaw": yaw, "pitch": pitch, "roll": roll, "second_side": side_of_b, "exposure": exposure,
                  "jpeg_quality": quality})


# --- photos with no painting ---------------------------------------------------------------------------------------

# The images bundled in scikit-image's own folder (skimage/data/*, read as files: skimage.data's loaders would
# fetch anything missing with pooch, which is never called here). Everyday photographs and scans a visitor might
# show: people, a pet, objects, coins, pages of text, textures of a room, the sky.
SKIMAGE_PHOTOS = ("astronaut.png", "brick.png", "camera.png", "chelsea.png", "clock_motion.png", "coffee.png",
                  "coins.png", "grass.png", "gravel.png", "horse.png", "hubble_deep_field.jpg", "moon.png",
                  "motorcycle_left.png", "page.png", "rocket.jpg", "text.png")
# Bundled too, but not a photo a visitor takes (with `extra=True`: harder non-paintings for a stricter set):
# a colour wheel, the scikit-image logo, a synthetic phantom, a chessboard and microscope / fundus images.
SKIMAGE_EXTRA = ("color.png", "logo.png", "phantom.png", "chessboard_RGB.png", "cell.png", "ihc.png", "retina.jpg")
# Left out: motorcycle_right (the stereo twin of motorcycle_left), microaneurysms (102 px), the 14x25 px GIF,
# the 10x15 px multipage TIFFs and lfw_subset.npy (25 px faces): too small or duplicates.
SKLEARN_PHOTOS = ("china.jpg", "flower.jpg")  # sklearn.datasets.load_sample_images reads these files


def _skimage_folder() -> Path:
    import skimage

    return Path(skimage.__file__).parent / "data"


def _sklearn_folder() -> Path:
    import sklearn.datasets

    return Path(sklearn.datasets.__file__).parent / "images"


def _as_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
        return flat
    return image.convert("RGB")


def _phone_copy(image: Image.Image, side: int, seed: int) -> Image.Image:
    """The image as a phone photo of it would come: enlarged to `side`, a little noise, sharpened, JPEG."""
    rng = np.random.default_rng([seed, 4])
    scale = side / max(image.size)
    big = image.resize((round(image.width * scale), round(image.height * scale)), Image.BICUBIC)
    pixels = _light_and_sensor(np.asarray(big, np.float32), rng, rng.uniform(0.92, 1.05), (1.0, 1.0, 1.0),
                               rng.uniform(0.05, 0.15), rng.uniform(1.0, 2.5))
    return _finish(pixels, int(rng.integers(82, 93)), sharpen=True)


def no_painting_photos(side: int = 1800, extra: bool = False) -> list[tuple[str, Image.Image]]:
    """Everyday photos with no painting in them, read offline from the files scikit-image and scikit-learn
    install: 18 images (16 of scikit-image's, scikit-learn's china and flower), each as it is and as a phone
    JPEG with a long side of `side` px ("NAME (phone)"): 36 photos; `extra` adds 7 images that are no photo a
    visitor takes (a colour wheel, a logo, microscope images, ...): 50."""
    files = [_skimage_folder() / name for name in SKIMAGE_PHOTOS + (SKIMAGE_EXTRA if extra else ())]
    files += [_sklearn_folder() / name for name in SKLEARN_PHOTOS]
    photos = []
    for number, path in enumerate(files):
        with Image.open(path) as opened:
            image = _as_rgb(opened)
        name = path.stem
        photos += [(name, image), (f"{name} (phone)", _phone_copy(image, side, number))]
    return photos


def no_painting_scene(name: str, image: Image.Image) -> Scene:
    """A photo with no painting as a Scene (no outlines)."""
    return Scene(image, "no_painting", (), {"name": name})


# --- a phone's JPEG: EXIF orientation and camera --------------------------------------------------------------------

# What to do to the upright pixels so that a viewer applying the tag (PIL.ImageOps.exif_transpose) shows them
# upright again: the inverse of the viewer's transpose for each Orientation value (2-8).
_STORED = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
           5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE,
           8: Image.Transpose.ROTATE_270}
EXIF_ORIENTATION = 0x0112


PHONE = ("Google", "Pixel 7a")  # EXIF Make and Model (data/images.py CAMERA_TAGS)


def phone_jpeg(photo: Image.Image, orientation: int = 1, quality: int = 92) -> bytes:
    """A JPEG as a phone writes it: the pixels stored turned (as a phone held sideways stores them) with the EXIF
    Orientation tag (1-8) set so that a viewer honouring EXIF shows `photo` upright, and the camera named."""
    if orientation not in range(1, 9):
        raise ValueError(f"EXIF orientation is 1-8, not {orientation}")
    stored = photo.convert("RGB")
    if orientation != 1:
        stored = stored.transpose(_STORED[orientation])
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = orientation
    exif[CAMERA_TAGS[0]], exif[CAMERA_TAGS[1]] = PHONE
    buffer = io.BytesIO()
    stored.save(buffer, format="JPEG", quality=quality, exif=exif.tobytes())
    return buffer.getvalue()
