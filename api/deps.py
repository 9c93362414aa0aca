"""FastAPI dependencies shared by the API routes and the web pages.

Nothing here is a global: the settings and the snapshot holder live on ``app.state``
(set by ``create_app``). ``SearcherDep`` takes the current searcher once per request, so
everything a request reads comes from one snapshot even while a new one is swapped in."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..search.searcher import Searcher
from ..settings import Settings
from .holder import SnapshotHolder


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_holder(request: Request) -> SnapshotHolder:
    return request.app.state.holder


def get_searcher(
    request: Request, holder: Annotated[SnapshotHolder, Depends(get_holder)]
) -> Searcher:
    """The searcher of the snapshot that is current when the request starts (``NotReady``,
    answered 503, if none). Its version is kept on ``request.state.snapshot_version`` for
    the response headers."""
    searcher = holder.get()
    request.state.snapshot_version = searcher.snapshot.version
    return searcher


def get_snapshot_version(searcher: Annotated[Searcher, Depends(get_searcher)]) -> str:
    """Version of the snapshot this request reads (the same one ``SearcherDep`` gives)."""
    return searcher.snapshot.version


SettingsDep = Annotated[Settings, Depends(get_settings)]
HolderDep = Annotated[SnapshotHolder, Depends(get_holder)]
SearcherDep = Annotated[Searcher, Depends(get_searcher)]
SnapshotVersionDep = Annotated[str, Depends(get_snapshot_version)]
