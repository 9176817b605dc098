"""An index on disk: vectors (FAISS), the metadata table aligned with them, a manifest.

Layout of an index folder::

    index.faiss     the vectors; row i = items.csv row i
    items.csv       one row per artwork: id, image path (relative to the corpus root), title, ...,
                    content_hash, size, mtime_ns
    manifest.json   encoder (name, version, dim), corpus, count, index kind, file checksums, created
    settings.json   the resolved settings the build ran with
    local/          the images' keypoints and descriptors for verified matches (retrieval/local/store.py),
                    unless the build was told not to extract them
    shards/         vectors as encoded (retrieval/shards.py), so an interrupted build resumes; kept
                    after the build only by an IVF-PQ index, whose codes cannot give the vectors back

Every file is written atomically and the manifest last; the manifest's checksums
bind the other files to it, so a torn or tampered index is detected on load.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import faiss
import numpy as np
import pandas as pd

from data.corpora import MET, met_data_dir
from data.files import atomic_write_bytes, atomic_write_json, sha256_bytes, sha256_file
from data.records import Artwork, frame_to_records, records_to_frame
from retrieval.embed import EncodeJob
from retrieval.encoders import Encoder
from retrieval.engines import LOCAL, engine_named
from retrieval.local.build import drop_shards, gather_features, visual_words
from retrieval.local.store import LocalFeatureStore, LocalSpec, local_description, write_local_features
from retrieval.shards import ShardRow, ShardSet
from retrieval.vector_index import (
    APPROX_THRESHOLD,
    AUTO,
    IVFPQ,
    IVFPQ_THRESHOLD,
    IvfPqParams,
    all_vectors,
    build_index_from_rows,
    choose_kind,
    describe,
    index_kind,
    load_index,
    save_index,
    set_search_params,
)

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
INDEX_FILE, ITEMS_FILE, MANIFEST_FILE, SETTINGS_FILE, SHARDS_DIR = (
    "index.faiss", "items.csv", "manifest.json", "settings.json", "shards")
SHARD_SIZE = 512  # images per shard: an interrupted build loses one shard at most
FULL_CHECK_BYTES = 256 * 2**20  # verify checksums of files up to this size on load


class IndexStoreError(RuntimeError):
    """A problem with an index folder (missing, damaged, another encoder's) that a person can fix; the message
    says how."""


class IndexMissingError(IndexStoreError):
    pass


class IndexCorruptError(IndexStoreError):
    pass


class IndexMismatchError(IndexStoreError):
    pass


@dataclass
class Corpus:
    """Which corpus an index covers; `root` is where relative image paths resolve."""

    kind: str
    root: Path | None  # None for the packaged Met corpus (found at run time)

    def resolve_root(self) -> Path:
        return met_data_dir() if self.kind == MET else Path(self.root)

    def to_json(self) -> dict:
        return {"kind": self.kind, "root": None if self.root is None else str(self.root)}

    @classmethod
    def from_json(cls, value: dict) -> "Corpus":
        return cls(kind=value["kind"], root=None if value.get("root") is None else Path(value["root"]))


@dataclass
class LoadedIndex:
    directory: Path
    index: faiss.Index
    records: list[Artwork]  # aligned with the index rows
    items: pd.DataFrame
    manifest: dict
    local: LocalFeatureStore | None = None  # keypoints and descriptors row by row, when the build extracted them

    @property
    def encoder_name(self) -> str:
        return self.manifest["encoder"]["name"]

    def __len__(self) -> int:
        return len(self.records)


@dataclass
class BuildReport:
    encoded: int = 0
    reused: int = 0
    resumed: int = 0
    removed: int = 0
    skipped: dict[str, str] = field(default_factory=dict)  # artwork id -> reason
    unchanged: bool = False
    seconds: float = 0.0
    count: int = 0

    def summary(self) -> str:
        if self.unchanged:
            return f"index up to date: {self.count} artworks, nothing to encode ({self.seconds:.1f} s)"
        return (f"{self.count} artworks indexed in {self.seconds:.1f} s: {self.encoded} encoded, "
                f"{self.reused} reused, {self.resumed} resumed from an interrupted build, "
                f"{self.removed} removed, {len(self.skipped)} skipped")


# --- loading and checking ---------------------------------------------------------------

def read_manifest(directory: Path) -> dict:
    path = Path(directory) / MANIFEST_FILE
    if not path.is_file():
        raise IndexMissingError(f"no index at {directory}: build one with `museum index build`")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        manifest["encoder"]["name"], manifest["files"]  # noqa: B018 - presence check
    except (ValueError, KeyError, TypeError) as error:
        raise IndexCorruptError(f"the manifest of the index at {directory} is unreadable ({error}); "
                                "rebuild it with `museum index build`") from None
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(f"the index at {directory} has format {manifest.get('format_version')}, "
                                 f"this version reads {FORMAT_VERSION}: rebuild it with `museum index build`")
    return manifest


def _verify_files(directory: Path, manifest: dict) -> None:
    for name, expected in manifest["files"].items():
        path = directory / name
        if not path.is_file():
            raise IndexCorruptError(
                f"{name} is missing from the index at {directory}: rebuild it with `museum index build`"
            )
        if path.stat().st_size != expected["size"] or (
                expected["size"] <= FULL_CHECK_BYTES and sha256_file(path) != expected["sha256"]):
            raise IndexCorruptError(f"{name} in {directory} does not match its manifest (changed or damaged "
                                    "since the build): rebuild it with `museum index build`")


def check_encoder(manifest: dict, encoder_name: str, directory: Path | str = "") -> None:
    """Raise IndexMismatchError when the index was built with another encoder."""
    built = manifest["encoder"]["name"]
    if built != encoder_name:
        raise IndexMismatchError(
            f"the index at {directory} was built with encoder {built!r} ({manifest['encoder']['dim']}-d) but the "
            f"active encoder is {encoder_name!r}. Run `museum index build --encoder {encoder_name}` to rebuild it, "
            f"or use the index's encoder (--encoder {built} or MUSEUM_ENCODER={built}).")


def load_store(directory: Path | str, encoder_name: str | None = None, nprobe: int | None = None,
               k_factor: int | None = None) -> LoadedIndex:
    """The index at `directory`, checked against its manifest; `nprobe` and `k_factor` override an IVF-PQ
    index's recorded ones."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    if encoder_name is not None:
        check_encoder(manifest, encoder_name, directory)
    _verify_files(directory, manifest)
    try:
        index = load_index(directory / INDEX_FILE)
        items = pd.read_csv(directory / ITEMS_FILE, dtype=str, keep_default_na=False)
    except Exception as error:  # faiss raises RuntimeError, pandas many kinds
        raise IndexCorruptError(
            f"cannot read the index at {directory} ({error}): rebuild it with `museum index build`"
        ) from None
    if index.ntotal != len(items) or index.d != manifest["encoder"]["dim"]:
        raise IndexCorruptError(f"the index at {directory} holds {index.ntotal} {index.d}-d vectors for {len(items)} "
                                "items: rebuild it with `museum index build`")
    set_search_params(index, nprobe, k_factor)
    root = Corpus.from_json(manifest["corpus"]).resolve_root()
    records = frame_to_records(items.assign(image_path=[str(root / p) for p in items["image_path"]]))
    return LoadedIndex(directory=directory, index=index, records=records, items=items, manifest=manifest,
                       local=_local_store(directory, manifest, len(items)))


def _local_store(directory: Path, manifest: dict, rows: int) -> LocalFeatureStore | None:
    recorded = manifest.get("local_features")
    if not recorded:
        return None
    try:
        store = LocalFeatureStore(directory, LocalSpec.from_json(recorded))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise IndexCorruptError(f"the local features of the index at {directory} are unreadable ({error}): rebuild "
                                "it with `museum index build`") from None
    if len(store) != rows:
        raise IndexCorruptError(f"the index at {directory} holds local features of {len(store)} images for {rows} "
                                "items: rebuild it with `museum index build`")
    return store


# --- building ------------------------------------------------------------------------------

def _relative(path: Path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(Path(path).resolve())


@dataclass(frozen=True)
class BuildOptions:
    """How a build runs and what it builds (the CLI fills it from Settings)."""

    kind: str = AUTO
    threshold: int = APPROX_THRESHOLD
    ivfpq_threshold: int = IVFPQ_THRESHOLD
    ivfpq: IvfPqParams = IvfPqParams()
    engine: str = LOCAL
    engine_options: dict = field(default_factory=dict)
    batch_size: int = 32
    workers: int = 2
    shard_size: int = SHARD_SIZE
    seed: int = 0
    local: LocalSpec | None = LocalSpec()  # keypoints and descriptors to store for verified matches; None: none


def _previous_vectors(directory: Path, encoder: Encoder, shards: ShardSet) -> tuple[dict, dict]:
    """Vectors of an existing index, keyed two ways: (relative path, size, mtime) and content hash.

    Flat and HNSW indexes hold their vectors exactly; an IVF-PQ index only codes, so
    its vectors are found in the shards it keeps.
    """
    try:
        manifest = read_manifest(directory)
        check_encoder(manifest, encoder.name, directory)
        items = pd.read_csv(directory / ITEMS_FILE, dtype=str, keep_default_na=False)
        if manifest["index_kind"] == IVFPQ:
            located = shards.locations()
            vectors = [located.get(value) for value in items["content_hash"]]
        else:
            vectors = list(all_vectors(load_store(directory, encoder.name).index))
    except IndexMissingError:
        return {}, {}
    except (IndexStoreError, OSError, ValueError, KeyError) as error:
        log.warning("ignoring the damaged index at %s (%s); re-encoding what is needed", directory, error)
        return {}, {}
    by_stat, by_hash = {}, {}
    for row, vector in zip(items.to_dict("records"), vectors):
        if vector is not None:
            by_stat[(row["image_path"], row["size"], row["mtime_ns"])] = (row["content_hash"], vector)
            by_hash[row["content_hash"]] = vector
    return by_stat, by_hash


def build_store(records: list[Artwork], encoder: Encoder, directory: Path | str, corpus: Corpus,
                settings: dict | None = None, options: BuildOptions = BuildOptions(),
                progress: Callable[[int, int], None] | None = None) -> BuildReport:
    """Build or update the index at `directory` for `records`, re-encoding only what changed.

    Unchanged files (same relative path, size and mtime, else same content hash)
    reuse their vectors; deleted ones drop out; shards of an interrupted build are
    picked up again. New vectors are encoded by `options.engine` and written to
    shards as they arrive; the index is built from them. `progress(done, total)`
    reports encoding progress.
    """
    started = time.perf_counter()
    directory = Path(directory)
    if (directory / MANIFEST_FILE).is_file():
        check_encoder(read_manifest(directory), encoder.name, directory)  # never overwrite another encoder's index
    root = corpus.resolve_root()
    shards = ShardSet(directory / SHARDS_DIR, encoder.name, encoder.dim)
    by_stat, by_hash = _previous_vectors(directory, encoder, shards)
    resumable = shards.locations()
    report = BuildReport()

    rows, vectors, to_encode = [], {}, []
    for position, record in enumerate(records):
        path = Path(record.image_path)
        try:
            stat = path.stat()
        except OSError as error:
            report.skipped[record.id] = f"{path.name}: cannot be read ({error.strerror})"
            continue
        relative = _relative(path, root)
        row = {"image_path": relative, "size": str(stat.st_size), "mtime_ns": str(stat.st_mtime_ns)}
        known = by_stat.get((relative, row["size"], row["mtime_ns"]))
        if known is not None:
            row["content_hash"], vectors[position] = known[0], known[1]
            report.reused += 1
        else:
            row["content_hash"] = sha256_file(path)
            if row["content_hash"] in by_hash:
                vectors[position] = by_hash[row["content_hash"]]
                report.reused += 1
            elif row["content_hash"] in resumable:
                vectors[position] = resumable[row["content_hash"]]
                report.resumed += 1
            else:
                to_encode.append(position)
        rows.append((position, row))

    if to_encode:
        _encode_missing(records, to_encode, dict(rows), encoder, shards, vectors, report, options, progress)

    kept = [(position, row) for position, row in rows if position in vectors]
    report.count = len(kept)
    previous_paths = {key[0] for key in by_stat}
    report.removed = len(previous_paths - {row["image_path"] for _, row in kept})
    if not kept:
        raise IndexStoreError("no artwork of the corpus could be encoded; nothing was written")
    report.unchanged = (report.encoded == 0 and report.resumed == 0 and report.removed == 0
                        and len(previous_paths) == len(kept) and not report.skipped
                        and _same_local_spec(directory, options.local))
    if report.unchanged and _same_order(directory, [row["image_path"] for _, row in kept]):
        report.seconds = time.perf_counter() - started
        return report
    local = _local_features(directory, records, kept, options, report, progress)
    if local is not None:
        kept = [(position, row) for position, row in kept if position in local]
        report.count = len(kept)

    frame = records_to_frame([records[position] for position, _ in kept])
    for column in ("image_path", "content_hash", "size", "mtime_ns"):
        frame[column] = [row[column] for _, row in kept]
    refs = [vectors[position] for position, _ in kept]
    kind = choose_kind(len(refs), options.kind, options.threshold, options.ivfpq_threshold)
    if kind == IVFPQ:  # the index keeps codes only: every vector it holds must stay in a shard for rebuilds
        refs = _persist_in_shards(refs, [row["content_hash"] for _, row in kept], shards, options.shard_size)
    index = build_index_from_rows(len(refs), encoder.dim, lambda rows: _gather(refs, rows, shards), kind=kind,
                                  ivfpq=options.ivfpq, seed=options.seed)
    local_files, described = {}, None
    if local is not None:
        features = [local[p] for p, _ in kept]
        vocabulary, words = visual_words(directory, _manifest_or_none(directory), features, options.local, options.seed)
        local_files = write_local_features(directory, features, options.local, vocabulary, words)
        described = local_description(features, options.local, vocabulary)
    _write(directory, frame, index, describe(index, trained_on=options.ivfpq.sample_size(len(refs))), encoder, corpus,
           settings or {}, local_files, described)
    drop_shards(directory)
    if kind != IVFPQ:  # the index holds the vectors exactly: the shards were only there to resume
        shutil.rmtree(directory / SHARDS_DIR, ignore_errors=True)
    report.seconds = time.perf_counter() - started
    return report


def _manifest_or_none(directory: Path) -> dict | None:
    try:
        return read_manifest(directory)
    except IndexStoreError:
        return None


def _same_local_spec(directory: Path, spec: LocalSpec | None) -> bool:
    """The index at `directory` holds local features of `spec` (or none, when none are asked for)."""
    try:
        recorded = read_manifest(directory).get("local_features")
    except IndexStoreError:
        return False
    if spec is None or recorded is None:
        return spec is None and recorded is None
    return {key: recorded.get(key) for key in spec.to_json()} == spec.to_json()


def _local_features(directory: Path, records: list[Artwork], kept: list, options: BuildOptions, report: BuildReport,
                    progress) -> dict | None:
    """Position -> local features for the kept rows (None when the build stores none); an image whose features
    cannot be extracted is skipped like one that cannot be encoded."""
    if options.local is None:
        return None
    manifest = _manifest_or_none(directory)
    try:
        previous = pd.read_csv(directory / ITEMS_FILE, dtype=str, usecols=["content_hash"])["content_hash"].tolist()
    except (OSError, ValueError):
        previous = []
    positions = [position for position, _ in kept]
    features, failed = gather_features(
        directory, manifest, previous, [Path(records[p].image_path) for p in positions],
        [row["content_hash"] for _, row in kept], options.local, options.engine,
        {**options.engine_options, "workers": options.workers}, options.shard_size, progress)
    for local, reason in failed.items():
        report.skipped[records[positions[local]].id] = reason
    return {position: f for position, f in zip(positions, features) if f is not None}


def _gather(refs: list, rows: np.ndarray, shards: ShardSet) -> np.ndarray:
    """float32 vectors of `refs[rows]`, reading shard-held ones through memory maps."""
    picked = [refs[row] for row in rows]
    on_disk = [i for i, ref in enumerate(picked) if isinstance(ref, ShardRow)]
    out = np.empty((len(picked), shards.dim), dtype=np.float32)
    if on_disk:
        out[on_disk] = shards.gather([picked[i] for i in on_disk])
    for i, ref in enumerate(picked):
        if not isinstance(ref, ShardRow):
            out[i] = ref
    return out


def _persist_in_shards(refs: list, hashes: list[str], shards: ShardSet, shard_size: int) -> list:
    """Write the in-memory vectors among `refs` to shards; the same list with shard rows in their place."""
    in_memory = [i for i, ref in enumerate(refs) if not isinstance(ref, ShardRow)]
    refs = list(refs)
    for start in range(0, len(in_memory), shard_size):
        chunk = in_memory[start:start + shard_size]
        name = shards.write([hashes[i] for i in chunk], np.stack([refs[i] for i in chunk]))
        for row, i in enumerate(chunk):
            refs[i] = ShardRow(name, row)
    return refs


def _same_order(directory: Path, paths: list[str]) -> bool:
    try:
        return pd.read_csv(directory / ITEMS_FILE, dtype=str, usecols=["image_path"])["image_path"].tolist() == paths
    except (OSError, ValueError):
        return False


def _encode_missing(records, positions, rows, encoder, shards, vectors, report, options, progress):
    done = 0

    def on_images(count):
        nonlocal done
        done += count
        if progress:
            progress(done, len(positions))

    job = EncodeJob(encoder=encoder, paths=[Path(records[p].image_path) for p in positions],
                    shard_size=options.shard_size, batch_size=options.batch_size, workers=options.workers,
                    on_images=on_images, options=options.engine_options)
    # Each shard is on disk before the next is asked for, so an interrupted build loses one shard at most.
    for result in engine_named(options.engine)(job):
        for local, reason in result.failed.items():
            report.skipped[records[positions[local]].id] = reason
        encoded = [positions[local] for local in result.ok]
        if not encoded:
            continue
        name = shards.write([rows[p]["content_hash"] for p in encoded], result.vectors)
        for row, position in enumerate(encoded):
            vectors[position] = ShardRow(name, row)
        report.encoded += len(encoded)


def _write(directory: Path, frame: pd.DataFrame, index: faiss.Index, description: dict, encoder: Encoder,
           corpus: Corpus, settings: dict, local_files: dict, local: dict | None) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    items_bytes = frame.to_csv(index=False).encode("utf-8")
    atomic_write_bytes(directory / ITEMS_FILE, items_bytes)
    save_index(index, directory / INDEX_FILE)
    atomic_write_json(directory / SETTINGS_FILE, settings)
    index_path = directory / INDEX_FILE
    manifest = {
        "format_version": FORMAT_VERSION,
        "encoder": {"name": encoder.name, "version": encoder.version, "dim": encoder.dim},
        "corpus": corpus.to_json(),
        "count": int(index.ntotal),
        "index_kind": index_kind(index),
        "index": description,
        "metric": "inner_product (cosine on L2-normalised vectors)",
        "items_digest": sha256_bytes("\n".join(frame["content_hash"]).encode()),
        "files": {INDEX_FILE: {"size": index_path.stat().st_size, "sha256": sha256_file(index_path)},
                  ITEMS_FILE: {"size": len(items_bytes), "sha256": sha256_bytes(items_bytes)}, **local_files},
        **({"local_features": local} if local else {}),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    atomic_write_json(directory / MANIFEST_FILE, manifest)  # last: it vouches for the files above
