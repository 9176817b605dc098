"""Fit classifier/presence.py's head ("is there a painting in this view?") and write it with its manifest.

    apt-get download gnome-backgrounds mate-backgrounds plasma-workspace-wallpapers ukui-wallpapers \
        opencv-doc tuxpaint-stamps-default     # into $PRESENCE_DEBS, unpacked there with dpkg -x (not the project)
    python docs/experiments/presence.py

Both classes get the same treatment, so no shortcut separates them: every image once "clean" (224 px, JPEG q75, as
other-painters/README asks) and once as a visitor's photo (paintings: classifier/scenes.py mild and hard scenes on a
wall; the other pictures: scenes' phone copy), then through the app's own path: `kept` (1024 px) and
`find_painting`, then the classifier's forward (`Prediction.embedding`).
Groups (a painter; a source file) fall on one side of the train / validation / test split (hash of the group).
C and the threshold are chosen on validation; test is read once. The held-out everyday photos of scikit-image
and scikit-learn (`scenes.no_painting_photos`, the set `museum bench match` uses) are never fitted on.
"""

import hashlib
import os
import random
import sys
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2]))
import numpy as np
from PIL import Image, ImageDraw, ImageFont
from tqdm import tqdm

from app.conversation.paintings import kept
from app.settings import Settings
from classifier import scenes
from classifier.photo import find_painting
from classifier.predict import load_classifier
from classifier.presence import KEEP_PAINTINGS, fit_presence, keeping_threshold, save_presence, weights_path
from data.corpora import load_best_artworks
from data.images import load_image

BA = Path(os.environ.get("MUSEUM_BEST_ARTWORKS", "../shared/data/best-artworks")).resolve()
OP = Path(os.environ.get("MUSEUM_OTHER_PAINTERS", "../shared/data/other-painters")).resolve()
DEBS = Path(os.environ.get("PRESENCE_DEBS", "/tmp/presence-neg/x"))
CACHE = Path(os.environ.get("MUSEUM_EXPERIMENT_CACHE", "/tmp/museum-cache")) / "presence"
SEED = 0
# Wallpapers that are photographs or plain screens (looked at by eye on a contact sheet: painterly or
# illustrated wallpapers are left out, they are too close to paintings to call "no painting").
WALLPAPER_PHOTOS = {0, 1, 2, 3, 24, 25, 26, 27, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 47, 48, 49, 51, 52,
                    53, 60, 62, 63, 64, 67, 69, 71}
# OpenCV's sample images that are paintings (or a painting's photo): not negatives.
OPENCV_PAINTINGS = {"starry_night.jpg", "graf1.png", "graf3.png"}


def split_of(group: str) -> str:
    bucket = int(hashlib.sha256(group.encode()).hexdigest(), 16) % 5
    return "val" if bucket == 0 else "test" if bucket == 1 else "train"


def equalise(image: Image.Image) -> Image.Image:
    import io

    buffer = io.BytesIO()
    image.convert("RGB").resize((224, 224), Image.BICUBIC).save(buffer, format="JPEG", quality=75)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def wallpapers() -> list[Path]:
    import collections
    import glob

    folders = ["gnome-backgrounds", "mate-backgrounds", "plasma-workspace-wallpapers", "ukui-wallpapers",
               "lomiri-wallpapers", "gcompris-qt-data"]
    files = sorted(f for d in folders for f in glob.glob(f"{DEBS}/{d}/**/*", recursive=True)
                   if f.lower().endswith((".jpg", ".jpeg", ".png", ".webp")))
    by_wallpaper = collections.defaultdict(list)
    for f in files:
        by_wallpaper[f.split("/contents/")[0] if "/contents/" in f else f].append(f)
    chosen = [max(v, key=os.path.getsize) for v in by_wallpaper.values()]
    return [Path(f) for n, f in enumerate(chosen) if n in WALLPAPER_PHOTOS]


