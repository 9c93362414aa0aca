"""Documents, passages, cases, similar cases and facets (read-only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ...search import browse
from ...search.similar import similar_cases as find_similar_cases
from ...search.types import Filters
from ..deps import SearcherDep
from ..errors import ApiError, ErrorBody
from ..schemas import (
    CaseDetail,
    CaseSummary,
    DocumentDetail,
    DocumentSummary,
    Facets,
    Page,
    PassageContext,
    SimilarCase,
    SimilarCases,
    wire,
)
from ..validation import DocumentIds, Id, Organisations, Themes, Years, checked_filters

router = APIRouter(prefix="/api", tags=["browse"])

NOT_FOUND: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorBody, "description": "No such id in the current snapshot"},
    422: {"model": ErrorBody, "description": "Invalid parameter"},
    503: {"model": ErrorBody, "description": "No search index loaded yet"},
}

Offset = Annotated[int, Query(ge=0, le=100_000)]
Limit = Annotated[int, Query(ge=1, le=500)]


@router.get("/documents", response_model=Page[DocumentSummary], responses=NOT_FOUND)
def list_documents(
    searcher: SearcherDep, offset: Offset = 0, limit: Limit = 100
) -> Page[DocumentSummary]:
    """All documents, newest first, with passage and case counts."""
    items = browse.list_documents(searcher.catalog)
    return Page(
        total=len(items),
        offset=offset,
        limit=limit,
        items=[wire(DocumentSummary, d) for d in items[offset : offset + limit]],
    )


@router.get("/documents/{document_id}", response_model=DocumentDetail, responses=NOT_FOUND)
def get_document(searcher: SearcherDep, document_id: Id) -> DocumentDetail:
    """One document with its sections and cases, e.g. `vaerdiskabende-gentagelser-2023`."""
    document = browse.get_document(searcher.catalog, document_id)
    if document is None:
        raise ApiError(404, f"No document with id {document_id!r}: list them at /api/documents.")
    return wire(DocumentDetail, document)


@router.get("/passages/{passage_id}", response_model=PassageContext, responses=NOT_FOUND)
def get_passage(
    searcher: SearcherDep,
    passage_id: Id,
    neighbours: Annotated[int, Query(ge=0, le=10, description="Passages on each side")] = 2,
) -> PassageContext:
    """A passage (ids come from search results) with its neighbours for context."""
    passage = browse.get_passage(searcher.catalog, passage_id, neighbours)
    if passage is None:
        raise ApiError(
            404, f"No passage with id {passage_id!r}: passage ids come from /api/search results."
        )
    return wire(PassageContext, passage)


@router.get("/cases", response_model=Page[CaseSummary], responses=NOT_FOUND)
def list_cases(
    searcher: SearcherDep,
    theme: Themes = [],  # noqa: B006 (FastAPI copies defaults)
    organisation: Organisations = [],  # noqa: B006
    document: DocumentIds = [],  # noqa: B006
    year: Years = [],  # noqa: B006
    offset: Offset = 0,
    limit: Limit = 100,
) -> Page[CaseSummary]:
    """Cases in document order, optionally filtered like /api/search: repeat a parameter
    for several values (`theme=A&theme=B`: either), different fields all apply."""
    filters = Filters(theme=theme, organisation=organisation, document=document, year=year)
    items = browse.list_cases(searcher.catalog, checked_filters(searcher, filters))
    return Page(
        total=len(items),
        offset=offset,
        limit=limit,
        items=[wire(CaseSummary, c) for c in items[offset : offset + limit]],
    )


def _unknown_case(case_id: str) -> ApiError:
    return ApiError(404, f"No case with id {case_id!r}: list the cases at /api/cases.")


@router.get("/cases/{case_id}", response_model=CaseDetail, responses=NOT_FOUND)
def get_case(searcher: SearcherDep, case_id: Id) -> CaseDetail:
    """One case with its text, parent, sub-cases and links."""
    case = browse.get_case(searcher.catalog, case_id)
    if case is None:
        raise _unknown_case(case_id)
    return wire(CaseDetail, case)


@router.get("/cases/{case_id}/similar", response_model=SimilarCases, responses=NOT_FOUND)
def similar_cases(
    searcher: SearcherDep,
    case_id: Id,
    k: Annotated[int, Query(ge=1, le=50, description="How many cases")] = 5,
) -> SimilarCases:
    """More like this: cases closest by embedding, never the case itself or its
    parent or sub-cases."""
    results = find_similar_cases(searcher, case_id, k)
    if results is None:
        raise _unknown_case(case_id)
    return SimilarCases(case_id=case_id, results=[wire(SimilarCase, r) for r in results])


@router.get("/facets", response_model=Facets, responses=NOT_FOUND)
def facets(searcher: SearcherDep) -> Facets:
    """Themes, organisations, documents and years with counts, for filter menus. The
    `value` of each entry is what /api/search and /api/cases accept as filter."""
    return wire(Facets, searcher.catalog.facets)
