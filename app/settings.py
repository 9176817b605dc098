"""One Settings object: defaults < environment (MUSEUM_*) < command-line flags.

Library code takes plain arguments; only entry points build Settings and pass
its values down. The resolved settings are written beside every artifact.
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INDEX_ROOT = PROJECT_ROOT / "index"
WEIGHTS_ROOT = PROJECT_ROOT / "classifier" / "weights"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MUSEUM_", extra="ignore")

    encoder: str = "efficientnet-lite0"
    similar_encoder: str = "style-lite0"  # what `museum similar` ranks by unless --encoder or --index-dir says otherwise
    corpus: str = "met"
    index_dir: Path | None = None  # default: index/<corpus>-<encoder>
    heads_dir: Path | None = None  # default: classifier/weights/<encoder>
    best_artworks: Path | None = None  # a Kaggle "Best Artworks" folder, when the user has one
    batch_size: int = 32
    workers: int = 2
    approx_threshold: int = 100_000
    top_k: int = 10
    seed: int = 0
    cache_dir: Path = Path("/tmp/museum-cache")  # features and search vectors computed once (MUSEUM_CACHE_DIR)
    kiosk_idle_seconds: float = 180.0  # a kiosk session resets after this long without a visitor
    log_level: str = "WARNING"

    def resolved_index_dir(self) -> Path:
        return self.index_dir or INDEX_ROOT / f"{self.corpus}-{slug(self.encoder)}"

    def resolved_heads_dir(self) -> Path:
        return self.heads_dir or WEIGHTS_ROOT / slug(self.encoder)

    def with_overrides(self, **flags) -> "Settings":
        """A validated copy with the command-line flags that were actually given (None = not given)."""
        given = {k: v for k, v in flags.items() if v is not None}
        return type(self)(**{**self.model_dump(), **given}) if given else self

    def to_json(self) -> dict:
        return {**self.model_dump(mode="json"), "index_dir": str(self.resolved_index_dir()),
                "heads_dir": str(self.resolved_heads_dir())}


def slug(name: str) -> str:
    """A folder-safe form of an encoder name: "open_clip:ViT-B-32:laion2b" -> "open_clip-ViT-B-32-laion2b"."""
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name.replace(":", "-")).strip("-")
