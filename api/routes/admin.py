"""Token-protected writes: upload (file or URL) and delete documents."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncGenerator
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from ..deps import HolderDep, SettingsDep
from ..errors import ApiError, ErrorBody
from ..holder import SnapshotHolder
from ..schemas import DeleteResult, UploadResult, UrlUpload
from ..validation import Id
from ..writes import UploadError, WriteOutcome, delete_document, fetch_url, ingest_upload

router = APIRouter(prefix="/api", tags=["admin"])

bearer = HTTPBearer(auto_error=False, description="VIDENSBANK_ADMIN_TOKEN of the server")
MULTIPART_OVERHEAD = 64 * 1024
MAX_JSON_BYTES = 16 * 1024

WRITE_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorBody, "description": "Missing or wrong bearer token"},
    403: {"model": ErrorBody, "description": "Writes are disabled (no admin token configured)"},
    409: {"model": ErrorBody, "description": "Another ingest is running"},
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


def _write_error(err: UploadError) -> ApiError:
    codes = {413: "payload_too_large", 415: "unsupported_media_type", 422: "ingest_failed"}
    return ApiError(err.status, err.message, code=codes.get(err.status), detail=err.detail)


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


async def _refresh(holder: SnapshotHolder) -> None:
    """Swap the new snapshot in now, so this worker's next request sees it."""
    await run_in_threadpool(holder.refresh)


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
        415: {"model": ErrorBody, "description": "Not a PDF, Markdown, text or HTML file"},
        502: {"model": ErrorBody, "description": "The URL could not be fetched"},
    },
    openapi_extra={"requestBody": UPLOAD_BODY},
)
async def upload_document(
    request: Request, response: Response, settings: SettingsDep, holder: HolderDep, _: Admin
) -> UploadResult:
    """Add a document: a multipart upload of a PDF, Markdown, text or HTML file in the field
    `file`, or JSON `{"url": "https://…"}` to fetch an HTML page or PDF. The file is
    ingested and a new snapshot built; the document is searchable when this returns.
    Uploading a file with the same name again replaces that document."""
    limit = int(settings.max_upload_mb * 1024 * 1024)
    too_large = (
        f"The upload is larger than {settings.max_upload_mb:g} MB: split or compress the file,"
        " or raise VIDENSBANK_MAX_UPLOAD_MB on the server."
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD:
        raise ApiError(413, too_large)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if media == "multipart/form-data":
            filename, content_type, data = await _read_upload(request, limit, too_large)
            outcome: WriteOutcome = await run_in_threadpool(
                ingest_upload, settings, filename, content_type, data
            )
        elif media == "application/json":
            body = b"".join([c async for c in _capped(request, MAX_JSON_BYTES, "JSON too large")])
            try:
                url = str(UrlUpload.model_validate(json.loads(body or b"null")).url)
            except (ValueError, ValidationError) as err:
                raise ApiError(
                    422,
                    'Send JSON like {"url": "https://…"} with an http(s) address.',
                    detail=str(err)[:500],
                ) from None
            outcome = await run_in_threadpool(fetch_url, settings, url)
        else:
            raise ApiError(
                415,
                f"Unsupported request content type {media or '(none)'!r}: send multipart/form-data"
                " with a 'file' field, or application/json with {\"url\": …}.",
            )
    except UploadError as err:
        raise _write_error(err) from None
    await _refresh(holder)
    searcher = holder.get()
    catalog = searcher.catalog
    document = catalog.documents.get(outcome.document_id)
    if outcome.status != "added":
        response.status_code = 200
    return UploadResult(
        document_id=outcome.document_id,
        status=outcome.status,
        title=document.title if document else None,
        passages=sum(1 for p in catalog.passages if p.document_id == outcome.document_id),
        cases=sum(1 for c in catalog.cases.values() if c.document_id == outcome.document_id),
        version=searcher.snapshot.version,
    )


@router.delete(
    "/documents/{document_id}",
    response_model=DeleteResult,
    responses={**WRITE_ERRORS, 404: {"model": ErrorBody, "description": "No such document"}},
)
async def remove_document(
    document_id: Id, settings: SettingsDep, holder: HolderDep, _: Admin
) -> DeleteResult:
    """Remove a document and build a snapshot without it. An uploaded file is deleted too;
    a file in the corpus folder stays (remove it there, or it returns with the next
    `vidensbank ingest`)."""
    version = await run_in_threadpool(delete_document, settings, document_id)
    if version is None:
        raise ApiError(404, f"No document with id {document_id!r}: list them at /api/documents.")
    await _refresh(holder)
    return DeleteResult(document_id=document_id, version=version)
