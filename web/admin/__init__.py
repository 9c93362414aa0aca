"""The knowledge manager's admin pages under ``/admin``: login, the document list with
remove, and upload with metadata, preview and commit. ``router`` holds them all."""

from __future__ import annotations

from fastapi import APIRouter

from . import documents, login, upload

router = APIRouter(include_in_schema=False)
router.include_router(login.router)
router.include_router(documents.router)
router.include_router(upload.router)

__all__ = ["router"]
