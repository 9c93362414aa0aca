"""Read queries over one snapshot: documents, sections, cases and passages. Shared by the
JSON API (which turns the results into its wire models, ``api/schemas.py``) and the HTML
pages. Facets live in ``search.facets``, "similar cases" in ``search.similar``.

Every function takes the ``Catalog`` of the snapshot a request started with, so one
request never mixes two snapshots. ``get_*`` functions return ``None`` for an unknown id;
the caller decides how to report that (404 in the API, a Danish page on the web). Results
are plain dataclasses; templates read them attribute by attribute (``case.title``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .catalog import CaseInfo, Catalog, DocumentInfo, LinkInfo, PassageInfo, SectionInfo
from .citation import case_citation, citation
from .facets import case_matches
from .types import CaseRef, DocumentRef, Filters

NEIGHBOURS = 2  # passages shown before and after a passage for context


@dataclass(frozen=True)
class CaseSummary:
    id: str
    title: str
    theme: str | None
    document: DocumentRef
    parent_id: str | None
    section_path: str
    organisations: list[str]
    places: list[str]
    page_start: int | None
    page_end: int | None
    citation: str  # "Kilde: …" (see search.citation)


@dataclass(frozen=True)
class CaseDetail(CaseSummary):
    text: str = ""
    parent: CaseRef | None = None
    sub_cases: list[CaseRef] = field(default_factory=list)
    links: list[LinkInfo] = field(default_factory=list)
    passage_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DocumentSummary:
    id: str
    title: str
    year: int | None
    url: str  # the public URL (see DocumentInfo.url)
    format: str
    publisher: str | None
    superseded_by: str | None
    passage_count: int
    case_count: int
    citation: str  # "Kilde: …" (see search.citation)


@dataclass(frozen=True)
class DocumentDetail(DocumentSummary):
    metadata: dict[str, object] = field(default_factory=dict)
    sections: list[SectionInfo] = field(default_factory=list)
    cases: list[CaseSummary] = field(default_factory=list)


@dataclass(frozen=True)
class PassageView:
    id: str
    document: DocumentRef
    ordinal: int
    section_idx: int
    section_path: str
    theme: str | None
    case: CaseRef | None
    page_start: int | None
    page_end: int | None
    text: str


@dataclass(frozen=True)
class PassageContext:
    passage: PassageView
    before: list[PassageView]  # preceding passages of the same document, in order
    after: list[PassageView]  # following passages of the same document, in order


def _case_ref(catalog: Catalog, case_id: str | None) -> CaseRef | None:
    case = catalog.cases.get(case_id) if case_id else None
    return case.ref() if case else None


def _case_summary(catalog: Catalog, case: CaseInfo) -> CaseSummary:
    return CaseSummary(
        id=case.id,
        title=case.title,
        theme=case.theme,
        document=catalog.documents[case.document_id].ref(),
        parent_id=case.parent_id,
        section_path=case.section_path,
        organisations=case.organisations,
        places=case.places,
        page_start=case.page_start,
        page_end=case.page_end,
        citation=case_citation(catalog.documents[case.document_id], case),
    )


def _passage_view(catalog: Catalog, p: PassageInfo) -> PassageView:
    return PassageView(
        id=p.id,
        document=catalog.documents[p.document_id].ref(),
        ordinal=p.ordinal,
        section_idx=p.section_idx,
        section_path=p.section_path,
        theme=p.theme,
        case=_case_ref(catalog, p.case_id),
        page_start=p.page_start,
        page_end=p.page_end,
        text=p.text,
    )


def _document_summary(catalog: Catalog, doc: DocumentInfo) -> DocumentSummary:
    counts = catalog.counts[doc.id]
    return DocumentSummary(
        id=doc.id,
        title=doc.title,
        year=doc.year,
        url=doc.url,
        format=doc.format,
        publisher=doc.publisher,
        superseded_by=doc.superseded_by,
        passage_count=counts.passages,
        case_count=counts.cases,
        citation=citation(doc),
    )


# ---------------------------------------------------------------------------- documents


def list_documents(catalog: Catalog) -> list[DocumentSummary]:
    """All documents of the snapshot, newest year first, then by title."""
    docs = sorted(catalog.documents.values(), key=lambda d: (-(d.year or 0), d.title, d.id))
    return [_document_summary(catalog, d) for d in docs]


def get_document(catalog: Catalog, document_id: str) -> DocumentDetail | None:
    """One document with its sections (in reading order) and its cases; ``None`` if unknown."""
    doc = catalog.documents.get(document_id)
    if doc is None:
        return None
    summary = _document_summary(catalog, doc)
    return DocumentDetail(
        **vars(summary),
        metadata=doc.metadata,
        sections=catalog.sections(document_id),
        cases=[
            _case_summary(catalog, c) for c in catalog.cases.values() if c.document_id == doc.id
        ],
    )


# ---------------------------------------------------------------------------- passages


def get_passage(
    catalog: Catalog, passage_id: str, neighbours: int = NEIGHBOURS
) -> PassageContext | None:
    """A passage with up to ``neighbours`` passages of the same document on each side."""
    row = catalog.row_by_id.get(passage_id)
    if row is None:
        return None
    passages = catalog.passages
    p = passages[row]
    # rows are ordered by (document, ordinal): neighbours are adjacent rows of the same document
    before = range(max(0, row - neighbours), row)
    after = range(row + 1, min(len(passages), row + 1 + neighbours))
    return PassageContext(
        passage=_passage_view(catalog, p),
        before=[
            _passage_view(catalog, passages[r])
            for r in before
            if passages[r].document_id == p.document_id
        ],
        after=[
            _passage_view(catalog, passages[r])
            for r in after
            if passages[r].document_id == p.document_id
        ],
    )


def passage_section(catalog: Catalog, passage_id: str) -> int | None:
    """The index of the section a passage belongs to (for ``#afsnit-{idx}`` anchors)."""
    row = catalog.row_by_id.get(passage_id)
    return catalog.passages[row].section_idx if row is not None else None


# ---------------------------------------------------------------------------- cases


def list_cases(catalog: Catalog, filters: Filters | None = None) -> list[CaseSummary]:
    """Cases in document order that pass ``filters`` (the rule of ``facets.case_matches``)."""
    filters = filters or Filters()
    return [
        _case_summary(catalog, case)
        for case in catalog.cases.values()
        if case_matches(catalog, case, filters)
    ]


def get_case(catalog: Catalog, case_id: str) -> CaseDetail | None:
    """One case with its text, parent, sub-cases, links and passage ids; ``None`` if unknown."""
    case = catalog.cases.get(case_id)
    if case is None:
        return None
    return CaseDetail(
        **vars(_case_summary(catalog, case)),
        text=catalog.case_text(case_id),
        parent=_case_ref(catalog, case.parent_id),
        sub_cases=[catalog.cases[c].ref() for c in catalog.children.get(case_id, [])],
        links=catalog.case_links(case_id),
        passage_ids=list(catalog.passage_ids_by_case.get(case_id, [])),
    )


def case_links(catalog: Catalog, case_id: str) -> list[LinkInfo]:
    """The links found in a case's text, in order."""
    return catalog.case_links(case_id)
