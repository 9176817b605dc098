"""Visitors' photos of paintings hanging in a gallery, for the recognition benchmark (`museum bench match`): unlike
classifier/photo.py's views (the classifier's training augmentation, at the 256 px it sees), these are phone photos
at a phone's resolution, with what a visitor's photo holds: a wall, a frame, a label card, a steep angle, part of
the painting out of view, a head in front, a dim room, hand shake. Each scene knows where its collection paintings
are (their outlines), so a benchmark can check what was recognised and where.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from classifier.photo import FRAMES, WALLS


@dataclass(frozen=True)
class Scene:
    photo: Image.Image
    kind: str  # "mild", "hard", "two"
    outlines: tuple[np.ndarray, ...]  # float32 [4, 2] corners (tl, tr, br, bl) of each collection painting in view


def _framed(image: Image.Image, rng: np.random.Generator, height: int) -> Image.Image:
    scale = height / image.height
    image = image.resize((max(8, round(image.width * scale)), height), Image.Resampling.BICUBIC)
    border = max(4, int(rng.uniform(0.03, 0.07) * height))
    framed = Image.new("RGB", (image.width + 2 * border, image.height + 2 * border), FRAMES[rng.integers(len(FRAMES))])
    framed.paste(image, (border, border))
    return framed, border


def _warp(canvas: np.ndarray, image: Image.Image, place: np.ndarray) -> None:
    """Paint `image` onto `canvas` (in place) on the quadrilateral `place`."""
    import cv2

    source = np.asarray(image)
    h, w = source.shape[:2]
    transform = cv2.getPerspectiveTransform(np.float32([[0, 0], [w, 0], [w, h], [0, h]]), np.float32(place))
    size = (canvas.shape[1], canvas.shape[0])
    warped = cv2.warpPerspective(source, transform, size, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), transform, size) > 127
    canvas[mask] = warped[mask]


def _inner(place: np.ndarray, framed_size: tuple[int, int], border: int) -> np.ndarray:
    """The painting's own corners inside its frame's quadrilateral `place`."""
    import cv2

    w, h = framed_size
    transform = cv2.getPerspectiveTransform(np.float32([[0, 0], [w, 0], [w, h], [0, h]]), np.float32(place))
    corners = np.float32([[border, border], [w - border, border], [w - border, h - border], [border, h - border]])
    return cv2.perspectiveTransform(corners[None], transform)[0]


def _quad(centre: tuple[float, float], width: float, height: float, yaw: float, pitch: float) -> np.ndarray:
    """A rectangle seen turned by `yaw` (left/right, -1..1: the far side shrinks) and `pitch` (up/down)."""
    cx, cy = centre
    left, right = (1 + yaw) / 2, (1 - yaw) / 2  # a turned painting: the far edge is shorter
    top, bottom = (1 - pitch) / 2, (1 + pitch) / 2
    half_w, half_h = width / 2, height / 2
    squeeze = 1 - 0.35 * abs(yaw)  # and narrower as a whole
    return np.float32([
        [cx - half_w * squeeze, cy - half_h * (0.5 + left) * (0.5 + top)],
        [cx + half_w * squeeze, cy - half_h * (0.5 + right) * (0.5 + top)],
        [cx + half_w * squeeze, cy + half_h * (0.5 + right) * (0.5 + bottom)],
        [cx - half_w * squeeze, cy + half_h * (0.5 + left) * (0.5 + bottom)],
    ])


def _wall(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    colour = np.array(WALLS[rng.integers(len(WALLS))], np.float32) + rng.integers(-15, 16, 3)
    height, width = size[1], size[0]
    yy, xx = np.mgrid[0:height, 0:width]
    light = 1 - 0.25 * (((xx / width - rng.uniform(0.3, 0.7)) ** 2) + ((yy / height - rng.uniform(0.2, 0.5)) ** 2))
    return (colour[None, None, :] * light[..., None]).clip(0, 255).astype(np.uint8)


def _label_card(canvas: np.ndarray, rng: np.random.Generator, near: np.ndarray) -> None:
    """A museum label: a white card with a few lines of dark text on the wall beside the painting."""
    import cv2

    height, width = canvas.shape[:2]
    card_w, card_h = int(width * 0.12), int(width * 0.07)
    x = int(min(width - card_w - 5, max(5, near[:, 0].max() + width * 0.03)))
    y = int(min(height - card_h - 5, max(5, near[:, 1].mean())))
    cv2.rectangle(canvas, (x, y), (x + card_w, y + card_h), (245, 243, 236), -1)
    words = ["Oil on canvas", "Gift of a friend", "Room 12", "1890-1902", "Bequest"]
    for line in range(4):
        text = words[int(rng.integers(len(words)))]
        cv2.putText(canvas, text, (x + 6, y + 14 + line * card_h // 5), cv2.FONT_HERSHEY_SIMPLEX,
                    card_h / 180, (40, 40, 40), 1, cv2.LINE_AA)


def _photographed(canvas: np.ndarray, rng: np.random.Generator, dim: tuple[float, float], noise: float,
                  shake: int) -> Image.Image:
    import cv2

    pixels = canvas.astype(np.float32) * rng.uniform(*dim) * (1 + rng.uniform(-0.08, 0.08, 3))
    if shake > 1:
        kernel = np.zeros((shake, shake), np.float32)
        kernel[shake // 2, :] = 1 / shake
        angle = float(rng.uniform(0, 180))
        rotation = cv2.getRotationMatrix2D((shake / 2 - 0.5, shake / 2 - 0.5), angle, 1)
        kernel = cv2.warpAffine(kernel, rotation, (shake, shake))
        pixels = cv2.filter2D(pixels, -1, kernel / max(kernel.sum(), 1e-6))
    pixels += rng.normal(0, noise, pixels.shape)
    return Image.fromarray(pixels.clip(0, 255).astype(np.uint8))


def mild_scene(painting: Image.Image, seed: int, side: int = 1800) -> Scene:
    """Straight on (a few degrees), frame and wall around it, glare, a phone's JPEG."""
    rng = np.random.default_rng(seed)
    size = (side, round(side * 0.75))
    canvas = _wall(rng, size)
    framed, border = _framed(painting, rng, int(size[1] * rng.uniform(0.55, 0.75)))
    fw, fh = framed.size
    if fw > 0.8 * size[0]:
        framed, border = _framed(painting, rng, int(fh * 0.8 * size[0] / fw))
        fw, fh = framed.size
    centre = (size[0] / 2 + rng.uniform(-0.05, 0.05) * size[0], size[1] / 2 + rng.uniform(-0.05, 0.05) * size[1])
    place = _quad(centre, fw, fh, rng.uniform(-0.08, 0.08), rng.uniform(-0.05, 0.05))
    _warp(canvas, framed, place)
    photo = _photographed(canvas, rng, (0.85, 1.05), 2.0, 1)
    glare = Image.new("L", photo.size, 0)
    gx, gy, radius = rng.uniform(0.3, 0.7) * size[0], rng.uniform(0.3, 0.7) * size[1], rng.uniform(0.05, 0.15) * side
    ImageDraw.Draw(glare).ellipse([gx - radius, gy - radius * 0.6, gx + radius, gy + radius * 0.6],
                                  fill=int(rng.uniform(60, 120)))
    photo = Image.composite(Image.new("RGB", photo.size, (255, 255, 255)), photo,
                            glare.filter(ImageFilter.GaussianBlur(radius * 0.5)))
    return Scene(photo, "mild", (_inner(place, framed.size, border),))


