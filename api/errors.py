"""The one error policy: every exception becomes a response here, and only here.

Paths under ``/api``, ``/healthz``, ``/readyz``, ``/docs`` and ``/openapi.json`` get the
API's JSON shape ``{"error": {"code", "message", "detail"}}``; every other path (the
staff pages) gets a Danish HTML page. There is one handler per exception type:

- ``HTTPException`` (and ``ApiError``): its status; ``RequestValidationError``: 422 / 400;
- ``InvalidParameter`` and ``UnknownFilterValue`` (checked parameters): 422 / 400;
- ``NotReady``: 503; ``LockBusy``: 409; ``WriteError``: its status; ``DiskFull``: 507;
- ``LoginRequired`` (admin pages): 303 to the login form; ``AdminRefused``: its page;
- anything else: 500.

Domain code raises its own exceptions; the HTTP status is decided here. A 5xx body is
generic and names the request id (also sent as ``X-Request-ID``); what went wrong goes to
the log under that id. No path, PID or stack trace ever reaches a client."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..disk import DiskFull
from ..lock import LockBusy
from ..search.facets import UnknownFilterValue
from ..web import render
from ..web.session import AdminRefused, LoginRequired
from ..writes import WriteError
from .holder import NotReady
from .validation import InvalidParameter

log = logging.getLogger(__name__)

JSON_PREFIXES = ("/api/", "/healthz", "/readyz", "/docs", "/openapi.json", "/redoc")
REQUEST_ID_HEADER = "X-Request-ID"

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
    500: "internal_error",
    502: "bad_gateway",
    503: "not_ready",
    507: "insufficient_storage",
}

MESSAGES = {
    404: "Nothing here: check the path against the API documentation at /docs.",
    405: "This method is not allowed on this path; see /docs for the allowed methods.",
}

# Generic 5xx messages: the request id lets an operator find the details in the log.
SERVER_MESSAGES = {
    500: "Internal error: the request could not be completed. Try again; if it keeps"
    " failing, report it with the request id so the server log can be checked.",
    502: "The address could not be fetched: check that it opens in a browser and serves"
    " an HTML page or a PDF, then try again.",
    507: "The server ran out of disk space; nothing was changed. Ask the administrator to"
    " free space, then try again.",
    503: "No search index is loaded yet: run `vidensbank ingest` (or wait while a new index"
    " is loaded) and try again in a few seconds.",
}
DAMAGED_MESSAGE = (
    "The search index is damaged and no earlier index can be served: run `vidensbank"
    " ingest` to rebuild it (the documents are kept; nothing needs to be uploaded again)."
)
BUSY_MESSAGE = (
    "Another ingest or upload is running; wait for it to finish and try again"
    " (Retry-After says when)."
)
UPLOAD_CODES = {413: "payload_too_large", 415: "unsupported_media_type", 422: "ingest_failed"}


class ErrorInfo(BaseModel):
    code: str = Field(description="Stable machine-readable error code", examples=["not_found"])
    message: str = Field(
        description="What went wrong and how to fix it",
        examples=["No case with id 'x': list the cases at /api/cases."],
    )
    detail: Any = Field(None, description="Extra structured information, e.g. invalid fields")


class ErrorBody(BaseModel):
    error: ErrorInfo


class ApiError(StarletteHTTPException):
    """An HTTP error with the API's code, a message that says how to fix it, and detail."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        code: str | None = None,
        detail: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status_code, message, headers)
        self.code = code or CODES.get(status_code, "error")
        self.message = message
        self.extra = detail


def wants_json(path: str) -> bool:
    """API paths answer errors in JSON; every other path is a page and answers HTML."""
    return path == "/api" or path.startswith(JSON_PREFIXES)


def request_id(request: Request) -> str:
    """The id the edge middleware gave this request (a new one if it never ran)."""
    state = request.scope.setdefault("state", {})
    if "request_id" not in state:
        state["request_id"] = uuid.uuid4().hex
    return state["request_id"]


