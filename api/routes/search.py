"""GET /api/search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ...search.types import Mode, SearchResponse
from ..deps import SearcherDep
from ..errors import ErrorBody
from ..validation import (
    DocumentId,
    Offset,
    Organisation,
    QueryText,
    Theme,
    Year,
    checked_filters,
)

router = APIRouter(prefix="/api", tags=["search"])

ERRORS: dict[int | str, dict[str, object]] = {
    422: {"model": ErrorBody, "description": "Invalid parameter or unknown filter value"},
    503: {"model": ErrorBody, "description": "No search index loaded yet"},
}


@router.get(
    "/search",
    response_model=SearchResponse,
    summary="Search passages and cases",
    responses=ERRORS,
)
def search(
    searcher: SearcherDep,
    q: QueryText,
    k: Annotated[int, Query(ge=1, le=50, description="Results per page")] = 10,
    offset: Offset = 0,
    mode: Annotated[Mode, Query(description="Retrieval: hybrid, dense or lexical")] = Mode.HYBRID,
    theme: Theme = None,
    document: DocumentId = None,
    organisation: Organisation = None,
    year: Year = None,
    min_relevance: Annotated[
        float | None,
        Query(
            ge=0,
            le=1,
            description="Relevance floor: hits below it are neither returned nor counted"
            " (0 = no floor; default: VIDENSBANK_MIN_RELEVANCE, else the fitted floor)",
        ),
    ] = None,
) -> SearchResponse:
    """Hybrid (semantic + word) search over the passages of the current snapshot.

    Example: `/api/search?q=hvordan undgår vi udsættelser?&theme=Vilde velfærdsproblemer`.
    Each result carries the passage, an HTML-escaped snippet with `<mark>`, its document,
    section path, theme, page and case, and a calibrated `relevance` in [0, 1]. Only hits
    at or above the floor count; when none does, `total` is 0 and `nearest` names up to
    three nearest cases or sections. Pages are stable: `offset` skips results of the
    same ranking."""
    filters = checked_filters(
        searcher, theme=theme, organisation=organisation, document=document, year=year
    )
    return searcher.search(
        q, k=k, offset=offset, mode=mode, filters=filters, min_relevance=min_relevance
    )