def hard_scene(painting: Image.Image, seed: int, side: int = 1800, neighbour: Image.Image | None = None) -> Scene:
    """A steep angle (turned 25-45 degrees), only 60-90% of the painting in view (cut by the photo's edge), a dim
    room with sensor noise, a visitor's head and shoulders in front, hand shake, a label card, and part of a
    painting the museum does not own (`neighbour`) at the edge."""
    import cv2

    rng = np.random.default_rng(seed + 31_337)
    size = (side, round(side * 0.75))
    canvas = _wall(rng, size)
    framed, border = _framed(painting, rng, int(size[1] * rng.uniform(0.75, 0.95)))
    fw, fh = framed.size
    if fw > 1.0 * size[0]:
        framed, border = _framed(painting, rng, int(fh * size[0] / fw))
        fw, fh = framed.size
    yaw = float(rng.choice([-1, 1]) * rng.uniform(0.35, 0.6))
    pitch = float(rng.uniform(-0.2, 0.2))
    in_view = rng.uniform(0.6, 0.9)  # share of the painting's width left in the photo
    width = fw * (1 - 0.35 * abs(yaw))
    shift = (1 - in_view) * width * rng.choice([-1, 1])
    centre = (size[0] / 2 + shift, size[1] / 2 + rng.uniform(-0.08, 0.08) * size[1])
    place = _quad(centre, fw, fh, yaw, pitch)
    if neighbour is not None:
        other, _ = _framed(neighbour, rng, int(size[1] * 0.6))
        side_x = place[:, 0].min() - other.width * 0.9 if shift > 0 else place[:, 0].max() + other.width * 0.1
        _warp(canvas, other, _quad((side_x + other.width * 0.4, size[1] / 2), other.width, other.height, yaw, 0))
    _warp(canvas, framed, place)
    _label_card(canvas, rng, place)
    # A visitor's head and shoulders in front, dark and soft-edged, over 10-25% of the painting.
    head = np.zeros(canvas.shape[:2], np.float32)
    hx = int(np.clip(rng.uniform(0.3, 0.7) * size[0], 0, size[0]))
    head_radius = int(size[1] * rng.uniform(0.13, 0.2))
    cv2.ellipse(head, (hx, size[1] - head_radius), (int(head_radius * 0.8), head_radius), 0, 0, 360, 1.0, -1)
    cv2.ellipse(head, (hx, size[1] + head_radius), (head_radius * 3, int(head_radius * 1.6)), 0, 0, 360, 1.0, -1)
    head = cv2.GaussianBlur(head, (0, 0), 6)[..., None]
    canvas = (canvas * (1 - head) + np.array([30, 26, 24], np.float32) * head).astype(np.uint8)
    photo = _photographed(canvas, rng, (0.35, 0.7), float(rng.uniform(3, 8)), int(rng.integers(3, 10)))
    return Scene(photo, "hard", (_inner(place, framed.size, border),))


