"""Read side of a snapshot's catalog: passages, documents, cases and sections in memory,
plus the data derived from them (counts, child index, facets, case vectors).

Derived data is computed on first use and kept on the ``Catalog`` itself, so it belongs to
exactly one snapshot and is dropped with it when a new snapshot is swapped in."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from .facets import Facets, compute_facets
from .similar import CaseVectors, build_case_vectors
from .types import CaseRef, DocumentRef

if TYPE_CHECKING:
    from .dense import DenseIndex
    from .embed.base import Embedder

WEB_SCHEMES = ("http://", "https://")


def document_file_url(document_id: str) -> str:
    """Where Vidensbank serves a document's stored file (see the ``/documents/{id}/file``
    route); the public URL of a document that has no web address of its own."""
    return f"/documents/{quote(document_id, safe='')}/file"


@dataclass(frozen=True)
class DocumentInfo:
    id: str
    title: str
    year: int | None
    source_url: str | None  # the web address it came from, as ingested (may be empty)
    source: str  # where it was ingested from: a file path on the server, never shown
    format: str
    publisher: str | None
    superseded_by: str | None
    metadata: dict[str, object]

    @property
    def url(self) -> str:
        """The document's public URL: its http(s) source URL, else the Vidensbank URL that
        serves the stored file. Never a filesystem path. The one place this rule lives."""
        if self.source_url and self.source_url.strip().lower().startswith(WEB_SCHEMES):
            return self.source_url.strip()
        return document_file_url(self.id)

    def ref(self) -> DocumentRef:
        return DocumentRef(id=self.id, title=self.title, year=self.year, url=self.url)

    @property
    def file_path(self) -> Path | None:
        """The stored file this document was ingested from, if it is a local file."""
        if self.source.lower().startswith(WEB_SCHEMES):
            return None
        return Path(self.source)


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

    def ref(self) -> CaseRef:
        return CaseRef(id=self.id, title=self.title)


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


@dataclass(frozen=True)
class SectionInfo:
    document_id: str
    idx: int
    parent_idx: int | None
    level: int
    title: str
    path: str
    theme: str | None
    page: int | None
    case_id: str | None


@dataclass(frozen=True)
class LinkInfo:
    url: str
    text: str


@dataclass(frozen=True)
class DocumentCounts:
    passages: int = 0
    cases: int = 0


SHORT_DOCUMENT = 20  # passages: a document this short, without cases, is one search result


def _document(r: sqlite3.Row) -> DocumentInfo:
    return DocumentInfo(
        id=r["id"],
        title=r["title"],
        year=r["year"],
        source_url=r["url"],
        source=r["source"],
        format=r["format"],
        publisher=r["publisher"],
        superseded_by=r["superseded_by"],
        metadata=json.loads(r["metadata"]),
    )


def _case(r: sqlite3.Row) -> CaseInfo:
    return CaseInfo(
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


def _passage(r: sqlite3.Row) -> PassageInfo:
    return PassageInfo(
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


class Catalog:
    """Everything search and the API read about the corpus, from one snapshot."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = sqlite3.connect(
            f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False
        )
        self.conn.row_factory = sqlite3.Row
        self.documents = {
            r["id"]: _document(r) for r in self.conn.execute("SELECT * FROM documents")
        }
        self.cases = {
            r["id"]: _case(r)
            for r in self.conn.execute("SELECT * FROM cases ORDER BY document_id, ordinal")
        }
        self.passages = [
            _passage(r) for r in self.conn.execute("SELECT * FROM passages ORDER BY row")
        ]
        self.row_by_id = {p.id: p.row for p in self.passages}
        self._vectors_lock = threading.Lock()
        self._case_vectors: CaseVectors | None = None

    def close(self) -> None:
        self.conn.close()

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    # ------------------------------------------------------------ stored details

    def sections(self, document_id: str) -> list[SectionInfo]:
        """A document's sections in reading order."""
        rows = self.query(
            "SELECT * FROM sections WHERE document_id = ? ORDER BY idx", (document_id,)
        )
        return [
            SectionInfo(
                document_id=r["document_id"],
                idx=r["idx"],
                parent_idx=r["parent_idx"],
                level=r["level"],
                title=r["title"],
                path=r["path"],
                theme=r["theme"],
                page=r["page"],
                case_id=r["case_id"],
            )
            for r in rows
        ]

    def case_text(self, case_id: str) -> str:
        rows = self.query("SELECT text FROM cases WHERE id = ?", (case_id,))
        return rows[0]["text"] if rows else ""

    def case_links(self, case_id: str) -> list[LinkInfo]:
        """Links found in a case's text, in order (any scheme; callers filter)."""
        rows = self.query(
            "SELECT url, text FROM links WHERE case_id = ? ORDER BY ordinal", (case_id,)
        )
        return [LinkInfo(url=r["url"], text=r["text"] or "") for r in rows]

    # ------------------------------------------------------------ derived, once per snapshot

    @cached_property
    def counts(self) -> dict[str, DocumentCounts]:
        """Passages and cases per document id."""
        passages: dict[str, int] = {}
        cases: dict[str, int] = {}
        for p in self.passages:
            passages[p.document_id] = passages.get(p.document_id, 0) + 1
        for c in self.cases.values():
            cases[c.document_id] = cases.get(c.document_id, 0) + 1
        return {
            doc_id: DocumentCounts(passages.get(doc_id, 0), cases.get(doc_id, 0))
            for doc_id in self.documents
        }

    def result_unit(self, passage: PassageInfo) -> str | None:
        """What one search result stands for: the passage's case; else its document when
        that is short and has no cases (a web page, a help page: one result however many
        of its passages match); else None (the passage's own section, as in a long report)."""
        if passage.case_id:
            return f"case:{passage.case_id}"
        counts = self.counts.get(passage.document_id)
        if counts is not None and not counts.cases and counts.passages <= SHORT_DOCUMENT:
            return f"document:{passage.document_id}"
        return None

    def first_of_same_text(self, rows: Iterable[int]) -> tuple[list[int], dict[int, list[int]]]:
        """``rows`` (best first) without those whose text an earlier row already has (case
        and spacing ignored): a help site's shared paragraph or a web site's repeated box is
        one result, under its best-ranked document. Also, per row kept, the rows of other
        documents that were left out for it."""
        keys = self._text_keys
        first: dict[bytes, int] = {}
        kept: list[int] = []
        same: dict[int, list[int]] = {}
        for row in rows:
            key = keys[row]
            earlier = first.get(key)
            if earlier is None:
                first[key] = row
                kept.append(row)
            elif self.passages[earlier].document_id != self.passages[row].document_id:
                same.setdefault(earlier, []).append(row)
        return kept, same

    @cached_property
    def _text_keys(self) -> list[bytes]:
        return [
            hashlib.blake2b(" ".join(p.text.casefold().split()).encode(), digest_size=16).digest()
            for p in self.passages
        ]

    def hit_unit(self, passage_id: str) -> str | None:
        """:meth:`result_unit` of the passage ``passage_id`` (None when it is unknown)."""
        row = self.row_by_id.get(passage_id)
        return None if row is None else self.result_unit(self.passages[row])

    @cached_property
    def themed_documents(self) -> frozenset[str]:
        """Documents with themes: in them a section without theme or case is front matter,
        an advert or a report's generic chapter, not a subject."""
        return frozenset(p.document_id for p in self.passages if p.theme)

    def is_subject(self, passage: PassageInfo) -> bool:
        """Whether the passage is about one of its publication's subjects (see above)."""
        return bool(
            passage.case_id or passage.theme or passage.document_id not in self.themed_documents
        )

    @cached_property
    def children(self) -> dict[str, list[str]]:
        """Sub-case ids per case id, in document order."""
        index: dict[str, list[str]] = {}
        for case in self.cases.values():
            if case.parent_id:
                index.setdefault(case.parent_id, []).append(case.id)
        return index

    @cached_property
    def passage_ids_by_case(self) -> dict[str, list[str]]:
        index: dict[str, list[str]] = {}
        for p in self.passages:
            if p.case_id:
                index.setdefault(p.case_id, []).append(p.id)
        return index

    def descendants(self, case_id: str) -> set[str]:
        """The case and all its sub-cases, at any depth."""
        found = {case_id}
        todo = [case_id]
        while todo:
            for child in self.children.get(todo.pop(), []):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return found

    def ancestors(self, case_id: str) -> list[str]:
        """The case's parent, grandparent, … (nearest first)."""
        out: list[str] = []
        parent = self.cases[case_id].parent_id if case_id in self.cases else None
        while parent and parent in self.cases and parent not in out and parent != case_id:
            out.append(parent)
            parent = self.cases[parent].parent_id
        return out

    @cached_property
    def facets(self) -> Facets:
        """Filter values with passage and case counts (see ``search.facets``)."""
        return compute_facets(self)

    def case_vectors(self, dense: DenseIndex, embedder: Embedder) -> CaseVectors:
        """One vector per case (see ``search.similar``), computed once per snapshot: the
        dense index and the embedder of a loaded snapshot never change."""
        with self._vectors_lock:
            if self._case_vectors is None:
                self._case_vectors = build_case_vectors(self, dense, embedder)
            return self._case_vectors
