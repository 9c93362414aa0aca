"""One JSON error shape for every API error, mapped once at the edge.

``{"error": {"code": "not_found", "message": "…how to fix it…", "detail": …}}``

Domain code raises its own exceptions (``LockBusy``, ``NotReady``, …) or ``ApiError``;
the handlers here turn them into responses. ``ApiError`` is an ``HTTPException``, so the
web page's HTML error handlers can render the same errors for browser paths."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..lock import LockBusy
from .holder import NotReady

log = logging.getLogger(__name__)

API_PREFIXES = ("/api", "/healthz", "/readyz", "/docs", "/openapi.json", "/redoc")

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
}

MESSAGES = {
    404: "Nothing here: check the path against the API documentation at /docs.",
    405: "This method is not allowed on this path; see /docs for the allowed methods.",
    500: "Internal error: the request could not be completed. Try again; if it keeps failing,"
    " report it with the time of the request so the server log can be checked.",
}


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


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith(API_PREFIXES)


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


def _http_error(exc: StarletteHTTPException) -> JSONResponse:
    if isinstance(exc, ApiError):
        return error_response(exc.status_code, exc.code, exc.message, exc.extra, exc.headers)
    status = exc.status_code
    generic = MESSAGES.get(status)
    detail = exc.detail if isinstance(exc.detail, str) else None
    message = generic or detail or "Request failed."
    return error_response(status, CODES.get(status, "error"), message, None, exc.headers)


def _validation_error(exc: RequestValidationError) -> JSONResponse:
    problems = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        problems.append(
            {
                "field": ".".join(loc[1:]) if len(loc) > 1 else ".".join(loc),
                "in": loc[0] if loc else "request",
                "message": str(err.get("msg", "")),
            }
        )
    summary = "; ".join(f"{p['field'] or p['in']}: {p['message']}" for p in problems[:5])
    return error_response(
        422,
        "invalid_request",
        f"Invalid request ({summary}). See /docs for the allowed values.",
        problems,
    )


def _map(exc: Exception) -> JSONResponse:
    if isinstance(exc, StarletteHTTPException):
        return _http_error(exc)
    if isinstance(exc, RequestValidationError):
        return _validation_error(exc)
    if isinstance(exc, NotReady):
        return error_response(503, "not_ready", str(exc), headers={"Retry-After": "5"})
    if isinstance(exc, LockBusy):
        return error_response(409, "busy", str(exc), headers={"Retry-After": "30"})
    return internal_error()


def internal_error() -> JSONResponse:
    return error_response(500, "internal_error", MESSAGES[500])


Handler = Callable[[Request, Exception], Response | Awaitable[Response]]


def install_error_handlers(app: FastAPI) -> None:
    """JSON errors for API paths. Install after the web page's HTML handlers: for other
    paths, these delegate to whatever handler was registered before (or answer JSON)."""
    for kind in (StarletteHTTPException, RequestValidationError, NotReady, LockBusy, Exception):
        previous: Handler | None = app.exception_handlers.get(kind)
        app.add_exception_handler(kind, _handler(previous))


def _handler(previous: Handler | None) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        if previous is not None and not is_api_path(request.url.path):
            result = previous(request, exc)
            if isinstance(result, Awaitable):
                result = await result
            return result
        if not isinstance(
            exc, StarletteHTTPException | RequestValidationError | NotReady | LockBusy
        ):
            log.error("unhandled error on %s", request.url.path, exc_info=exc)
        return _map(exc)

    return handle
