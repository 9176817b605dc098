"""Encoded vectors on disk in shards, written as they are encoded, read back chunk by chunk.

A shard folder holds, per shard, `NAME.npy` (float32[n, D]) and `NAME.hashes` (the n content
hashes, one a line), and `shards.json`, the shard manifest: encoder, dimension and the list of
complete shards. Each file is written atomically and the manifest last, so a build killed
mid-shard leaves at most an unlisted file, which is ignored: resuming re-encodes that shard only.

Vectors are read back through memory maps, so gathering rows never loads whole shards.
Both build engines (local, Ray) write through `ShardSet.write`; the index step reads
through `ShardSet.locations` and `gather`.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from data.files import atomic_write_bytes, atomic_write_json

log = logging.getLogger(__name__)

SHARD_MANIFEST = "shards.json"


@dataclass(frozen=True)
class ShardRow:
    """Where one vector lives: row `row` of shard `shard`."""

    shard: str
    row: int


class ShardSet:
    """The shards of one encoder in one folder; shards of another encoder or dimension are not read."""

    def __init__(self, directory: Path | str, encoder_name: str, dim: int):
        self.directory = Path(directory)
        self.encoder_name, self.dim = encoder_name, dim
        self._maps: dict[str, np.ndarray] = {}

    # --- the manifest ----------------------------------------------------------------------

    def listed(self) -> list[dict]:
        """The complete shards: [{"name", "count"}], in writing order; [] when none are usable."""
        path = self.directory / SHARD_MANIFEST
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except ValueError:
            log.warning("ignoring the unreadable shard manifest %s", path)
            return []
        if manifest.get("encoder") != self.encoder_name or manifest.get("dim") != self.dim:
            return []
        return manifest["shards"]

    def _write_manifest(self, shards: list[dict]) -> None:
        atomic_write_json(self.directory / SHARD_MANIFEST,
                          {"encoder": self.encoder_name, "dim": self.dim, "shards": shards})

    # --- writing -------------------------------------------------------------------------

    def write(self, hashes: list[str], vectors: np.ndarray) -> str:
        """Add one shard; returns its name. The manifest is rewritten last, so the shard counts only once whole."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.shape != (len(hashes), self.dim):
            raise ValueError(f"a shard of {len(hashes)} hashes got vectors of shape {vectors.shape}")
        shards = self.listed()
        name = f"shard-{len(shards):06d}"
        buffer = io.BytesIO()
        np.save(buffer, vectors)
        atomic_write_bytes(self.directory / f"{name}.npy", buffer.getvalue())
        atomic_write_bytes(self.directory / f"{name}.hashes", "\n".join(hashes).encode("ascii"))
        self._maps.pop(name, None)
        self._write_manifest([*shards, {"name": name, "count": len(hashes)}])
        return name

    # --- reading ---------------------------------------------------------------------------

    def locations(self) -> dict[str, ShardRow]:
        """Content hash -> where its vector is (the latest shard wins); reads hashes only, never vectors."""
        found = {}
        for shard in self.listed():
            try:
                hashes = (self.directory / f"{shard['name']}.hashes").read_text(encoding="ascii").split("\n")
            except OSError as error:
                log.warning("ignoring shard %s (%s)", shard["name"], error)
                continue
            if len(hashes) != shard["count"]:
                log.warning("ignoring shard %s: %d hashes for %d vectors", shard["name"], len(hashes), shard["count"])
                continue
            found.update((value, ShardRow(shard["name"], row)) for row, value in enumerate(hashes))
        return found

    def _map(self, name: str) -> np.ndarray:
        if name not in self._maps:
            self._maps[name] = np.load(self.directory / f"{name}.npy", mmap_mode="r")
        return self._maps[name]

    def gather(self, rows: list[ShardRow]) -> np.ndarray:
        """float32[len(rows), D] in the order given, read from the memory-mapped shards."""
        out = np.empty((len(rows), self.dim), dtype=np.float32)
        by_shard: dict[str, list[int]] = {}
        for position, where in enumerate(rows):
            by_shard.setdefault(where.shard, []).append(position)
        for name, positions in by_shard.items():
            shard_rows = np.fromiter((rows[p].row for p in positions), dtype=np.int64, count=len(positions))
            out[positions] = self._map(name)[shard_rows]
        return out

    def count(self) -> int:
        return sum(shard["count"] for shard in self.listed())
