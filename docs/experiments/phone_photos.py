"""Whole image turns on 12-megapixel phone photos (4032 x 3024, as today's phones take them), decoded reduced
(JPEG draft: data/images.py `load_image(at_least=...)`, what the engine does) against decoded whole (as before).

    python docs/experiments/phone_photos.py [turns]        # in-process, reduced against whole
    python docs/experiments/phone_photos.py api [turns]    # one visitor through a running `museum serve`'s API

The photos: each of the first `turns` Met paintings in a mild scene (classifier/scenes.py) 4032 px wide, as a
phone JPEG (quality 90, every other one held sideways). Both ways run alternately on the same photos, after a warm
turn each; printed: p50 / p95 seconds of `engine.respond` and how many turns named the right record.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2]))
import numpy as np

from app.conversation import paintings, warm
from app.conversation.engine import respond
from app.conversation.turns import Message, SessionState
from app.serving.resources import Resources
from app.settings import Settings
from classifier.scenes import mild_scene, phone_jpeg
from data.images import load_image


def phone_photos(records, turns: int) -> list[bytes]:
    return [phone_jpeg(mild_scene(load_image(records[row].image_path), 90_000 + row, side=4032).photo,
                       6 if row % 2 else 1, quality=90) for row in range(turns)]


def through_the_api(turns: int = 20) -> None:
    """Image turns as a browser makes them: the photo uploaded to `museum serve` (app/web/served.py, as the load
    bench starts it) by one gradio_client visitor, after a warm turn; the reply must name the photo's record."""
    import tempfile

    from app.bench.load import Visitor, last_reply
    from app.web.served import museum_serve

    index_records = Resources.from_settings(Settings()).match_index.records  # the records the server names
    with tempfile.TemporaryDirectory() as folder, museum_serve() as served:
        paths = []
        for row, photo in enumerate(phone_photos(index_records, turns + 1)):
            paths.append(Path(folder) / f"PXL_{row:04d}.jpg")
            paths[-1].write_bytes(photo)
        visitor = Visitor(served.url)
        visitor.show(paths[0])
        seconds, right = [], 0
        for row, path in enumerate(paths[1:], start=1):
            turn = visitor.show(path)
            seconds.append(turn.seconds)
            right += turn.error is None and index_records[row].title in last_reply(visitor.history)
        visitor.close()
    print(f"through the API: p50 {np.percentile(seconds, 50):.3f} s, p95 {np.percentile(seconds, 95):.3f} s, "
          f"reply naming the right title {right}/{turns}")


def main(turns: int = 30) -> None:
    resources = Resources.from_settings(Settings())
    warm(resources)
    records = resources.match_index.records
    photos = phone_photos(records, turns)
    reduced_open = paintings.open_image
    ways = {"reduced": reduced_open, "whole": lambda source, at_least=None: reduced_open(source, at_least=0)}
    seconds = {way: [] for way in ways}
    right = {way: 0 for way in ways}
    for way, opener in ways.items():  # a warm turn each
        paintings.open_image = opener
        respond(resources, SessionState(), Message(image=photos[0]))
    for row, photo in enumerate(photos):
        for way, opener in ways.items():
            paintings.open_image = opener
            started = time.perf_counter()
            _, reply = respond(resources, SessionState(), Message(image=photo))
            seconds[way].append(time.perf_counter() - started)
            right[way] += bool(reply.data.get("match")) and reply.data["match"]["row"] == row
    paintings.open_image = reduced_open
    for way in ways:
        print(f"{way}: p50 {np.percentile(seconds[way], 50):.3f} s, p95 {np.percentile(seconds[way], 95):.3f} s, "
              f"right record {right[way]}/{turns}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["api"]:
        through_the_api(*(int(a) for a in sys.argv[2:]))
    else:
        main(*(int(a) for a in sys.argv[1:]))
