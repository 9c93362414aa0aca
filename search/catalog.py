"""Read side of a snapshot's catalog: passages, documents, cases and sections in memory."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class DocumentInfo:
    id: str
    title: str
    year: int | None
    url: str | None
    source: str
    format: str
    publisher: str | None
    superseded_by: str | None
    metadata: dict[str, object]


@dataclass(frozen=True)
class CaseInfo:
    id: str
    document_id: str
    title: str
    theme: str | None
    parent_id: str | None
    section_path: str
    organisations: list[str]
    places: list[str]
    page_start: int | None
    page_end: int | None


@dataclass(frozen=True)
class PassageInfo:
    row: int
    id: str
    document_id: str
    ordinal: int
    section_idx: int
    section_path: str
    theme: str | None
    case_id: str | None
    page_start: int | None
    page_end: int | None
    char_start: int
    char_end: int
    text: str
    organisations: list[str] = field(default_factory=list)


class Catalog:
    """Everything search and the API read about the corpus, from one snapshot."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = sqlite3.connect(
            f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False
        )
        self.conn.row_factory = sqlite3.Row
        self.documents = {
            r["id"]: DocumentInfo(
                id=r["id"],
                title=r["title"],
                year=r["year"],
                url=r["url"],
                source=r["source"],
                format=r["format"],
                publisher=r["publisher"],
                superseded_by=r["superseded_by"],
                metadata=json.loads(r["metadata"]),
            )
            for r in self.conn.execute("SELECT * FROM documents")
        }
        self.cases = {
            r["id"]: CaseInfo(
                id=r["id"],
                document_id=r["document_id"],
                title=r["title"],
                theme=r["theme"],
                parent_id=r["parent_id"],
                section_path=r["section_path"],
                organisations=json.loads(r["organisations"]),
                places=json.loads(r["places"]),
                page_start=r["page_start"],
                page_end=r["page_end"],
            )
            for r in self.conn.execute("SELECT * FROM cases ORDER BY document_id, ordinal")
        }
        self.passages = [
            PassageInfo(
                row=r["row"],
                id=r["id"],
                document_id=r["document_id"],
                ordinal=r["ordinal"],
                section_idx=r["section_idx"],
                section_path=r["section_path"],
                theme=r["theme"],
                case_id=r["case_id"],
                page_start=r["page_start"],
                page_end=r["page_end"],
                char_start=r["char_start"],
                char_end=r["char_end"],
                text=r["text"],
                organisations=json.loads(r["organisations"]),
            )
            for r in self.conn.execute("SELECT * FROM passages ORDER BY row")
        ]
        self.row_by_id = {p.id: p.row for p in self.passages}

    def close(self) -> None:
        self.conn.close()

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()
