"""Read functions over one snapshot: documents, sections, cases, passages, facets and
"more like this" for cases. Shared by the JSON API and the HTML pages.

Every function takes the ``Searcher`` a request started with, so one request never mixes
two snapshots. ``get_*`` functions return ``None`` for an unknown id; callers decide how
to report that (404 in the API, an HTML page on the web). Results are pydantic models,
which Jinja2 templates can read attribute by attribute (``case.title``).
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from .catalog import CaseInfo, Catalog, PassageInfo
from .searcher import Searcher
from .types import CaseRef, DocumentRef

NEIGHBOURS = 2  # passages shown before and after a passage for context


# ---------------------------------------------------------------------------- models


class SectionOut(BaseModel):
    idx: int
    parent_idx: int | None = None
    level: int
    title: str
    path: str = Field(description="Section path, parts joined by ' › '")
    theme: str | None = None
    page: int | None = None
    case_id: str | None = None


class CaseSummary(BaseModel):
    id: str
    title: str
    theme: str | None = None
    document: DocumentRef
    parent_id: str | None = None
    section_path: str
    organisations: list[str] = Field(default_factory=list)
    places: list[str] = Field(default_factory=list)
    page_start: int | None = None
    page_end: int | None = None


class LinkOut(BaseModel):
    url: str
    text: str = ""


class CaseDetail(CaseSummary):
    text: str = Field(description="The case's full cleaned text")
    parent: CaseRef | None = None
    sub_cases: list[CaseRef] = Field(default_factory=list)
    links: list[LinkOut] = Field(default_factory=list, description="Links found in the case")
    passage_ids: list[str] = Field(default_factory=list)


class DocumentSummary(BaseModel):
    id: str
    title: str
    year: int | None = None
    url: str | None = Field(None, description="Original source URL, or the source file path")
    format: str
    publisher: str | None = None
    superseded_by: str | None = None
    passage_count: int = Field(description="Number of passages")
    case_count: int = Field(description="Number of cases")


class DocumentDetail(DocumentSummary):
    sections: list[SectionOut] = Field(default_factory=list, description="In reading order")
    cases: list[CaseSummary] = Field(default_factory=list, description="In document order")


class PassageOut(BaseModel):
    id: str
    document: DocumentRef
    ordinal: int
    section_idx: int
    section_path: str
    theme: str | None = None
    case: CaseRef | None = None
    page_start: int | None = None
    page_end: int | None = None
    text: str


class PassageContext(BaseModel):
    passage: PassageOut
    before: list[PassageOut] = Field(
        default_factory=list, description="Preceding passages of the same document, in order"
    )
    after: list[PassageOut] = Field(
        default_factory=list, description="Following passages of the same document, in order"
    )


class SimilarCase(BaseModel):
    id: str
    title: str
    theme: str | None = None
    document: DocumentRef
    score: float = Field(description="Cosine similarity of the cases' mean passage vectors")


class FacetValue(BaseModel):
    value: str | int = Field(description="The value to pass as filter (a year is an integer)")
    label: str = Field(description="Text to show (a document's title for document facets)")
    count: int = Field(description="Passages with this value")
    cases: int = Field(0, description="Cases with this value")


class Facets(BaseModel):
    theme: list[FacetValue]
    organisation: list[FacetValue]
    document: list[FacetValue]
    year: list[FacetValue]


# ---------------------------------------------------------------------------- helpers


def _doc_ref(catalog: Catalog, document_id: str) -> DocumentRef:
    doc = catalog.documents[document_id]
    return DocumentRef(id=doc.id, title=doc.title, year=doc.year, url=doc.url or doc.source)


def _case_ref(catalog: Catalog, case_id: str | None) -> CaseRef | None:
    case = catalog.cases.get(case_id) if case_id else None
    return CaseRef(id=case.id, title=case.title) if case else None


def _case_summary(catalog: Catalog, case: CaseInfo) -> CaseSummary:
    return CaseSummary(
        id=case.id,
        title=case.title,
        theme=case.theme,
        document=_doc_ref(catalog, case.document_id),
        parent_id=case.parent_id,
        section_path=case.section_path,
        organisations=case.organisations,
        places=case.places,
        page_start=case.page_start,
        page_end=case.page_end,
    )


def _passage_out(catalog: Catalog, p: PassageInfo) -> PassageOut:
    return PassageOut(
        id=p.id,
        document=_doc_ref(catalog, p.document_id),
        ordinal=p.ordinal,
        section_idx=p.section_idx,
        section_path=p.section_path,
        theme=p.theme,
        case=_case_ref(catalog, p.case_id),
        page_start=p.page_start,
        page_end=p.page_end,
        text=p.text,
    )


class _PerCatalog:
    """Values derived from one catalog, computed once and dropped with the snapshot."""

    def __init__(self) -> None:
        self._values: weakref.WeakKeyDictionary[Catalog, dict[str, Any]] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def get(self, catalog: Catalog) -> dict[str, Any]:
        with self._lock:
            return self._values.setdefault(catalog, {})


_derived = _PerCatalog()


def _counts(catalog: Catalog) -> tuple[dict[str, int], dict[str, int]]:
    """Passages and cases per document."""
    cache = _derived.get(catalog)
    if "counts" not in cache:
        passages: dict[str, int] = {}
        cases: dict[str, int] = {}
        for p in catalog.passages:
            passages[p.document_id] = passages.get(p.document_id, 0) + 1
        for c in catalog.cases.values():
            cases[c.document_id] = cases.get(c.document_id, 0) + 1
        cache["counts"] = (passages, cases)
    return cache["counts"]


def _document_summary(catalog: Catalog, document_id: str) -> DocumentSummary:
    doc = catalog.documents[document_id]
    passages, cases = _counts(catalog)
    return DocumentSummary(
        id=doc.id,
        title=doc.title,
        year=doc.year,
        url=doc.url or doc.source,
        format=doc.format,
        publisher=doc.publisher,
        superseded_by=doc.superseded_by,
        passage_count=passages.get(doc.id, 0),
        case_count=cases.get(doc.id, 0),
    )


# ---------------------------------------------------------------------------- documents


def list_documents(searcher: Searcher) -> list[DocumentSummary]:
    """All documents of the snapshot, newest year first, then by title."""
    catalog = searcher.catalog
    docs = sorted(catalog.documents.values(), key=lambda d: (-(d.year or 0), d.title, d.id))
    return [_document_summary(catalog, d.id) for d in docs]


def get_document(searcher: Searcher, document_id: str) -> DocumentDetail | None:
    """One document with its sections (in reading order) and its cases; ``None`` if unknown."""
    catalog = searcher.catalog
    if document_id not in catalog.documents:
        return None
    summary = _document_summary(catalog, document_id)
    sections = [
        SectionOut(
            idx=r["idx"],
            parent_idx=r["parent_idx"],
            level=r["level"],
            title=r["title"],
            path=r["path"],
            theme=r["theme"],
            page=r["page"],
            case_id=r["case_id"],
        )
        for r in catalog.query(
            "SELECT * FROM sections WHERE document_id = ? ORDER BY idx", (document_id,)
        )
    ]
    cases = [
        _case_summary(catalog, c) for c in catalog.cases.values() if c.document_id == document_id
    ]
    return DocumentDetail(**summary.model_dump(), sections=sections, cases=cases)


# ---------------------------------------------------------------------------- passages


def get_passage(
    searcher: Searcher, passage_id: str, neighbours: int = NEIGHBOURS
) -> PassageContext | None:
    """A passage with up to ``neighbours`` passages of the same document on each side."""
    catalog = searcher.catalog
    row = catalog.row_by_id.get(passage_id)
    if row is None:
        return None
    p = catalog.passages[row]
    # rows are ordered by (document, ordinal): neighbours are adjacent rows of the same document
    before = [
        catalog.passages[r]
        for r in range(max(0, row - neighbours), row)
        if catalog.passages[r].document_id == p.document_id
    ]
    after = [
        catalog.passages[r]
        for r in range(row + 1, min(len(catalog.passages), row + 1 + neighbours))
        if catalog.passages[r].document_id == p.document_id
    ]
    return PassageContext(
        passage=_passage_out(catalog, p),
        before=[_passage_out(catalog, x) for x in before],
        after=[_passage_out(catalog, x) for x in after],
    )


# ---------------------------------------------------------------------------- cases


def list_cases(
    searcher: Searcher,
    *,
    theme: str | None = None,
    organisation: str | None = None,
    document: str | None = None,
) -> list[CaseSummary]:
    """Cases in document order; ``theme`` and ``organisation`` match case-insensitively."""
    catalog = searcher.catalog
    out = []
    for case in catalog.cases.values():
        if theme is not None and (case.theme or "").casefold() != theme.casefold():
            continue
        if organisation is not None and organisation.casefold() not in {
            o.casefold() for o in case.organisations
        }:
            continue
        if document is not None and case.document_id != document:
            continue
        out.append(_case_summary(catalog, case))
    return out


def get_case(searcher: Searcher, case_id: str) -> CaseDetail | None:
    """One case with its text, parent, sub-cases, links and passage ids; ``None`` if unknown."""
    catalog = searcher.catalog
    case = catalog.cases.get(case_id)
    if case is None:
        return None
    rows = catalog.query("SELECT text FROM cases WHERE id = ?", (case_id,))
    links = catalog.query(
        "SELECT url, text FROM links WHERE case_id = ? ORDER BY ordinal", (case_id,)
    )
    return CaseDetail(
        **_case_summary(catalog, case).model_dump(),
        text=rows[0]["text"] if rows else "",
        parent=_case_ref(catalog, case.parent_id),
        sub_cases=[
            CaseRef(id=c.id, title=c.title)
            for c in catalog.cases.values()
            if c.parent_id == case.id
        ],
        links=[LinkOut(url=r["url"], text=r["text"] or "") for r in links],
        passage_ids=[p.id for p in catalog.passages if p.case_id == case_id],
    )


def _family(catalog: Catalog, case_id: str) -> set[str]:
    """The case, its ancestors and its descendants."""
    family = {case_id}
    parent = catalog.cases[case_id].parent_id
    while parent and parent in catalog.cases and parent not in family:
        family.add(parent)
        parent = catalog.cases[parent].parent_id
    grew = True
    while grew:
        grew = False
        for c in catalog.cases.values():
            if c.parent_id in family and c.id not in family:
                family.add(c.id)
                grew = True
    return family


def _descendants(catalog: Catalog, case_id: str) -> set[str]:
    found = {case_id}
    grew = True
    while grew:
        grew = False
        for c in catalog.cases.values():
            if c.parent_id in found and c.id not in found:
                found.add(c.id)
                grew = True
    return found


def _case_vectors(searcher: Searcher) -> tuple[list[str], np.ndarray]:
    """One L2-normalised vector per case: the mean of its (and its sub-cases') passage
    vectors, reconstructed from the FAISS index. Computed once per snapshot."""
    catalog = searcher.catalog
    cache = _derived.get(catalog)
    if "case_vectors" in cache:
        return cache["case_vectors"]
    dense = searcher.snapshot.dense
    rows_by_case: dict[str, list[int]] = {}
    for p in catalog.passages:
        if p.case_id:
            rows_by_case.setdefault(p.case_id, []).append(p.row)
    ids: list[str] = []
    vectors: list[np.ndarray] = []
    missing: list[CaseInfo] = []
    for case in catalog.cases.values():
        rows = [r for c in _descendants(catalog, case.id) for r in rows_by_case.get(c, [])]
        if not rows:
            missing.append(case)
            continue
        ids.append(case.id)
        vectors.append(np.mean([dense.reconstruct(r) for r in rows], axis=0))
    if missing:  # a case with no passages of its own: embed its title instead
        encoded = searcher.embedder.encode_passages([c.title for c in missing])
        ids.extend(c.id for c in missing)
        vectors.extend(encoded)
    dim = searcher.embedder.dimension
    matrix = np.asarray(vectors, dtype=np.float32).reshape(len(vectors), dim)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    result = (ids, matrix / norms)
    cache["case_vectors"] = result
    return result


def similar_cases(searcher: Searcher, case_id: str, k: int = 5) -> list[SimilarCase] | None:
    """The ``k`` cases most like ``case_id`` by embedding, best first; never the case itself,
    its parent cases or its sub-cases. ``None`` if the case is unknown."""
    catalog = searcher.catalog
    if case_id not in catalog.cases:
        return None
    ids, matrix = _case_vectors(searcher)
    if not ids:
        return []
    index = {cid: i for i, cid in enumerate(ids)}
    scores = matrix @ matrix[index[case_id]]
    excluded = _family(catalog, case_id)
    out: list[SimilarCase] = []
    for i in np.argsort(-scores):
        cid = ids[int(i)]
        if cid in excluded:
            continue
        case = catalog.cases[cid]
        out.append(
            SimilarCase(
                id=case.id,
                title=case.title,
                theme=case.theme,
                document=_doc_ref(catalog, case.document_id),
                score=round(float(scores[int(i)]), 6),
            )
        )
        if len(out) >= k:
            break
    return out


# ---------------------------------------------------------------------------- facets


def facet_values(searcher: Searcher) -> Facets:
    """Themes, organisations, documents and years with passage and case counts, most
    frequent first (years newest first). Computed once per snapshot."""
    catalog = searcher.catalog
    cache = _derived.get(catalog)
    if "facets" in cache:
        return cache["facets"]
    passages: dict[str, dict[Any, int]] = {
        k: {} for k in ("theme", "organisation", "document", "year")
    }
    cases: dict[str, dict[Any, set[str]]] = {k: {} for k in passages}
    labels: dict[str, dict[Any, str]] = {k: {} for k in passages}

    def add(kind: str, key: Any, label: str, case_id: str | None) -> None:
        passages[kind][key] = passages[kind].get(key, 0) + 1
        labels[kind].setdefault(key, label)
        bucket = cases[kind].setdefault(key, set())
        if case_id:
            bucket.add(case_id)

    for p in catalog.passages:
        doc = catalog.documents[p.document_id]
        if p.theme:
            add("theme", p.theme.casefold(), p.theme, p.case_id)
        for org in dict.fromkeys(p.organisations):
            add("organisation", org.casefold(), org, p.case_id)
        add("document", doc.id, doc.title, p.case_id)
        if doc.year is not None:
            add("year", doc.year, str(doc.year), p.case_id)

    def values(kind: str) -> list[FacetValue]:
        out = [
            FacetValue(
                value=key if kind == "year" else (key if kind == "document" else labels[kind][key]),
                label=labels[kind][key],
                count=count,
                cases=len(cases[kind].get(key, ())),
            )
            for key, count in passages[kind].items()
        ]
        if kind == "year":
            return sorted(out, key=lambda f: -int(f.value))
        return sorted(out, key=lambda f: (-f.count, f.label.casefold()))

    result = Facets(
        theme=values("theme"),
        organisation=values("organisation"),
        document=values("document"),
        year=values("year"),
    )
    cache["facets"] = result
    return result


def facets(searcher: Searcher) -> dict[str, list[dict[str, Any]]]:
    """``facet_values`` as plain dicts: ``{"theme": [{"value", "label", "count", "cases"}…],
    "organisation": …, "document": …, "year": …}``."""
    return facet_values(searcher).model_dump()
