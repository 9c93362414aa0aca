"""Liveness, readiness and snapshot statistics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..deps import HolderDep, SearcherDep, SettingsDep
from ..errors import ApiError, ErrorBody
from ..schemas import Counts, Health, Ready, Stats

router = APIRouter(tags=["health"])

NOT_READY: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorBody, "description": "No snapshot loaded yet"}
}


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is alive (says nothing about the index)."""
    return Health(status="ok")


def _counts(manifest: dict[str, object]) -> Counts:
    counts = manifest.get("counts")
    return Counts.model_validate(counts if isinstance(counts, dict) else {})


@router.get("/readyz", response_model=Ready, responses=NOT_READY)
def readyz(holder: HolderDep) -> Ready:
    """A snapshot is loaded: its version and counts (503 until one is)."""
    searcher = holder.searcher
    if searcher is None:
        raise ApiError(
            503,
            holder.last_error or "No snapshot loaded yet: run `vidensbank ingest`.",
            code="not_ready",
            headers={"Retry-After": "5"},
        )
    manifest = searcher.snapshot.manifest
    return Ready(
        status="ready",
        version=searcher.snapshot.version,
        created_at=str(manifest.get("created_at") or "") or None,
        counts=_counts(manifest),
    )


@router.get("/api/stats", response_model=Stats, tags=["search"], responses=NOT_READY)
def stats(searcher: SearcherDep, holder: HolderDep, settings: SettingsDep) -> Stats:
    """The snapshot this worker serves: version, counts, embedder and index kind."""
    manifest = searcher.snapshot.manifest
    embedder = manifest.get("embedder")
    dense = manifest.get("dense")
    return Stats(
        status="ready",
        version=searcher.snapshot.version,
        created_at=str(manifest.get("created_at") or "") or None,
        counts=_counts(manifest),
        embedder=embedder if isinstance(embedder, dict) else {},
        dense=dense if isinstance(dense, dict) else {},
        loaded_at=holder.loaded_at,
        reload_interval_s=settings.reload_interval_s,
        writes_enabled=bool(settings.admin_token),
    )
