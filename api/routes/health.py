"""Liveness, readiness and snapshot statistics."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import Field

from ...search.manifest import Manifest
from ...search.searcher import Searcher
from ..deps import HolderDep, SearcherDep, SettingsDep
from ..errors import ApiError, ErrorBody
from ..holder import SnapshotHolder
from ..schemas import Counts, Health, Ready, Stats

router = APIRouter(tags=["health"])

NOT_READY: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorBody, "description": "No snapshot loaded yet"}
}


class Readiness(Ready):
    """``ready``, or ``degraded`` when the current snapshot failed validation and an older
    valid one is served (still 200: search answers, from older data)."""

    status: Literal["ready", "degraded"] = Field(examples=["ready"])
    fallback_from: str | None = Field(
        None,
        description="When degraded: the current snapshot that failed validation",
        examples=[None],
    )
    reason: str | None = Field(
        None,
        description="When degraded: why it failed; `vidensbank ingest` rebuilds it",
        examples=[None],
    )


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is alive (says nothing about the index)."""
    return Health(status="ok")


def _counts(manifest: Manifest) -> Counts:
    return Counts.model_validate(manifest.counts.model_dump())


def _status(holder: SnapshotHolder, searcher: Searcher) -> Literal["ready", "degraded"]:
    serving = holder.serving
    fallback = serving is not None and serving.searcher is searcher and serving.fallback
    return "degraded" if fallback else "ready"


@router.get("/readyz", response_model=Readiness, responses=NOT_READY)
def readyz(holder: HolderDep) -> Readiness:
    """A snapshot is loaded: its version and counts (503 until one is); ``degraded`` with
    ``fallback_from`` and ``reason`` when the current one is invalid and an older one serves."""
    serving = holder.serving
    if serving is None:
        raise ApiError(
            503,
            holder.last_error or "No snapshot loaded yet: run `vidensbank ingest`.",
            code="not_ready",
            headers={"Retry-After": "5"},
        )
    manifest = serving.searcher.snapshot.manifest
    fallback = serving.fallback
    return Readiness(
        status="degraded" if fallback else "ready",
        version=manifest.version,
        created_at=manifest.created_at.isoformat(),
        counts=_counts(manifest),
        fallback_from=fallback.failed if fallback else None,
        reason=fallback.reason if fallback else None,
    )


@router.get("/api/stats", response_model=Stats, tags=["search"], responses=NOT_READY)
def stats(searcher: SearcherDep, holder: HolderDep, settings: SettingsDep) -> Stats:
    """The snapshot this worker serves: version, counts, embedder and index kind."""
    manifest = searcher.snapshot.manifest
    return Stats(
        status=_status(holder, searcher),
        version=manifest.version,
        created_at=manifest.created_at.isoformat(),
        counts=_counts(manifest),
        embedder=manifest.embedder.model_dump(),
        dense=manifest.dense.model_dump(),
        loaded_at=holder.loaded_at,
        reload_interval_s=settings.reload_interval_s,
        writes_enabled=bool(settings.admin_token),
    )
