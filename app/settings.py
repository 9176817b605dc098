"""One Settings object: defaults < environment (MUSEUM_*) < command-line flags.

Library code takes plain arguments; only entry points build Settings and pass
its values down. The resolved settings are written beside every artifact.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.runtime import default_threads

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INDEX_ROOT = PROJECT_ROOT / "index"
WEIGHTS_ROOT = PROJECT_ROOT / "classifier" / "weights"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MUSEUM_", extra="ignore")

    encoder: str = "efficientnet-lite0"
    corpus: str = "met"
    index_dir: Path | None = None  # default: index/<corpus>-<encoder>
    heads_dir: Path | None = None  # default: classifier/weights/<encoder>
    best_artworks: Path | None = None  # a Kaggle "Best Artworks" folder, when the user has one
    batch_size: int = 32
    workers: int = 2  # image decode threads; never more than `threads`
    threads: int = Field(default_factory=default_threads, ge=1)  # the process's thread budget (app/threads.py)
    approx_threshold: int = 100_000
    top_k: int = 10
    seed: int = 0
    kiosk_idle_seconds: float = 180.0  # a kiosk session resets after this long without a visitor
    log_level: str = "WARNING"

    @model_validator(mode="after")
    def _decode_within_budget(self) -> "Settings":
        self.workers = max(1, min(self.workers, self.threads))
        return self

    def resolved_index_dir(self) -> Path:
        return self.index_dir or INDEX_ROOT / f"{self.corpus}-{slug(self.encoder)}"

    def resolved_heads_dir(self) -> Path:
        return self.heads_dir or WEIGHTS_ROOT / slug(self.encoder)

    def with_overrides(self, **flags) -> "Settings":
        """A validated copy with the command-line flags that were actually given (None = not given)."""
        given = {k: v for k, v in flags.items() if v is not None}
        return type(self)(**{**self.model_dump(), **given}) if given else self

    def to_json(self) -> dict:
        """The settings as written beside an artifact. Paths inside the project are relative to it, so a
        committed settings.json reads the same on every machine; the thread budget belongs to the machine
        that ran the build, not to what it built, and is left out."""
        values = {**self.model_dump(exclude={"threads"}), "index_dir": self.resolved_index_dir(),
                  "heads_dir": self.resolved_heads_dir()}
        return {key: portable_path(value) if isinstance(value, Path) else value for key, value in values.items()}


def slug(name: str) -> str:
    """A folder-safe form of an encoder name: "open_clip:ViT-B-32:laion2b" -> "open_clip-ViT-B-32-laion2b"."""
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name.replace(":", "-")).strip("-")


def portable_path(path: Path) -> str:
    """`path` relative to the project root (POSIX separators) when it lies inside it, else as given."""
    absolute = Path(path).resolve()
    return absolute.relative_to(PROJECT_ROOT).as_posix() if absolute.is_relative_to(PROJECT_ROOT) else str(path)