def two_scene(first: Image.Image, second: Image.Image, seed: int, side: int = 1800) -> Scene:
    """Two paintings on one wall: `first` larger and nearer the centre, `second` smaller to one side."""
    rng = np.random.default_rng(seed + 4_242)
    size = (side, round(side * 0.75))
    canvas = _wall(rng, size)
    big, big_border = _framed(first, rng, int(size[1] * rng.uniform(0.5, 0.65)))
    small, small_border = _framed(second, rng, int(size[1] * rng.uniform(0.3, 0.4)))
    if big.width > 0.55 * size[0]:
        big, big_border = _framed(first, rng, int(big.height * 0.55 * size[0] / big.width))
    if small.width > 0.3 * size[0]:
        small, small_border = _framed(second, rng, int(small.height * 0.3 * size[0] / small.width))
    yaw = float(rng.uniform(-0.15, 0.15))
    on_left = rng.random() < 0.5
    big_centre = (size[0] * (0.58 if on_left else 0.42), size[1] * 0.5)
    small_x = (big_centre[0] - big.width / 2 - size[0] * 0.04 - small.width / 2 if on_left
               else big_centre[0] + big.width / 2 + size[0] * 0.04 + small.width / 2)
    big_place = _quad(big_centre, big.width, big.height, yaw, 0)
    small_place = _quad((small_x, size[1] * 0.5), small.width, small.height, yaw, 0)
    _warp(canvas, big, big_place)
    _warp(canvas, small, small_place)
    photo = _photographed(canvas, rng, (0.7, 1.0), 3.0, int(rng.integers(1, 4)))
    return Scene(photo, "two", (_inner(big_place, big.size, big_border), _inner(small_place, small.size, small_border)))


def no_painting_photos() -> list[tuple[str, Image.Image]]:
    """Everyday photos with no painting in them, from what scikit-image and scikit-learn ship inside their wheels
    (nothing downloads): a person, a cat, coins, a page of text, a cup of coffee, a rocket, a horse, ..."""
    from skimage import data as samples

    names = ["astronaut", "camera", "cat", "chelsea", "coffee", "coins", "horse", "page", "rocket", "text",
             "clock", "moon", "hubble_deep_field", "immunohistochemistry", "motorcycle_left", "logo"]
    photos = []
    for name in names:
        try:
            pixels = getattr(samples, name)()
        except Exception:  # not bundled in this scikit-image version (it would download): left out
            continue
        if isinstance(pixels, tuple):
            pixels = pixels[0]
        image = Image.fromarray(np.asarray(pixels)).convert("RGB")
        photos.append((name, image.resize((image.width * 3, image.height * 3), Image.Resampling.BICUBIC)))
    try:
        from sklearn.datasets import load_sample_images

        for name, pixels in zip(("china", "flower"), load_sample_images().images):
            image = Image.fromarray(pixels)
            photos.append((name, image.resize((image.width * 2, image.height * 2), Image.Resampling.BICUBIC)))
    except Exception:
        pass
    return photos


def with_exif_orientation(photo: Image.Image, orientation: int, quality: int = 88) -> bytes:
    """A JPEG whose pixels are stored turned, with the EXIF Orientation tag that turns them back: how a phone held
    sideways or upside down saves `photo` (a viewer that honours EXIF shows it upright)."""
    turn = {1: None, 3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}
    stored = photo if turn[orientation] is None else photo.transpose(turn[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    stored.save(buffer, format="JPEG", quality=quality, exif=exif.tobytes())
    return buffer.getvalue()
