"""`museum bench stylize`: how fast the styles paint, and whether what they paint reads as the painter and
still shows the photo.

- Speed: an instant style at the output size through the engine, warmed up (what a visitor waits for in a
  running app); the optimisation ("like the painting I showed you") at the same size, a few runs.
- Style: the project's own classifier on each painted picture; "reads as the painter" = the target painter
  among its top 3. Caveat, stated wherever the figure is: the classifier reads the same Lite0 block statistics
  (means, deviations, Gram matrices) that the style losses pull towards, so it is a lenient judge.
- Content: the pooled Lite0 cosine of the painted picture to its photo, beside the cosine of the photo to the
  other photos of the set. The threshold is the highest cosine between two different photos of the set: above
  it, the painted picture is nearer its own photo than any other photo is to it.
- A contact sheet: photos, their paintings by each style, and the painters' own works where the default (CC0)
  collection holds one (the Kaggle images are never copied into the project).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from app.bench.index import percentiles
from data.images import ImageError, is_image_file, load_image

# Photographs the installed packages ship (scikit-image, scikit-learn, matplotlib, Gradio): always here, offline.
PACKAGE_PHOTOS = (("skimage", "data/astronaut.png"), ("skimage", "data/chelsea.png"), ("skimage", "data/coffee.png"),
                  ("skimage", "data/motorcycle_left.png"), ("skimage", "data/rocket.jpg"),
                  ("sklearn", "datasets/images/china.jpg"), ("sklearn", "datasets/images/flower.jpg"),
                  ("matplotlib", "mpl-data/sample_data/grace_hopper.jpg"),
                  ("gradio", "media_assets/images/cheetah.jpg"), ("gradio", "media_assets/images/lion.jpg"),
                  ("gradio", "media_assets/images/tower.jpg"))
SHEET_CELL = 160


def package_photos() -> list[Path]:
    import importlib.util

    found = []
    for package, relative in PACKAGE_PHOTOS:
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.origin and (Path(spec.origin).parent / relative).is_file():
            found.append(Path(spec.origin).parent / relative)
    return found


def content_photos(folders: list[Path], count: int, seed: int) -> list[tuple[str, Image.Image]]:
    """A seeded sample of `count` colour photos: the packages' own and those in `folders` (greyscale files
    and files smaller than 256 px are left out: nothing to paint)."""
    candidates = package_photos() + sorted(p for folder in folders for p in Path(folder).rglob("*") if is_image_file(p))
    usable = []
    for path in candidates:
        try:
            with Image.open(path) as opened:
                if opened.mode in ("L", "LA", "1", "I;16") or min(opened.size) < 256:
                    continue
            usable.append((path.stem, load_image(path)))
        except (ImageError, OSError):
            continue
    return random.Random(seed).sample(usable, min(count, len(usable)))


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=-1)


def run(resources, photos: list[tuple[str, Image.Image]], optimise_photos: int, statistics: list[str],
        style_paintings: dict[str, Image.Image], sheet: Path | None,
        progress: Callable[[int], None] | None = None) -> dict:
    """Every figure of the benchmark as one dict (see the module's docstring)."""
    from classifier.stylize import instant_styles, load_instant, paint_instantly
    from retrieval.encoders import load_encoder

    settings = resources.settings
    directory = settings.resolved_stylizers_dir()
    painters = instant_styles(directory)
    classifier = resources.classifier
    encoder = load_encoder("efficientnet-lite0")
    images = [image for _, image in photos]
    photo_vectors = encoder.encode_images(images)
    between = photo_vectors @ photo_vectors.T
    threshold = float(between[~np.eye(len(images), dtype=bool)].max())
    figures = {"photos": [name for name, _ in photos], "side": settings.stylize_side,
               "content_threshold": round(threshold, 3), "instant": {}, "optimised": {}}
    painted_by = {}
    for painter in painters:
        net = load_instant(directory, painter)
        paint_instantly(net, images[0], settings.stylize_side)  # warm: the first call sets up the kernels
        seconds, outputs = [], []
        for image in images:
            started = time.perf_counter()
            outputs.append(paint_instantly(net, image, settings.stylize_side))
            seconds.append(time.perf_counter() - started)
            if progress:
                progress(1)
        painted_by[painter] = outputs
        figures["instant"][painter] = {"seconds": percentiles(seconds),
                                       **_quality(classifier, encoder, photo_vectors, outputs, painter, threshold)}
    figures["instant_all"] = _pooled(figures["instant"].values())
    for statistic in statistics:
        rows = {}
        for painter, style in style_paintings.items():
            outputs, seconds = [], []
            for image in images[:optimise_photos]:
                started = time.perf_counter()
                outputs.append(_optimised(resources, image, style, statistic))
                seconds.append(time.perf_counter() - started)
                if progress:
                    progress(1)
            rows[painter] = {"seconds": percentiles(seconds),
                             **_quality(classifier, encoder, photo_vectors[:optimise_photos], outputs, painter,
                                        threshold)}
            painted_by.setdefault(f"{painter} ({statistic}, any painting)", outputs)
        figures["optimised"][statistic] = {"painters": rows, "all": _pooled(rows.values())}
    figures["engine_turn"] = _engine_turns(resources, images[:10], painters[:1])
    if sheet is not None:
        contact_sheet(photos[:6], {p: painted_by[p][:6] for p in painters}, resources, sheet)
        figures["sheet"] = str(sheet)
    return figures


def _optimised(resources, image: Image.Image, style: Image.Image, statistic: str) -> Image.Image:
    import dataclasses

    from classifier.stylize import LossNetwork, OptimizeConfig, paint_like

    settings = resources.settings
    network = resources.part("loss_network", LossNetwork)
    config = OptimizeConfig(side=settings.stylize_side, steps=settings.stylize_steps,
                            loss=dataclasses.replace(OptimizeConfig().loss, statistic=statistic))
    return paint_like(network, image, [style], config, seed=settings.seed)


def _quality(classifier, encoder, photo_vectors: np.ndarray, outputs: list[Image.Image], painter: str,
             threshold: float) -> dict:
    predictions = classifier.predict_images(outputs)
    in_top3 = [painter in [name for name, _ in prediction.top[:3]] for prediction in predictions]
    top1 = [prediction.top[0][0] == painter for prediction in predictions]
    kept = cosine(encoder.encode_images(outputs), photo_vectors)
    return {"outputs": len(outputs), "in_top3": float(np.mean(in_top3)), "top1": float(np.mean(top1)),
            "content_cosine_p50": float(np.median(kept)), "content_cosine_min": float(kept.min()),
            "content_kept": float(np.mean(kept > threshold)),
            "named": [prediction.top[0][0] for prediction in predictions]}


def _pooled(rows) -> dict:
    rows = list(rows)
    total = sum(row["outputs"] for row in rows)
    if not total:
        return {}
    weighted = lambda key: sum(row[key] * row["outputs"] for row in rows) / total
    return {"outputs": total, "in_top3": weighted("in_top3"), "top1": weighted("top1"),
            "content_kept": weighted("content_kept")}


def _engine_turns(resources, images: list[Image.Image], painters: list[str]) -> dict:
    """Seconds of a whole "paint it like X" turn through the engine, after the photo's own turn (warmed)."""
    from app.conversation.engine import Message, SessionState, respond

    if not painters:
        return {}
    seconds = []
    for number, image in enumerate(images):
        state, _ = respond(resources, SessionState(), Message(image=image))
        started = time.perf_counter()
        _, reply = respond(resources, state, Message(text=f"paint it like {painters[0]}"))
        if number:  # the first turn loads the style
            seconds.append(time.perf_counter() - started)
        assert reply.painted is not None, reply.text
    return {"painter": painters[0], "turns": len(seconds), **percentiles(seconds)}


def contact_sheet(photos: list[tuple[str, Image.Image]], painted: dict[str, list[Image.Image]], resources,
                  path: Path) -> None:
    """Rows: each photo and its paintings by each style; last row: each painter's own work in the collection."""
    from data.files import atomic_write_bytes

    columns = ["photo", *painted]
    rows = len(photos) + 1
    sheet = Image.new("RGB", (SHEET_CELL * len(columns), SHEET_CELL * rows + 24), "white")
    draw = ImageDraw.Draw(sheet)
    for column, title in enumerate(columns):
        draw.text((column * SHEET_CELL + 4, 4), title[:26], fill="black")
    for row, (name, photo) in enumerate(photos):
        cells = [photo, *(outputs[row] for outputs in painted.values())]
        for column, cell in enumerate(cells):
            _paste(sheet, cell, column, row)
    works = _collection_works(resources, list(painted))
    for column, painter in enumerate(painted, start=1):
        if painter in works:
            _paste(sheet, works[painter], column, len(photos))
        else:
            draw.text((column * SHEET_CELL + 4, 24 + len(photos) * SHEET_CELL + 60), "no work in the\ncollection",
                      fill="gray")
    draw.text((4, 24 + len(photos) * SHEET_CELL + 60), "the painter's own\nwork (collection)", fill="black")
    import io

    buffer = io.BytesIO()
    sheet.save(buffer, format="JPEG", quality=85)
    atomic_write_bytes(path, buffer.getvalue())


def _paste(sheet: Image.Image, image: Image.Image, column: int, row: int) -> None:
    cell = image.copy()
    cell.thumbnail((SHEET_CELL - 4, SHEET_CELL - 4))
    sheet.paste(cell, (column * SHEET_CELL + 2, 24 + row * SHEET_CELL + 2))


def _collection_works(resources, painters: list[str]) -> dict[str, Image.Image]:
    records = resources.index.records if resources.index is not None else []
    works = {}
    for record in records:
        if record.artist in painters and record.artist not in works:
            try:
                works[record.artist] = load_image(record.image_path)
            except ImageError:
                continue
    return works
