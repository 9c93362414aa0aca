"""The document list of the admin page, read from the store (the source of truth, so a
document shows up or disappears as soon as its write is done)."""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ...settings import Settings
from ...store import connect
from ...writes import uploads_dir
from ..filters import local_time

LIST_SQL = """
SELECT d.id, d.title, d.year, d.publisher, d.ingested_at, d.superseded_by,
       (SELECT COUNT(*) FROM passages p WHERE p.document_id = d.id) AS passages,
       (SELECT COUNT(*) FROM cases c WHERE c.document_id = d.id) AS cases
FROM documents d ORDER BY d.title COLLATE NOCASE, d.id
"""


@dataclass(frozen=True)
class DocumentRow:
    id: str
    title: str
    year: int | None
    publisher: str | None
    ingested_at: str
    superseded_by: str | None
    passages: int
    cases: int


def list_documents(settings: Settings) -> list[DocumentRow]:
    """Every document in the store with its passage and case counts (empty: no store)."""
    if not settings.store_path.exists():
        return []
    with contextlib.closing(connect(settings.store_path, readonly=True)) as conn:
        try:
            rows = conn.execute(LIST_SQL).fetchall()
        except sqlite3.OperationalError:  # a store created but never ingested into
            return []
    return [
        DocumentRow(
            id=r["id"],
            title=r["title"],
            year=r["year"],
            publisher=r["publisher"],
            ingested_at=local_time(r["ingested_at"]),
            superseded_by=r["superseded_by"],
            passages=r["passages"],
            cases=r["cases"],
        )
        for r in rows
    ]


def is_uploaded(settings: Settings, document_id: str) -> bool:
    """Whether the document's file was uploaded (removing deletes it) rather than read
    from a corpus folder (where it stays, and returns with the next ingest)."""
    if not settings.store_path.exists():
        return False
    with contextlib.closing(connect(settings.store_path, readonly=True)) as conn:
        row = conn.execute("SELECT source FROM documents WHERE id = ?", (document_id,)).fetchone()
    if row is None:
        return False
    return Path(row["source"]).resolve().is_relative_to(uploads_dir(settings).resolve())