def opencv_images(rng: random.Random) -> list[Path]:
    data = DEBS / "opencv-doc/usr/share/doc/opencv-doc/examples/data"
    samples = [p for p in sorted(data.glob("*")) if p.suffix.lower() in (".jpg", ".png")
               and p.name not in OPENCV_PAINTINGS]
    html = sorted(p for p in (DEBS / "opencv-doc").rglob("*") if p.suffix.lower() in (".jpg", ".png")
                  and "/html/" in str(p))
    html = [p for p in html if min(Image.open(p).size) >= 160]
    return samples + rng.sample(html, min(300, len(html)))


def stamp_on_background(path: Path, rng: random.Random) -> Image.Image:
    """A Tux Paint stamp (an object with a transparent background) on a plain or noisy table-like ground."""
    stamp = Image.open(path).convert("RGBA")
    side = rng.randint(500, 900)
    colour = tuple(rng.randint(40, 230) for _ in range(3))
    ground = np.full((side, side, 3), colour, np.float32) + np.random.default_rng(rng.randint(0, 10**6)).normal(
        0, rng.uniform(2, 12), (side, side, 3))
    ground = Image.fromarray(np.clip(ground, 0, 255).astype(np.uint8))
    stamp.thumbnail((int(side * rng.uniform(0.5, 0.9)),) * 2)
    ground.paste(stamp, ((side - stamp.width) // 2, (side - stamp.height) // 2), stamp)
    return ground


def text_page(rng: random.Random, sentences: list[str]) -> Image.Image:
    width, height = rng.choice([(850, 1100), (1100, 850), (800, 800)])
    page = Image.new("RGB", (width, height), tuple(rng.randint(225, 255) for _ in range(3)))
    draw = ImageDraw.Draw(page)
    size = rng.randint(18, 40)
    font = ImageFont.load_default(size=size)
    text = " ".join(rng.sample(sentences, 12))
    y = rng.randint(30, 90)
    for line in textwrap.wrap(text, width=int(width / (size * 0.55))):
        draw.text((rng.randint(30, 70), y), line, fill=(rng.randint(0, 60),) * 3, font=font)
        y += int(size * 1.4)
        if y > height - 60:
            break
    return page


def items(rng: random.Random) -> list[tuple[str, str, bool, object]]:
    """(group, kind, is_painting, make() -> PIL image)."""
    out = []
    records = load_best_artworks(BA).records
    for n, r in enumerate(rng.sample(records, 700)):
        group = f"kaggle:{r.artist}"
        out.append((group, "kaggle clean", True, lambda r=r: equalise(load_image(r.image_path))))
        if n < 450:
            scene = scenes.mild_scene if n % 2 else scenes.hard_scene
            out.append((group, "kaggle photo", True, lambda r=r, n=n, s=scene: s(load_image(r.image_path), n,
                                                                                    side=1200).photo))
    others = sorted(p for p in OP.rglob("*.jpg"))
    for n, p in enumerate(rng.sample(others, 700)):
        group = f"other:{p.parent.name}"
        out.append((group, "other clean", True, lambda p=p: equalise(load_image(p))))
        if n < 450:
            scene = scenes.mild_scene if n % 2 else scenes.hard_scene
            out.append((group, "other photo", True, lambda p=p, n=n, s=scene: s(load_image(p), 7000 + n,
                                                                                   side=1200).photo))
    negatives = [("wallpaper", p) for p in wallpapers()] + [("opencv", p) for p in opencv_images(rng)]
    stamps = sorted((DEBS / "tuxpaint-stamps-default").rglob("*.png"))
    for n, (source, p) in enumerate(negatives):
        group = f"{source}:{p.stem}"
        out.append((group, f"{source} clean", False, lambda p=p: equalise(load_image(p))))
        out.append((group, f"{source} photo", False, lambda p=p, n=n: scenes._phone_copy(load_image(p), 1200, n)))
    for n, p in enumerate(rng.sample(stamps, min(500, len(stamps)))):
        group = f"stamp:{p.stem}"
        maker = (lambda p=p, n=n: stamp_on_background(p, random.Random(n))) if n % 2 else \
            (lambda p=p, n=n: scenes._phone_copy(stamp_on_background(p, random.Random(n)), 1200, n))
        out.append((group, "stamp", False, maker))
    from data.knowledge import load_knowledge

    sentences = [s.strip() + "." for e in load_knowledge().entries for s in (e.bio or "").split(". ") if len(s) > 30]
    for n in range(160):
        group = f"text:{n // 4}"
        maker = (lambda n=n: text_page(random.Random(n), sentences)) if n % 2 else \
            (lambda n=n: scenes._phone_copy(text_page(random.Random(n), sentences), 1200, n))
        out.append((group, "text page", False, maker))
    return out


def embed(classifier, images: list[Image.Image]) -> np.ndarray:
    views = [find_painting(kept(image)) for image in images]
    predictions, _ = classifier.predict_paintings(views, [False] * len(views))
    return np.stack([p.embedding for p in predictions]).astype(np.float32)


def features_of(classifier, made: list, name: str) -> np.ndarray:
    path = CACHE / f"{name}.npy"
    if path.exists():
        return np.load(path)
    rows = []
    for start in tqdm(range(0, len(made), 16), desc=name, unit="batch"):
        rows.append(embed(classifier, [make() for make in made[start:start + 16]]))
    features = np.concatenate(rows)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, features)
    return features


def main() -> None:
    started = time.process_time()
    settings = Settings()
    classifier = load_classifier(settings.encoder, settings.resolved_heads_dir(), settings.batch_size,
                                 settings.workers)
    rng = random.Random(SEED)
    table = items(rng)
    features = features_of(classifier, [t[3] for t in table], f"all-{len(table)}")
    labels = np.array([t[2] for t in table])
    splits = np.array([split_of(t[0]) for t in table])
    kinds = np.array([t[1] for t in table])
    train, val, test = (splits == s for s in ("train", "val", "test"))

    def report(head, mask) -> dict:
        keep = head.sees_painting(features[mask])
        return {kind: {"n": int((kinds[mask] == kind).sum()),
                       "seen as painting": round(float(keep[kinds[mask] == kind].mean()), 3)}
                for kind in sorted(set(kinds[mask]))}

    choices = {}
    for c in (0.003, 0.01, 0.03, 0.1):
        head = fit_presence(features[train], labels[train], c=c, seed=SEED)
        threshold = keeping_threshold(head, features[val & labels])
        head = type(head)(head.mean, head.scale, head.weight, head.bias, threshold)
        rejected = float((~head.sees_painting(features[val & ~labels])).mean())
        choices[c] = (rejected, head)
        print(f"C={c}: validation threshold {threshold:.3f}, non-paintings rejected {rejected:.3f}")
    best_c = max(choices, key=lambda c: choices[c][0])
    head = choices[best_c][1]
    held_out = scenes.no_painting_photos()
    held = embed(classifier, [photo for _, photo in held_out])
    held_seen = head.sees_painting(held)
    manifest = {
        "what": "P(a painting is in view) from the classifier's pooled embedding of find_painting's view",
        "fitted_by": "docs/experiments/presence.py", "seed": SEED, "C": best_c, "dim": int(features.shape[1]),
        "classifier_heads": str(Path(settings.resolved_heads_dir()).relative_to(Path(__file__).parents[2])),
        "threshold": head.threshold, "threshold_rule": f"keeps {KEEP_PAINTINGS:.0%} of validation painting photos",
        "counts": {s: {"paintings": int((splits == s)[labels].sum()), "not paintings": int((splits == s)[~labels].sum())}
                   for s in ("train", "val", "test")},
        "sources": ["Kaggle best-artworks and other-painters (clean at 224 px q75, and scenes.py mild/hard photos)",
                    "Debian wallpapers (photos only, by eye), opencv-doc sample and documentation images, "
                    "tuxpaint-stamps-default object stamps on plain grounds, rendered pages of the KB's text; "
                    "each clean and as a phone copy"],
        "validation": report(head, val), "test": report(head, test),
        "held_out_everyday_photos": {"n": len(held_out), "seen as painting": int(held_seen.sum()),
                                     "named": [name for (name, _), seen in zip(held_out, held_seen) if seen]},
        "cpu_seconds": round(time.process_time() - started),
    }
    save_presence(head, weights_path(settings.encoder), manifest)
    import json

    print(json.dumps(manifest, indent=1))


if __name__ == "__main__":
    main()
