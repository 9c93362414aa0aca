"""Upload with metadata: the form posts the file, the file is read and its structure
shown (nothing written but the staged file), then "Gem og indeksér" runs the real write
(``writes.add_file``) on the API's write threads, or "Annullér" drops it."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from functools import partial
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from ...api.deps import HolderDep, SettingsDep
from ...api.errors import ApiError
from ...api.write_gates import run_write, write_gates
from ...ingest.errors import FileTooLarge, IngestError, UnsupportedFormat
from ...ingest.gazetteer import Gazetteer
from ...ingest.preview import Preview, preview_bytes
from ...settings import Settings
from ...writes import (
    WriteError,
    WriteOutcome,
    add_file,
    upload_limit,
    upload_name,
    uploads_dir,
)
from ..render import render
from ..session import AdminPageDep, CsrfDep, csrf_token, verify_csrf
from . import staging, texts
from .catalog import list_documents
from .documents import admin_page
from .forms import read_metadata

router = APIRouter()

FORM_OVERHEAD = 64 * 1024
MAX_FIELD_BYTES = 16 * 1024


class FormTooLarge(Exception):
    pass


async def _capped(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise FormTooLarge
        yield chunk


async def read_upload_form(request: Request, settings: Settings) -> FormData:
    """The multipart form, never more than the upload limit read (FormTooLarge)."""
    limit = upload_limit(settings) + FORM_OVERHEAD
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise FormTooLarge
    parser = MultiPartParser(
        request.headers,
        _capped(request, limit),
        max_files=1,
        max_fields=20,
        max_part_size=MAX_FIELD_BYTES,
    )
    return await parser.parse()


def _form_page(
    request: Request,
    settings: Settings,
    values: dict[str, str],
    errors: dict[str, str],
    status: int,
) -> Response:
    context: dict[str, Any] = {"form": values, "errors": errors, "status": status}
    context["message"] = "Ret de markerede felter, og prøv igen. Intet er gemt."
    return admin_page(request, settings, context)


async def _file_bytes(upload: object, settings: Settings) -> tuple[str, bytes] | str:
    """(safe file name, bytes) of the posted file, or the Danish reason it cannot be used."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return texts.NO_FILE
    limit = upload_limit(settings)
    data = await upload.read(limit + 1)
    if len(data) > limit:
        return texts.too_large(settings)
    try:
        name = upload_name(upload.filename, upload.content_type, data)
    except WriteError:
        return texts.unsupported()
    if not data.strip():
        return texts.EMPTY_FILE
    return name, data


def _preview(
    data: bytes, name: str, settings: Settings, title: str | None, publisher: str | None
) -> Preview:
    gazetteer = Gazetteer.load(settings.corpus_dir / "gazetteer.toml")
    return preview_bytes(data, name, gazetteer, title=title, publisher=publisher)


def _unreadable(err: IngestError, settings: Settings) -> str:
    if isinstance(err, FileTooLarge):
        return texts.too_large(settings)
    if isinstance(err, UnsupportedFormat):
        return texts.unsupported()
    return texts.UNREADABLE


@router.post("/admin/upload", response_class=HTMLResponse)
async def upload(request: Request, settings: SettingsDep, _: AdminPageDep) -> Response:
    try:
        form = await read_upload_form(request, settings)
    except FormTooLarge:
        return _form_page(request, settings, {}, {"file": texts.too_large(settings)}, 413)
    except MultiPartException:
        return _form_page(request, settings, {}, {"file": texts.BAD_FORM}, 400)
    try:
        verify_csrf(request, form.get("csrf"))
        known = {d.id for d in list_documents(settings)}
        meta = read_metadata(form, known)
        errors = dict(meta.errors)
        file = await _file_bytes(form.get("file"), settings)
        if isinstance(file, str):
            errors["file"] = file
        if errors or isinstance(file, str):
            return _form_page(request, settings, meta.values, errors, 422)
        name, data = file
        work = partial(_preview, data, name, settings, meta.metadata.title, meta.metadata.publisher)
        try:
            preview = await anyio.to_thread.run_sync(
                work, limiter=write_gates(request, settings).threads
            )
        except IngestError as err:
            errors["file"] = _unreadable(err, settings)
            return _form_page(request, settings, meta.values, errors, 422)
        staged = staging.stage(settings, name, "", data, meta.metadata, preview)
    finally:
        await form.close()
    return RedirectResponse(f"/admin/upload/{staged.token}", status_code=303)


def _staged_or_404(settings: Settings, token: str) -> staging.Staged:
    staged = staging.load(settings, token)
    if staged is None:
        raise ApiError(404, texts.STAGING_GONE)
    return staged


def _preview_page(
    request: Request,
    settings: Settings,
    staged: staging.Staged,
    error: str | None = None,
    status: int = 200,
) -> Response:
    titles = {d.id: d.title for d in list_documents(settings)}
    context: dict[str, Any] = {
        "staged": staged,
        "preview": staged.preview,
        "meta": staged.metadata,
        "supersedes_title": titles.get(staged.metadata.supersedes or ""),
        "replaces": (uploads_dir(settings) / staged.filename).exists(),
        "csrf": csrf_token(request),
        "error": error,
    }
    response = render(request, "admin_preview.html", context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/admin/upload/{token}", response_class=HTMLResponse)
def preview_page(request: Request, token: str, settings: SettingsDep, _: AdminPageDep) -> Response:
    return _preview_page(request, settings, _staged_or_404(settings, token))


@router.post("/admin/upload/{token}/gem", response_class=HTMLResponse)
async def commit(
    request: Request,
    token: str,
    settings: SettingsDep,
    holder: HolderDep,
    _: AdminPageDep,
    __: CsrfDep,
) -> Response:
    staged = _staged_or_404(settings, token)
    work = partial(
        add_file,
        settings,
        staged.filename,
        staged.content_type or None,
        staged.data(settings),
        metadata=staged.metadata,
    )
    try:
        outcome: WriteOutcome = await run_write(request, settings, holder, work)
    except WriteError as err:
        message, fields = texts.write_error(err, settings)
        detail = " ".join(fields.values())
        return _preview_page(request, settings, staged, f"{message} {detail}".strip(), 422)
    staging.discard(settings, token)
    return _done_page(request, settings, outcome)


def _done_page(request: Request, settings: Settings, outcome: WriteOutcome) -> Response:
    document = next((d for d in list_documents(settings) if d.id == outcome.document_id), None)
    context: dict[str, Any] = {"outcome": outcome, "document": document}
    response = render(request, "admin_done.html", context)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/admin/upload/{token}/annuller")
def cancel(token: str, settings: SettingsDep, _: AdminPageDep, __: CsrfDep) -> Response:
    staging.discard(settings, token)
    return RedirectResponse("/admin?annulleret=1", status_code=303)
