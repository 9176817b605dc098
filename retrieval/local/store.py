"""The collection's local features on disk, beside its vectors in the index folder (hloc keeps its features in
one HDF5 file; here plain .npy files, memory-mapped, so a query reads only its candidates' rows):

    local/xy.npy           float16 [T, 2]  keypoint positions, in the pixels of the image they were found in
    local/descriptors.npy  uint8 [T, D]    descriptors (SIFT: 128 bytes; ORB: 32)
    local/offsets.npy      int64 [N + 1]   image row i owns keypoints offsets[i]:offsets[i + 1]
    local/sizes.npy        int32 [N, 2]    (width, height) of the image the keypoints were found in
    local/vocabulary.npy   float16 [K, D]  visual words (retrieval/local/vocabulary.py), SIFT only
    local/words.npy        int32 [T]       each keypoint's word

Row i is index row i (items.csv row i). The index's manifest lists the four files with their checksums (so a
damaged file is detected on load, like the vectors) and records the extraction settings (`LocalSpec`).
float16 positions are exact to a quarter pixel at the 640 px the collection's paintings are read at.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from data.files import atomic_write_with
from retrieval.local.features import EXTRACTION_VERSION, FLOAT, LocalFeatures, extract, extractor_named
from retrieval.local.vocabulary import BagOfWords, Vocabulary

LOCAL_DIR = "local"
XY, DESCRIPTORS, OFFSETS, SIZES, VOCABULARY, WORDS = (
    f"{LOCAL_DIR}/{name}.npy" for name in ("xy", "descriptors", "offsets", "sizes", "vocabulary", "words"))


@dataclass(frozen=True)
class LocalSpec:
    """How a collection's local features are extracted (Settings: local_extractor, local_max_side,
    local_max_keypoints); an index whose recorded spec differs is re-extracted on the next build."""

    extractor: str = "sift"
    max_side: int = 640
    max_keypoints: int = 400
    words: int = 8192  # visual words of the shortlist (fewer for a small collection); 0: none
    version: int = EXTRACTION_VERSION

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, recorded: dict) -> "LocalSpec":
        # Features recorded before versions were: version 1.
        return cls(**{"version": 1, **{key: recorded[key] for key in asdict(cls()) if key in recorded}})

    def same_features(self, other: "LocalSpec") -> bool:
        """The same keypoints and descriptors (the words may differ)."""
        return (self.extractor, self.max_side, self.max_keypoints, self.version) == \
            (other.extractor, other.max_side, other.max_keypoints, other.version)

    def features_only(self) -> "LocalSpec":
        """This spec without its words: what a resumable shard's features depend on."""
        return LocalSpec(self.extractor, self.max_side, self.max_keypoints, 0, self.version)

    def extract(self, image) -> LocalFeatures:
        return extract(image, self.extractor, self.max_side, self.max_keypoints)

    @property
    def dim(self) -> int:
        return extractor_named(self.extractor).dim

    @property
    def has_words(self) -> bool:
        return self.words > 0 and extractor_named(self.extractor).kind == FLOAT


class LocalFeatureStore:
    """The local features of an index's rows, read through memory maps."""

    def __init__(self, directory: Path, spec: LocalSpec):
        self.spec = spec
        self._xy = np.load(directory / XY, mmap_mode="r")
        self._descriptors = np.load(directory / DESCRIPTORS, mmap_mode="r")
        self._offsets = np.load(directory / OFFSETS)
        self._sizes = np.load(directory / SIZES)
        if (len(self._offsets) != len(self._sizes) + 1 or self._offsets[-1] != len(self._xy)
                or len(self._xy) != len(self._descriptors) or self._descriptors.shape[1] != spec.dim):
            raise ValueError(f"the local features hold {len(self._xy)} keypoints and {len(self._descriptors)} "
                             f"descriptors for {len(self._sizes)} images (offsets end at {self._offsets[-1]})")
        self.vocabulary, self.bag, self.words = None, None, None
        if (directory / VOCABULARY).is_file():
            self.words = np.load(directory / WORDS)
            self.vocabulary = Vocabulary(np.load(directory / VOCABULARY))
            if len(self.words) != len(self._xy) or (len(self.words) and self.words.max() >= len(self.vocabulary)):
                raise ValueError(f"{len(self.words)} visual words for {len(self._xy)} keypoints")
            self.bag = BagOfWords.of(self.words, self._offsets, len(self.vocabulary))

    def shortlist(self, photo: LocalFeatures, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows) of the k paintings sharing most of the photo's visual words; empty without words."""
        if self.bag is None:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        return self.bag.search(self.vocabulary.words(photo.descriptors), k)

    def __len__(self) -> int:
        return len(self._sizes)

    def features(self, row: int) -> LocalFeatures:
        start, end = self._offsets[row], self._offsets[row + 1]
        return LocalFeatures(np.asarray(self._xy[start:end], np.float32), np.asarray(self._descriptors[start:end]),
                             (int(self._sizes[row, 0]), int(self._sizes[row, 1])))

    def all_features(self) -> list[LocalFeatures]:
        return [self.features(row) for row in range(len(self))]


