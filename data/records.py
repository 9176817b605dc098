"""The one artwork record every corpus loader yields, and its table form."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

RECORD_COLUMNS = ["id", "image_path", "title", "artist", "date", "medium", "source", "licence", "url"]


@dataclass(frozen=True)
class Artwork:
    """One artwork: an image on disk plus what is known about it.

    `artist` is the name as the source spells it; `extra` holds any other
    source fields (genre, nationality, dimensions, credit line, ...).
    """

    id: str
    image_path: Path
    title: str = ""
    artist: str = ""
    date: str = ""
    medium: str = ""
    source: str = ""
    licence: str = ""
    url: str = ""
    extra: dict = field(default_factory=dict)


def records_to_frame(records: list[Artwork]) -> pd.DataFrame:
    """Metadata table, one row per record, in record order (aligned with vectors)."""
    rows = []
    for record in records:
        row = {name: getattr(record, name) for name in RECORD_COLUMNS}
        row["image_path"] = str(record.image_path)
        row["extra"] = json.dumps(record.extra, ensure_ascii=False, sort_keys=True)
        rows.append(row)
    return pd.DataFrame(rows, columns=RECORD_COLUMNS + ["extra"])


def frame_to_records(frame: pd.DataFrame) -> list[Artwork]:
    """Inverse of `records_to_frame`."""
    records = []
    for row in frame.fillna("").to_dict("records"):
        fields = {name: str(row[name]) for name in RECORD_COLUMNS}
        fields["image_path"] = Path(fields["image_path"])
        extra = json.loads(row["extra"]) if row.get("extra") else {}
        records.append(Artwork(**fields, extra=extra))
    return records


def with_extra(record: Artwork, **extra) -> Artwork:
    """A copy of `record` with more extra fields."""
    return dataclasses.replace(record, extra={**record.extra, **extra})
