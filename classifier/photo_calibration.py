"""How the heads speak of a photograph a camera took: their own temperature and known/unknown threshold.

The heads are calibrated on clean reproductions. On visitors' photos (an angle, a dim room, a visitor in front) the
same probabilities are over-confident (simulated photos: top-1 0.37 at a mean confidence far above it, ECE 0.15)
and the known/unknown rule lets most other painters through, so a photographed Hokusai could be "fairly sure ...
van Gogh" with his card. A photo is told from a reproduction by its EXIF (data/images.py `taken_by_camera`: the
camera's maker and model, which a phone camera writes and none of the reproductions checked here carry), and then
answered with a temperature and a threshold fitted on validation photos (`python docs/experiments/tiers.py photo`).

The file (photo-calibration.json) lives beside the heads and names the digest of the heads it was fitted for;
heads without it, or with one fitted for other heads, answer photos as reproductions.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from data.files import atomic_write_json

PHOTO_CALIBRATION_FILE = "photo-calibration.json"


@dataclass(frozen=True)
class PhotoCalibration:
    temperature: float  # the artist probabilities' temperature for a photo
    threshold: float  # a photo's known score at or above which its painter is named (the unknown rule's scale)


class PhotoCalibrationError(ValueError):
    """A photo calibration that does not belong to these heads."""


def heads_digest(heads_file: Path) -> str:
    return hashlib.sha256(Path(heads_file).read_bytes()).hexdigest()[:16]


def save_photo_calibration(directory: Path, heads_file: Path, calibration: PhotoCalibration, manifest: dict) -> None:
    atomic_write_json(Path(directory) / PHOTO_CALIBRATION_FILE,
                      {**manifest, "temperature": calibration.temperature, "threshold": calibration.threshold,
                       "heads_digest": heads_digest(heads_file)})


def load_photo_calibration(directory: Path, heads_file: Path) -> PhotoCalibration | None:
    """The photo calibration beside the heads in `directory`; None when there is none; PhotoCalibrationError when
    it was fitted for other heads than `heads_file` or is unreadable."""
    path = Path(directory) / PHOTO_CALIBRATION_FILE
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        calibration = PhotoCalibration(float(manifest["temperature"]), float(manifest["threshold"]))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise PhotoCalibrationError(f"{path} is unreadable ({error}): refit it "
                                    "(python docs/experiments/tiers.py photo)") from None
    if manifest.get("heads_digest") != heads_digest(heads_file):
        raise PhotoCalibrationError(f"{path} was fitted for other heads than {Path(heads_file).name}: refit it "
                                    "(python docs/experiments/tiers.py photo)")
    if calibration.temperature <= 0:
        raise PhotoCalibrationError(f"{path}: a temperature must be positive, not {calibration.temperature}")
    return calibration
