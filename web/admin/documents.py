"""``/admin``: the document list with the upload form, and removing a document (a
confirmation page, then a POST that runs ``writes.remove_documents`` on the API's write
threads and swaps the new snapshot in)."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ...api.deps import HolderDep, SettingsDep
from ...api.errors import ApiError
from ...api.write_gates import run_write
from ...settings import Settings
from ...writes import RemoveOutcome, remove_documents
from ..render import render
from ..session import AdminPageDep, CsrfDep, csrf_token
from . import staging, texts
from .catalog import DocumentRow, is_uploaded, list_documents

router = APIRouter()

CANCELLED = "Uploaden er annulleret. Intet er gemt."


def admin_page(request: Request, settings: Settings, context: dict[str, Any]) -> Response:
    """The list and the upload form; ``context`` may carry form values, errors, a message
    and the status."""
    status = context.pop("status", 200)
    context.setdefault("form", {})
    context.setdefault("errors", {})
    context.update(
        documents=list_documents(settings),
        csrf=csrf_token(request),
        accept=texts.accept_attribute(),
        max_mb=f"{settings.max_upload_mb:g}",
    )
    response = render(request, "admin.html", context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/admin", response_class=HTMLResponse)
def admin_home(request: Request, settings: SettingsDep, _: AdminPageDep) -> Response:
    staging.remove_stale(settings)
    message = CANCELLED if request.query_params.get("annulleret") else None
    return admin_page(request, settings, {"message": message})


def _document_or_404(settings: Settings, document_id: str) -> DocumentRow:
    document = next((d for d in list_documents(settings) if d.id == document_id), None)
    if document is None:
        raise ApiError(404, texts.DOCUMENT_GONE)
    return document


@router.get("/admin/documents/{document_id}/fjern", response_class=HTMLResponse)
def confirm_remove(
    request: Request, document_id: str, settings: SettingsDep, _: AdminPageDep
) -> Response:
    document = _document_or_404(settings, document_id)
    context: dict[str, Any] = {
        "document": document,
        "uploaded": is_uploaded(settings, document_id),
        "csrf": csrf_token(request),
    }
    response = render(request, "admin_remove.html", context)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/admin/documents/{document_id}/fjern", response_class=HTMLResponse)
async def remove(
    request: Request,
    document_id: str,
    settings: SettingsDep,
    holder: HolderDep,
    _: AdminPageDep,
    __: CsrfDep,
) -> Response:
    document = _document_or_404(settings, document_id)
    work = partial(remove_documents, settings, [document_id])
    outcome: RemoveOutcome = await run_write(request, settings, holder, work)
    if not outcome.removed:
        raise ApiError(404, texts.DOCUMENT_GONE)
    message = f"»{document.title}« er fjernet og kan ikke længere findes i søgningen."
    return admin_page(request, settings, {"message": message})