def error_response(
    status: int,
    code: str,
    message: str,
    detail: Any = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(error=ErrorInfo(code=code, message=message, detail=detail))
    response = JSONResponse(body.model_dump(), status_code=status, headers=headers)
    response.headers["Cache-Control"] = "no-store"
    return response


def _respond(
    request: Request,
    status: int,
    code: str,
    message: str,
    *,
    detail: Any = None,
    headers: dict[str, str] | None = None,
    page_message: str | None = None,
    page_title: str | None = None,
) -> Response:
    """JSON for API paths, the Danish error page (the status's title and text, or
    ``page_title`` and ``page_message``) else."""
    if wants_json(request.url.path):
        response: Response = error_response(status, code, message, detail, headers)
    else:
        response = render.error_page(request, status, title=page_title, message=page_message)
        response.headers.update(headers or {})
        response.headers["Cache-Control"] = "no-store"
    response.headers[REQUEST_ID_HEADER] = request_id(request)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _server_error(
    request: Request,
    status: int,
    what: str,
    headers: dict[str, str] | None = None,
    *,
    message: str | None = None,
    page_text: tuple[str, str] | None = None,
) -> Response:
    """A generic 5xx: ``what`` (which may name paths or internals) goes to the log only;
    the response says the status's generic message unless given ``message`` (API) and
    ``page_text`` (the Danish page's title and message)."""
    rid = request_id(request)
    level = logging.WARNING if status == 503 else logging.ERROR  # 503: no index (yet)
    log.log(
        level, "%s %s -> %d [request %s]: %s", request.method, request.url.path, status, rid, what
    )
    message = message or SERVER_MESSAGES.get(status, SERVER_MESSAGES[500])
    return _respond(
        request,
        status,
        CODES.get(status, "internal_error"),
        f"{message} (request id {rid})",
        detail={"request_id": rid},
        headers=headers,
        page_message=render.server_error_text(status, rid, page_text and page_text[1]),
        page_title=page_text and page_text[0],
    )


# ---------------------------------------------------------------------------- handlers


def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status, headers = exc.status_code, dict(exc.headers or {})
    page_message = None
    if isinstance(exc, ApiError):  # the route's own message (Danish when a page raised it)
        code, message, detail = exc.code, exc.message, exc.extra
        page_message = exc.message
    else:
        text = exc.detail if isinstance(exc.detail, str) else None
        code, message, detail = CODES.get(status, "error"), MESSAGES.get(status) or text, None
    if status >= 500:
        return _server_error(request, status, message or "HTTP error", headers)
    return _respond(
        request,
        status,
        code,
        message or "Request failed.",
        detail=detail,
        headers=headers,
        page_message=page_message,
    )


UNKNOWN_PARAMETER = "not a parameter of this endpoint (misspelt?)"


def on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        problems.append(
            {
                "field": ".".join(loc[1:]) if len(loc) > 1 else ".".join(loc),
                "in": loc[0] if loc else "request",
                "message": UNKNOWN_PARAMETER
                if err.get("type") == "extra_forbidden"
                else str(err.get("msg", "")),
            }
        )
    summary = "; ".join(f"{p['field'] or p['in']}: {p['message']}" for p in problems[:5])
    message = f"Invalid request ({summary}). See /docs for the allowed values."
    status = 422 if wants_json(request.url.path) else 400
    return _respond(request, status, "invalid_request", message, detail=problems)


def on_invalid_parameter(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, InvalidParameter)
    problem = {"field": exc.field, "in": "query", "message": exc.message}
    message = f"Invalid request ({exc.field}: {exc.message}). See /docs for the allowed values."
    status = 422 if wants_json(request.url.path) else 400
    return _respond(
        request,
        status,
        "invalid_request",
        message,
        detail=[problem],
        page_message=render.parameter_text(exc.field, exc.value),
    )


def on_unknown_filter(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, UnknownFilterValue)
    status = 422 if wants_json(request.url.path) else 400
    return _respond(
        request,
        status,
        "invalid_filter",
        str(exc),
        detail={"field": exc.kind, "value": exc.value, "valid": exc.valid},
        page_message=render.unknown_filter_text(exc.kind, exc.value),
    )


def on_not_ready(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotReady)
    return _server_error(
        request,
        503,
        str(exc),
        {"Retry-After": "5"},
        message=DAMAGED_MESSAGE if exc.damaged else None,
        page_text=render.DAMAGED_INDEX if exc.damaged else None,
    )


def on_lock_busy(request: Request, exc: Exception) -> Response:
    log.info("write refused while busy [request %s]: %s", request_id(request), exc)
    return _respond(request, 409, "busy", BUSY_MESSAGE, headers={"Retry-After": "30"})


def on_write_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, WriteError)
    if exc.status >= 500:
        return _server_error(request, exc.status, exc.message)
    code = UPLOAD_CODES.get(exc.status) or CODES.get(exc.status, "error")
    return _respond(request, exc.status, code, exc.message, detail=exc.detail)


def on_disk_full(request: Request, exc: Exception) -> Response:
    return _server_error(request, 507, str(exc))


def on_login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    response = RedirectResponse(exc.location, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    response.headers[REQUEST_ID_HEADER] = request_id(request)
    return response


def on_admin_refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AdminRefused)
    response = render.error_page(request, exc.status, title=exc.title, message=exc.message)
    response.headers["Cache-Control"] = "no-store"
    response.headers[REQUEST_ID_HEADER] = request_id(request)
    return response


def on_unexpected(request: Request, exc: Exception) -> Response:
    log.error("unhandled error [request %s]", request_id(request), exc_info=exc)
    return _server_error(request, 500, f"{type(exc).__name__} (traceback above)")


Handler = Callable[[Request, Exception], Response | Awaitable[Response]]

HANDLERS: dict[type[Exception], Handler] = {
    StarletteHTTPException: on_http_error,
    RequestValidationError: on_validation_error,
    InvalidParameter: on_invalid_parameter,
    UnknownFilterValue: on_unknown_filter,
    NotReady: on_not_ready,
    LockBusy: on_lock_busy,
    WriteError: on_write_error,
    DiskFull: on_disk_full,
    LoginRequired: on_login_required,
    AdminRefused: on_admin_refused,
    Exception: on_unexpected,
}


def install_error_handlers(app: FastAPI) -> None:
    """Register the one handler of each exception type."""
    for kind, handler in HANDLERS.items():
        app.add_exception_handler(kind, handler)
