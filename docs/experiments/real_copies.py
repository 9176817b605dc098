"""Real photographs of the collection's paintings that nobody here made: the Kaggle set holds its own photographs
(scans, other crops, other colour) of several paintings the default Met collection holds. Each one goes through a
whole image turn of the engine, as a visitor's upload, and the record it names is written out beside the Met title,
with a contact sheet (Kaggle image | the named Met record) to check by eye.

    python docs/experiments/real_copies.py ../shared/data/best-artworks [reports/real-copies.jpg]

Candidates are the Kaggle paintings whose pooled Lite0 cosine to a Met painting is >= 0.75 (below the brief's
near-copy grouping threshold of 0.80, so that pairs it would miss are looked at too); which of them are truly the
same artwork is decided by eye on the sheet, not by the recogniser under test.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2]))
import numpy as np
from PIL import Image, ImageDraw

from app.conversation import warm
from app.conversation.engine import respond
from app.conversation.turns import Message, SessionState
from app.serving.resources import Resources
from app.settings import Settings
from data.corpora import load_best_artworks
from retrieval.embed import embed_paths
from retrieval.encoders import load_encoder
from retrieval.vector_index import all_vectors

CANDIDATE = 0.75
CELL = 220


def main(best_artworks: str, sheet: str = "reports/real-copies.jpg") -> None:
    resources = Resources.from_settings(Settings())
    warm(resources)
    collection = resources.match_index
    kaggle = load_best_artworks(best_artworks).records
    embedded = embed_paths(load_encoder(collection.encoder_name), [r.image_path for r in kaggle])
    cosines = embedded.vectors @ all_vectors(collection.index).T
    pairs = [(embedded.ok[i], int(cosines[i].argmax()), float(cosines[i].max()))
             for i in range(len(embedded.ok)) if cosines[i].max() >= CANDIDATE]
    rows = []
    for position, met_row, cosine in sorted(pairs, key=lambda p: -p[2]):
        record = kaggle[position]
        _, reply = respond(resources, SessionState(), Message(image=Path(record.image_path).read_bytes()))
        match = reply.data.get("match") or {}
        named = match.get("row")
        rows.append((record, met_row, cosine, named, match.get("inliers")))
        print(f"{Path(record.image_path).name:<32} nearest {collection.records[met_row].title[:40]:<40} "
              f"cosine {cosine:.3f}  named: {collection.records[named].title[:40] if named is not None else '-'}"
              f"{'' if named is None else ' (' + str(match.get('inliers')) + ' inliers)'}")
    cells = Image.new("RGB", (2 * CELL, CELL * max(1, len(rows))), "white")
    for n, (record, met_row, _, named, _) in enumerate(rows):
        for column, path in enumerate((record.image_path, collection.records[named if named is not None
                                                                               else met_row].image_path)):
            image = Image.open(path).convert("RGB")
            image.thumbnail((CELL - 8, CELL - 24))
            cells.paste(image, (column * CELL + 4, n * CELL + 4))
        label = "named" if named is not None else "nearest (not named)"
        ImageDraw.Draw(cells).text((CELL + 4, n * CELL + CELL - 18), label, fill="black")
    Path(sheet).parent.mkdir(parents=True, exist_ok=True)
    cells.save(sheet, quality=85)
    named = sum(r[3] is not None for r in rows)
    print(f"{len(rows)} Kaggle paintings at cosine >= {CANDIDATE}; {named} named as a collection record; "
          f"sheet: {sheet}; median cosine {np.median([r[2] for r in rows]) if rows else 0:.3f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
