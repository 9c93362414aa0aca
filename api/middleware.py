"""The app's edge, one pure-ASGI middleware for every path:

- a request id per request (``X-Request-ID``; a well-formed one sent by a proxy is kept),
  which error bodies and log lines name;
- ``X-Content-Type-Options: nosniff`` on every response (``/static``, ``/docs`` included);
- HEAD answered for every GET route (run as GET, body dropped);
- a trailing-slash redirect with a relative ``Location`` (the app has
  ``redirect_slashes=False``: Starlette's own redirect echoes the Host header);
- Cache-Control per API endpoint, with the snapshot version as ETag for read endpoints;
- one JSON access-log line per request, with secrets in the query string redacted.

Exceptions are not handled here: ``api/errors.py`` answers every one of them."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlencode

from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import REQUEST_ID_HEADER, wants_json

access_log = logging.getLogger("vidensbank.access")

# GET endpoints whose answer only depends on the URL and the snapshot: revalidate with the
# snapshot version as ETag (a cheap 304 until a new snapshot is swapped in).
SNAPSHOT_READS = ("/api/search", "/api/documents", "/api/passages", "/api/cases", "/api/facets")
NO_STORE = ("/healthz", "/readyz", "/api/stats")
SECRET_PARAM = re.compile(r"token|key|pass(word|wd)?|secret|auth|session|signature", re.I)
GOOD_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
LOGGED_QUERY_CHARS = 300


def cache_control(method: str, path: str, status: int) -> str | None:
    """The Cache-Control of a response; None leaves it to the route (web pages)."""
    if not wants_json(path):
        return None
    if method not in ("GET", "HEAD") or status >= 400 or path.startswith(NO_STORE):
        return "no-store"
    if path.startswith(SNAPSHOT_READS):
        return "no-cache"  # always revalidate: a new snapshot may be current any second
    return "public, max-age=300"  # /docs, /openapi.json: change only with a deploy


def redacted_query(query_string: bytes) -> str | None:
    """The query string for the log: values of parameters named like a secret (token,
    key, password, …) replaced by ``[redacted]``; at most ``LOGGED_QUERY_CHARS``."""
    text = query_string.decode("latin-1")
    if not text:
        return None
    pairs = parse_qsl(text, keep_blank_values=True)
    if any(SECRET_PARAM.search(name) for name, _ in pairs):
        text = urlencode(
            [(n, "[redacted]" if SECRET_PARAM.search(n) else v) for n, v in pairs],
            safe="[]",
        )
    return text[:LOGGED_QUERY_CHARS]


def _etag(version: str) -> str:
    return f'W/"{version}"'


def _request_id(scope: Scope) -> str:
    sent = Headers(scope=scope).get(REQUEST_ID_HEADER, "")
    return sent if GOOD_REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex


def _matches(scope: Scope, path: str) -> bool:
    app = scope.get("app")
    routes = getattr(getattr(app, "router", None), "routes", [])
    probe = {**scope, "path": path}
    return any(route.matches(probe)[0] is not Match.NONE for route in routes)


def slash_redirect(scope: Scope) -> str | None:
    """A relative Location for ``/x/`` when only ``/x`` is a route; None otherwise.
    Leading slashes collapse to one, so ``//host/`` never becomes ``//host``."""
    path: str = scope["path"]
    if path == "/" or not path.endswith("/") or _matches(scope, path):
        return None
    target = "/" + path.strip("/")
    if not _matches(scope, target):
        return None
    query = scope.get("query_string", b"").decode("latin-1")
    return quote(target, safe="/:@!$&'()*+,;=-._~") + (f"?{query}" if query else "")


@dataclass
class _Exchange:
    """What the access log needs to know about one request."""

    method: str
    started: float
    status: int = 500


class EdgeMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = _Exchange(method=scope["method"], started=time.perf_counter())
        rid = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = rid
        if exchange.method == "HEAD":
            scope = {**scope, "method": "GET"}  # same answer as GET; the body is dropped
        try:
            location = slash_redirect(scope) if scope["method"] == "GET" else None
            if location is not None:
                exchange.status = 307
                redirect = [(b"location", location.encode("latin-1")), (b"content-length", b"0")]
                await self._reply(send, 307, rid, redirect)
            elif not await self._not_modified(scope, send, exchange, rid):
                await self.app(scope, receive, self._sender(scope, send, exchange, rid))
        finally:
            self._log(scope, exchange)

    def _sender(self, scope: Scope, send: Send, exchange: _Exchange, rid: str) -> Send:
        path: str = scope["path"]
        snapshot_read = scope["method"] == "GET" and path.startswith(SNAPSHOT_READS)
        head = exchange.method == "HEAD"

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                exchange.status = status = message["status"]
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = rid
                headers["X-Content-Type-Options"] = "nosniff"
                policy = cache_control(exchange.method, path, status)
                if policy and "cache-control" not in headers:
                    headers["Cache-Control"] = policy
                version = scope.get("state", {}).get("snapshot_version")
                if version:
                    headers["X-Snapshot-Version"] = version
                    if snapshot_read and status == 200:
                        headers["ETag"] = _etag(version)
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        return send_wrapper

    @staticmethod
    async def _reply(send: Send, status: int, rid: str, headers: list[tuple[bytes, bytes]]) -> None:
        """An empty response straight from the edge (redirect, 304)."""
        common = [
            (REQUEST_ID_HEADER.lower().encode(), rid.encode()),
            (b"x-content-type-options", b"nosniff"),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers + common})
        await send({"type": "http.response.body", "body": b""})

    async def _not_modified(self, scope: Scope, send: Send, exchange: _Exchange, rid: str) -> bool:
        if scope["method"] != "GET" or not scope["path"].startswith(SNAPSHOT_READS):
            return False
        tag = Headers(scope=scope).get("if-none-match")
        holder = getattr(scope["app"].state, "holder", None) if "app" in scope else None
        searcher = holder.searcher if holder is not None else None
        if not tag or searcher is None:
            return False
        etag = _etag(searcher.snapshot.version)
        if etag not in [t.strip() for t in tag.split(",")] and tag.strip() != "*":
            return False
        exchange.status = 304
        headers = [
            (b"etag", etag.encode()),
            (b"cache-control", b"no-cache"),
            (b"x-snapshot-version", searcher.snapshot.version.encode()),
        ]
        await self._reply(send, 304, rid, headers)
        return True

    @staticmethod
    def _log(scope: Scope, exchange: _Exchange) -> None:
        client = scope.get("client")
        state = scope.get("state", {})
        access_log.info(
            json.dumps(
                {
                    "method": exchange.method,
                    "path": scope["path"],
                    "query": redacted_query(scope.get("query_string", b"")),
                    "status": exchange.status,
                    "ms": round((time.perf_counter() - exchange.started) * 1000, 2),
                    "snapshot": state.get("snapshot_version"),
                    "request_id": state.get("request_id"),
                    "client": client[0] if client else None,
                },
                ensure_ascii=False,
            )
        )


class RedactSecrets(logging.Filter):
    """For uvicorn's own access log (off in ``vidensbank serve``, but one flag away): the
    request path's query string with secret-looking parameters redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path, _, query = args[2].partition("?")
            if query:
                redacted = redacted_query(query.encode("latin-1", "replace")) or ""
                record.args = (*args[:2], f"{path}?{redacted}", *args[3:])
        return True
