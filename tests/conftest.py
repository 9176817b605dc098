"""Shared fixtures: real small data (Met paintings, generated images), real encoders."""

from __future__ import annotations

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
