"""Shared fixtures: real small data (Met paintings, generated images), real encoders."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SHARED_BEST_ARTWORKS = Path(os.environ.get(
    "MUSEUM_BEST_ARTWORKS", Path(__file__).resolve().parents[2] / "shared" / "data" / "best-artworks"))


@pytest.fixture(scope="session")
def best_artworks_root() -> Path:
    if not (SHARED_BEST_ARTWORKS / "artists.csv").is_file():
        pytest.skip(f"the Kaggle Best Artworks data is not at {SHARED_BEST_ARTWORKS} (set MUSEUM_BEST_ARTWORKS)")
    return SHARED_BEST_ARTWORKS


@pytest.fixture(scope="module")
def resources():
    """The app's resident parts as `museum serve` starts them (every part loaded and warmed), one per test module."""
    from app.conversation import warm
    from app.serving.resources import Resources
    from app.settings import Settings

    resources = Resources.from_settings(Settings())
    warm(resources)
    return resources


@pytest.fixture(scope="session")
def met_records():
    from data.corpora import load_met

    return load_met()


@pytest.fixture(scope="session")
def lite0():
    from retrieval.encoders import load_encoder

    return load_encoder("efficientnet-lite0")


@pytest.fixture(scope="session")
def met_image_path(met_records):
    """Van Gogh's Irises from the Met corpus."""
    return next(r.image_path for r in met_records if r.title == "Irises")


TINY_CLIP = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 2, "width": 64, "patch_size": 8, "head_width": 32},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}


@pytest.fixture(scope="session")
def tiny_clip_dir(tmp_path_factory):
    """A random-init open_clip checkpoint folder in the layout open_clip saves (config + weights)."""
    import open_clip
    import torch

    directory = tmp_path_factory.mktemp("tiny-clip")
    torch.manual_seed(0)
    model = open_clip.CLIP(**TINY_CLIP)
    torch.save(model.state_dict(), directory / "open_clip_pytorch_model.bin")
    (directory / "open_clip_config.json").write_text(json.dumps({
        "model_cfg": TINY_CLIP,
        "preprocess_cfg": {"mean": [0.48145466, 0.4578275, 0.40821073], "std": [0.26862954, 0.26130258, 0.27577711]},
    }))
    return directory, model


@pytest.fixture(scope="session")
def interrupted():
    """`interrupted(n, engine)`: a build engine that is killed (Ctrl-C) after handing over n shards."""

    def stop_after(shards: int, engine):
        def run(job):
            for count, result in enumerate(engine(job)):
                if count == shards:
                    raise KeyboardInterrupt
                yield result

        return run

    return stop_after
