"""Token-protected writes: upload (file or URL) and delete documents.

The routes translate HTTP to the write service (``vidensbank.writes``) and back. They
also keep writes from starving readers: a write runs on threads of its own (not the pool
that serves searches), one write at a time per process in arrival order, waiting at most
``VIDENSBANK_WRITE_WAIT_S`` before a 409; at most ``VIDENSBANK_FETCH_CONCURRENCY`` URL
fetches run at once, and more are answered 429 at once."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncGenerator
from functools import partial
from typing import Annotated, TypeVar

import anyio
from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from ...settings import Settings
from ...writes import (
    Fetched,
    WriteOutcome,
    add_fetched,
    add_file,
    fetch_url,
    remove_documents,
    too_large,
    upload_limit,
)
from ..deps import HolderDep, SettingsDep
from ..errors import ApiError, ErrorBody
from ..holder import SnapshotHolder
from ..schemas import DeleteResult, UploadResult, UrlUpload
from ..validation import Id
from ..write_gates import run_write, write_gates

router = APIRouter(prefix="/api", tags=["admin"])

bearer = HTTPBearer(auto_error=False, description="VIDENSBANK_ADMIN_TOKEN of the server")
MULTIPART_OVERHEAD = 64 * 1024
MAX_JSON_BYTES = 16 * 1024
RETRY_AFTER_S = "10"
T = TypeVar("T")

WRITE_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorBody, "description": "Missing or wrong bearer token"},
    403: {"model": ErrorBody, "description": "Writes are disabled (no admin token configured)"},
    409: {
        "model": ErrorBody,
        "description": "Another write kept the writer busy too long; retry after Retry-After",
    },
    422: {"model": ErrorBody, "description": "Invalid request or file that cannot be ingested"},
}


def require_admin(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    if not settings.admin_token:
        raise ApiError(
            403,
            "Write endpoints are disabled: set VIDENSBANK_ADMIN_TOKEN on the server (e.g. to the"
            " output of `python -c 'import secrets; print(secrets.token_urlsafe(32))'`) and"
            " restart `vidensbank serve`.",
            code="writes_disabled",
        )
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise ApiError(
            401,
            "Missing token: send the header 'Authorization: Bearer <VIDENSBANK_ADMIN_TOKEN>'.",
            headers=challenge,
        )
    if not secrets.compare_digest(
        credentials.credentials.encode("utf-8"), settings.admin_token.encode("utf-8")
    ):
        raise ApiError(
            401,
            "Wrong token: use the value of VIDENSBANK_ADMIN_TOKEN configured on the server.",
            headers=challenge,
        )


Admin = Annotated[None, Depends(require_admin)]


async def _fetch(request: Request, settings: Settings, url: str) -> Fetched:
    """Fetch for a URL upload, within the cap on concurrent fetches (429 beyond it)."""
    gates = write_gates(request, settings)
    try:
        gates.fetches.acquire_nowait()
    except anyio.WouldBlock:
        raise ApiError(
            429,
            f"{settings.fetch_concurrency} URL uploads are being fetched right now; try again"
            " in a few seconds (or raise VIDENSBANK_FETCH_CONCURRENCY on the server).",
            code="too_many_requests",
            headers={"Retry-After": RETRY_AFTER_S},
        ) from None
    try:
        return await anyio.to_thread.run_sync(fetch_url, settings, url, limiter=gates.threads)
    finally:
        gates.fetches.release()


async def _capped(request: Request, limit: int, message: str) -> AsyncGenerator[bytes, None]:
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, message)
        yield chunk


async def _read_upload(request: Request, limit: int, message: str) -> tuple[str, str, bytes]:
    parser = MultiPartParser(
        request.headers,
        _capped(request, limit + MULTIPART_OVERHEAD, message),
        max_files=1,
        max_fields=5,
        max_part_size=MAX_JSON_BYTES,
    )
    try:
        form = await parser.parse()
    except MultiPartException as err:
        raise ApiError(
            422, f"Invalid multipart body ({err.message}): send the file in the form field 'file'."
        ) from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(
                422,
                "No file in the form field 'file': send multipart/form-data with the file as"
                " 'file', e.g. curl -F file=@rapport.pdf.",
            )
        data = await upload.read(limit + 1)
        if len(data) > limit:
            raise ApiError(413, message)
        return upload.filename or "", upload.content_type or "", data
    finally:
        await form.close()


UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        },
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"url": {"type": "string", "format": "uri", "maxLength": 2083}},
                "required": ["url"],
            },
            "example": {"url": "https://almennet.dk/media/1234/beboerdemokrati.pdf"},
        },
    },
}


@router.post(
    "/documents",
    response_model=UploadResult,
    status_code=201,
    responses={
        200: {"model": UploadResult, "description": "Updated or unchanged (same file again)"},
        **WRITE_ERRORS,
        413: {"model": ErrorBody, "description": "File larger than VIDENSBANK_MAX_UPLOAD_MB"},
        415: {
            "model": ErrorBody,
            "description": "Not a PDF, Word (.docx), Markdown, text or HTML file",
        },
        429: {"model": ErrorBody, "description": "Too many URL fetches at once; retry later"},
        502: {"model": ErrorBody, "description": "The URL could not be fetched"},
    },
    openapi_extra={"requestBody": UPLOAD_BODY},
)
async def upload_document(
    request: Request, response: Response, settings: SettingsDep, holder: HolderDep, _: Admin
) -> UploadResult:
    """Add a document: a multipart upload of a PDF, Word (.docx), Markdown, text or HTML
    file in the field `file`, or JSON `{"url": "https://…"}` to fetch an HTML page or PDF.
    The file is ingested and a new snapshot built; the document is searchable when this
    returns.
    Uploading a file with the same name again replaces that document."""
    limit = upload_limit(settings)
    too_big = too_large(settings).message
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD:
        raise ApiError(413, too_big)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "multipart/form-data":
        filename, content_type, data = await _read_upload(request, limit, too_big)
        work = partial(add_file, settings, filename, content_type, data)
    elif media == "application/json":
        fetched = await _fetch(request, settings, await _read_url(request))
        work = partial(add_fetched, settings, fetched)
    else:
        raise ApiError(
            415,
            f"Unsupported request content type {media or '(none)'!r}: send multipart/form-data"
            " with a 'file' field, or application/json with {\"url\": …}.",
        )
    outcome: WriteOutcome = await run_write(request, settings, holder, work)
    if outcome.status != "added":
        response.status_code = 200
    return _upload_result(holder, outcome)


async def _read_url(request: Request) -> str:
    body = b"".join([c async for c in _capped(request, MAX_JSON_BYTES, "JSON too large")])
    try:
        return str(UrlUpload.model_validate(json.loads(body or b"null")).url)
    except (ValueError, ValidationError) as err:
        raise ApiError(
            422,
            'Send JSON like {"url": "https://…"} with an http(s) address.',
            detail=str(err)[:500],
        ) from None


def _upload_result(holder: SnapshotHolder, outcome: WriteOutcome) -> UploadResult:
    searcher = holder.get()
    catalog = searcher.catalog
    document = catalog.documents.get(outcome.document_id)
    return UploadResult(
        document_id=outcome.document_id,
        status=outcome.status,
        title=document.title if document else None,
        passages=sum(1 for p in catalog.passages if p.document_id == outcome.document_id),
        cases=sum(1 for c in catalog.cases.values() if c.document_id == outcome.document_id),
        version=outcome.version or searcher.snapshot.version,
    )


@router.delete(
    "/documents/{document_id}",
    response_model=DeleteResult,
    responses={**WRITE_ERRORS, 404: {"model": ErrorBody, "description": "No such document"}},
)
async def remove_document(
    request: Request, document_id: Id, settings: SettingsDep, holder: HolderDep, _: Admin
) -> DeleteResult:
    """Remove a document and build a snapshot without it. An uploaded file is deleted too;
    a file in the corpus folder stays (remove it there, or it returns with the next
    `vidensbank ingest`)."""
    work = partial(remove_documents, settings, [document_id])
    outcome = await run_write(request, settings, holder, work)
    if outcome.version is None:
        raise ApiError(404, f"No document with id {document_id!r}: list them at /api/documents.")
    return DeleteResult(document_id=document_id, version=outcome.version)
