"""Instant styles: one small trained transform network per painter, shipped beside the classifier's heads.

The folder is Settings.resolved_stylizers_dir() (classifier/weights/stylizers unless set);
`stylizers.json` in it names every style (its painter, weights file, checksum, the works it learnt
from and how it was trained); the weights are float16 state dicts of classifier/stylize/transform.py's
network. A file that does not match its manifest is refused with the command that rebuilds it.
"""

from __future__ import annotations

import functools
import io
import json
from pathlib import Path

import torch
from PIL import Image

from classifier.stylize.pictures import StylizeError, fitted, to_image, to_tensor
from classifier.stylize.transform import RESIDUAL_BLOCKS, WIDTHS, TransformNet
from data.files import atomic_write_bytes, atomic_write_json, sha256_bytes, sha256_file

MANIFEST = "stylizers.json"
FORMAT_VERSION = 1
REBUILD = "rebuild it with `museum train stylizer --best-artworks PATH --other-painters PATH`"


def network_description() -> dict:
    return {"widths": list(WIDTHS), "residual_blocks": RESIDUAL_BLOCKS}


def read_manifest(directory: Path) -> dict:
    """The folder's manifest ({"styles": {} } when there is none yet)."""
    path = directory / MANIFEST
    if not path.is_file():
        return {"format_version": FORMAT_VERSION, "network": network_description(), "styles": {}}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise StylizeError(f"{path} cannot be read ({error}); {REBUILD}") from None
    if manifest.get("format_version") != FORMAT_VERSION or manifest.get("network") != network_description():
        raise StylizeError(f"{path} was written for another stylizer network; {REBUILD}")
    return manifest


def instant_styles(directory: Path) -> list[str]:
    """The painters with an instant style, in the manifest's order (reads the manifest only)."""
    return list(read_manifest(directory)["styles"])


@functools.cache
def load_instant(directory: Path, painter: str) -> TransformNet:
    """The painter's transform network in eval mode (cached: a kiosk loads each one once)."""
    entry = read_manifest(directory)["styles"].get(painter)
    if entry is None:
        raise StylizeError(f"no instant style for {painter}")
    path = directory / entry["file"]
    if not path.is_file() or sha256_file(path) != entry["sha256"]:
        raise StylizeError(f"{path} is missing or does not match {directory / MANIFEST}; {REBUILD}")
    net = TransformNet()
    state = torch.load(path, map_location="cpu", weights_only=True)
    net.load_state_dict({name: value.float() for name, value in state.items()})
    return net.eval()


def paint_instantly(net: TransformNet, photo: Image.Image, side: int = 512) -> Image.Image:
    """`photo` painted by the transform network, its longer side `side`."""
    with torch.inference_mode():
        return to_image(net(to_tensor(fitted(photo, side))))


def save_instant(directory: Path, net: TransformNet, painter: str, file: str, recipe: dict) -> None:
    """Write the painter's weights (float16) and their manifest entry, each atomically; the other styles stay."""
    directory.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    torch.save({name: value.half() for name, value in net.state_dict().items()}, buffer)
    payload = buffer.getvalue()
    atomic_write_bytes(directory / file, payload)
    manifest = read_manifest(directory)
    manifest["styles"][painter] = {"file": file, "sha256": sha256_bytes(payload), "bytes": len(payload), **recipe}
    atomic_write_json(directory / MANIFEST, manifest)
    load_instant.cache_clear()
