"""One pure-ASGI middleware for API paths: a structured access-log line per request,
Cache-Control per endpoint (with an ETag of the snapshot version for read endpoints), and
a JSON 500 for any unexpected exception, so no stack trace reaches a client."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import internal_error, is_api_path

access_log = logging.getLogger("vidensbank.access")
log = logging.getLogger(__name__)

# GET endpoints whose answer only depends on the URL and the snapshot: revalidate with the
# snapshot version as ETag (a cheap 304 until a new snapshot is swapped in).
SNAPSHOT_READS = ("/api/search", "/api/documents", "/api/passages", "/api/cases", "/api/facets")
NO_STORE = ("/healthz", "/readyz", "/api/stats")


def cache_control(method: str, path: str, status: int) -> str | None:
    """The Cache-Control of a response; None leaves it to the route (web pages)."""
    if not is_api_path(path):
        return None
    if method not in ("GET", "HEAD") or status >= 400 or path.startswith(NO_STORE):
        return "no-store"
    if path.startswith(SNAPSHOT_READS):
        return "no-cache"  # always revalidate: a new snapshot may be current any second
    return "public, max-age=300"  # /docs, /openapi.json: change only with a deploy


def _etag(version: str) -> str:
    return f'W/"{version}"'


class ApiMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method: str = scope["method"]
        path: str = scope["path"]
        info: dict[str, Any] = {"status": 500, "started": False}
        api = is_api_path(path)
        snapshot_read = method in ("GET", "HEAD") and path.startswith(SNAPSHOT_READS)

        if snapshot_read and await self._not_modified(scope, send, info):
            self._log(scope, info, started)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                info["started"] = True
                info["status"] = status = message["status"]
                headers = MutableHeaders(scope=message)
                policy = cache_control(method, path, status)
                if policy and "cache-control" not in headers:
                    headers["Cache-Control"] = policy
                version = scope.get("state", {}).get("snapshot_version")
                if version:
                    headers["X-Snapshot-Version"] = version
                    if snapshot_read and status == 200:
                        headers["ETag"] = _etag(version)
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            if not api or info["started"]:
                raise
            log.exception("unhandled error on %s %s", method, path)
            info["status"] = 500
            await internal_error()(scope, receive, send)
        finally:
            self._log(scope, info, started)

    async def _not_modified(self, scope: Scope, send: Send, info: dict[str, Any]) -> bool:
        tag = Headers(scope=scope).get("if-none-match")
        holder = getattr(scope["app"].state, "holder", None) if "app" in scope else None
        searcher = holder.searcher if holder is not None else None
        if not tag or searcher is None:
            return False
        etag = _etag(searcher.snapshot.version)
        if etag not in [t.strip() for t in tag.split(",")] and tag.strip() != "*":
            return False
        info["status"] = 304
        headers = [
            (b"etag", etag.encode()),
            (b"cache-control", b"no-cache"),
            (b"x-snapshot-version", searcher.snapshot.version.encode()),
        ]
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return True

    @staticmethod
    def _log(scope: Scope, info: dict[str, Any], started: float) -> None:
        client = scope.get("client")
        query = scope.get("query_string", b"").decode("latin-1")
        access_log.info(
            json.dumps(
                {
                    "method": scope["method"],
                    "path": scope["path"],
                    "query": query[:300] or None,
                    "status": info["status"],
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                    "snapshot": scope.get("state", {}).get("snapshot_version"),
                    "client": client[0] if client else None,
                },
                ensure_ascii=False,
            )
        )