def pack(features: list[LocalFeatures], dim: int) -> dict[str, np.ndarray]:
    """The four arrays of the layout above for `features`, one per image row."""
    counts = np.array([len(f) for f in features], np.int64)
    return {
        XY: (np.concatenate([f.xy for f in features]) if features else np.zeros((0, 2))).astype(np.float16),
        DESCRIPTORS: (np.concatenate([f.descriptors for f in features]) if features
                      else np.zeros((0, dim))).astype(np.uint8).reshape(-1, dim),
        OFFSETS: np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        SIZES: np.array([f.size for f in features], np.int32).reshape(-1, 2),
    }


def unpack(arrays: dict[str, np.ndarray]) -> list[LocalFeatures]:
    offsets, sizes = arrays[OFFSETS], arrays[SIZES]
    return [LocalFeatures(arrays[XY][offsets[i]:offsets[i + 1]].astype(np.float32),
                          arrays[DESCRIPTORS][offsets[i]:offsets[i + 1]], (int(sizes[i, 0]), int(sizes[i, 1])))
            for i in range(len(sizes))]


def write_npy(path: Path, shape: tuple, dtype, blocks: Iterable[np.ndarray]) -> dict:
    """An .npy file of `shape` written atomically from `blocks` (its rows in order), never whole in memory (a
    100,000-painting store holds 5 GB of descriptors: docs/benchmarks.md); its manifest entry {size, sha256}."""
    dtype = np.dtype(dtype)
    digest, size = hashlib.sha256(), 0
    header = _npy_header(shape, dtype)

    def write(temporary: Path) -> None:
        nonlocal size
        with open(temporary, "wb") as out:
            for chunk in (header, *(np.ascontiguousarray(block, dtype).tobytes() for block in blocks)):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        expected = len(header) + int(np.prod(shape)) * dtype.itemsize
        if size != expected:  # raised inside the write: the file is not put in place
            raise ValueError(f"{Path(path).name}: {size} bytes written for an array of shape {shape} ({expected})")

    atomic_write_with(Path(path), write)
    return {"size": size, "sha256": digest.hexdigest()}


def _npy_header(shape: tuple, dtype: np.dtype) -> bytes:
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": tuple(shape)})
    return header.getvalue()


def write_local_features(directory: Path, features: Sequence[LocalFeatures], spec: LocalSpec,
                         vocabulary: np.ndarray | None = None, words: np.ndarray | None = None) -> dict[str, dict]:
    """Write the layout above atomically, file by file, an image at a time (`features` may be a lazy sequence);
    the manifest entries ({name: {size, sha256}}) that bind the files to the index (the caller writes the
    manifest last)."""
    directory = Path(directory)
    counts, sizes = [], []
    for f in features:
        counts.append(len(f))
        sizes.append(f.size)
    total = int(sum(counts))
    entries = {
        XY: write_npy(directory / XY, (total, 2), np.float16, (f.xy for f in features)),
        DESCRIPTORS: write_npy(directory / DESCRIPTORS, (total, spec.dim), np.uint8,
                               (f.descriptors.reshape(-1, spec.dim) for f in features)),
        OFFSETS: write_npy(directory / OFFSETS, (len(counts) + 1,), np.int64,
                           [np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])]),
        SIZES: write_npy(directory / SIZES, (len(sizes), 2), np.int32, [np.array(sizes, np.int32).reshape(-1, 2)]),
    }
    if vocabulary is not None:
        entries[VOCABULARY] = write_npy(directory / VOCABULARY, vocabulary.shape, np.float16, [vocabulary])
        entries[WORDS] = write_npy(directory / WORDS, (len(words),), np.int32, [words])
    return entries


def local_description(features: list[LocalFeatures], spec: LocalSpec, vocabulary: np.ndarray | None) -> dict:
    """What the manifest says of the local features: the spec and what they cost."""
    keypoints = sum(len(f) for f in features)
    per_keypoint = spec.dim + 4 + (4 if vocabulary is not None else 0)  # descriptor, 2 float16 coordinates, word
    return {**spec.to_json(), "images": len(features), "keypoints": keypoints,
            "vocabulary_size": 0 if vocabulary is None else len(vocabulary),
            "bytes_per_painting": round(keypoints * per_keypoint / max(1, len(features)))}
