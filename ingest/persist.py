"""Write one processed document into the store, replacing any earlier version atomically."""

from __future__ import annotations

import sqlite3

from ..store import DocumentRecord, Store, _delete, to_json
from ..text import embed_sha256
from .process import ProcessedDocument


def write_document(store: Store, record: DocumentRecord, processed: ProcessedDocument) -> None:
    """Replace ``record.id`` (and whatever document had the same source) in one transaction."""
    with store.transaction() as conn:
        previous = conn.execute(
            "SELECT id FROM documents WHERE source = ?", (record.source,)
        ).fetchone()
        if previous and previous["id"] != record.id:
            _delete(conn, previous["id"])
        _delete(conn, record.id)
        _insert(conn, record, processed)


def _insert(conn: sqlite3.Connection, record: DocumentRecord, processed: ProcessedDocument) -> None:
    _insert_document(conn, record, processed)
    _insert_sections(conn, record, processed)
    _insert_cases(conn, record, processed)
    _insert_passages(conn, record, processed)
    conn.executemany(
        "INSERT INTO links(document_id, ordinal, url, text, section_idx, case_id) VALUES (?,?,?,?,?,?)",
        [
            (record.id, i, link.url, link.text, link.section_index, link.case_id)
            for i, link in enumerate(processed.links)
        ],
    )


def _insert_document(
    conn: sqlite3.Connection, record: DocumentRecord, processed: ProcessedDocument
) -> None:
    conn.execute(
        """INSERT INTO documents(id, source, url, title, format, sha256, year, publisher,
               ingested_at, page_count, superseded_by, metadata, cleaned_text)
           VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)""",
        (
            record.id,
            record.source,
            record.url,
            record.title,
            record.format,
            record.sha256,
            record.year,
            record.publisher,
            record.ingested_at,
            record.page_count,
            record.superseded_by,
            to_json(record.metadata),
            processed.cleaned_text,
        ),
    )


def _insert_sections(
    conn: sqlite3.Connection, record: DocumentRecord, processed: ProcessedDocument
) -> None:
    structure = processed.structure
    conn.executemany(
        "INSERT INTO sections(document_id, idx, parent_idx, level, title, path, theme, page, case_id)"
        " VALUES (?,?,?,?,?,?,?,?,?)",
        [
            (
                record.id,
                s.index,
                s.parent,
                s.level,
                s.title,
                s.path_text,
                s.theme,
                s.page,
                processed.section_case.get(s.index),
            )
            for s in structure.sections
        ],
    )


def _insert_cases(
    conn: sqlite3.Connection, record: DocumentRecord, processed: ProcessedDocument
) -> None:
    conn.executemany(
        """INSERT INTO cases(id, document_id, ordinal, parent_id, title, theme, section_idx,
               section_path, text, organisations, places, page_start, page_end)
           VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)""",
        [
            (
                c.id,
                record.id,
                i,
                c.parent_id,
                c.title,
                c.theme,
                c.section_index,
                c.section_path,
                c.text,
                to_json(c.organisations),
                to_json(c.places),
                c.page_start,
                c.page_end,
            )
            for i, c in enumerate(processed.cases)
        ],
    )


def _insert_passages(
    conn: sqlite3.Connection, record: DocumentRecord, processed: ProcessedDocument
) -> None:
    conn.executemany(
        """INSERT INTO passages(id, document_id, ordinal, section_idx, section_path, theme, case_id,
               page_start, page_end, char_start, char_end, text, embed_text, embed_sha256,
               organisations)
           VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
        [
            (
                p.id,
                record.id,
                p.ordinal,
                p.section_index,
                p.section_path,
                p.theme,
                p.case_id,
                p.page_start,
                p.page_end,
                p.char_start,
                p.char_end,
                p.text,
                p.embed_text,
                embed_sha256(p.embed_text),
                to_json(p.organisations or []),
            )
            for p in processed.passages
        ],
    )


def sync_superseded(store: Store) -> list[str]:
    """Set ``superseded_by`` from the ``supersedes`` metadata (manifest) of every document,
    and clear it where the superseding document is gone. Returns the ids that changed."""
    rows = store.conn.execute(
        "SELECT id, superseded_by, json_extract(metadata, '$.supersedes') AS supersedes"
        " FROM documents ORDER BY id"
    ).fetchall()
    wanted: dict[str, str] = {}
    for row in rows:
        old = row["supersedes"]
        if isinstance(old, str) and old and old != row["id"]:
            wanted[old] = row["id"]
    changes = [
        (wanted.get(row["id"]), row["id"])
        for row in rows
        if row["superseded_by"] != wanted.get(row["id"])
    ]
    if changes:
        with store.transaction() as conn:
            conn.executemany("UPDATE documents SET superseded_by = ? WHERE id = ?", changes)
    return [document_id for _, document_id in changes]
