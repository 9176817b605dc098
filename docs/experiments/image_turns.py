"""Whole image turns on the same 30 photos (15 seeded Met paintings, a mild and a hard photo of each), two passes:
p50 and p95 of `respond`. Run it from the root of each checkout to compare two versions of the code:

    (cd OLD_CHECKOUT && python /path/to/docs/experiments/image_turns.py old)
    python docs/experiments/image_turns.py new
"""

import io
import random
import sys
import time

sys.path.insert(0, ".")  # the checkout run from, not the installed one
import numpy as np

from app.conversation import respond, warm
from app.conversation.turns import Message, SessionState
from app.serving.resources import Resources
from app.settings import Settings
from classifier import scenes
from data.images import load_image


def main(label: str) -> None:
    resources = Resources.from_settings(Settings())
    warm(resources)
    records = resources.match_index.records
    photos = []
    for n, row in enumerate(random.Random(0).sample(range(len(records)), 15)):
        image = load_image(records[row].image_path)
        for scene in (scenes.mild_scene(image, n), scenes.hard_scene(image, n)):
            buffer = io.BytesIO()
            scene.photo.save(buffer, format="JPEG", quality=88)
            photos.append(buffer.getvalue())
    seconds = []
    for _ in range(2):
        for photo in photos:
            started = time.perf_counter()
            respond(resources, SessionState(), Message(image=photo))
            seconds.append(time.perf_counter() - started)
    print(f"{label} p50 {np.percentile(seconds, 50):.3f} p95 {np.percentile(seconds, 95):.3f}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
