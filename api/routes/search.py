"""GET and POST /api/search: one parameter model, one search, the same JSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from ...search.types import SearchResponse
from ..deps import SearcherDep
from ..errors import ErrorBody
from ..search_log import SearchLogDep, SearchLogger
from ..validation import SearchRequest, checked_filters

router = APIRouter(prefix="/api", tags=["search"])

ERRORS: dict[int | str, dict[str, object]] = {
    422: {
        "model": ErrorBody,
        "description": "Invalid parameter, unknown filter value, facet or field",
    },
    503: {"model": ErrorBody, "description": "No search index loaded yet"},
}

DESCRIPTION = """Hybrid (semantic + word) search over the passages of the current snapshot.

Example: `/api/search?q=hvordan undgår vi udsættelser?&theme=Biodiversitet&theme=Beboerdemokrati&year=2023&facets=theme,year`.
Each result carries the passage, an HTML-escaped snippet with `<mark>`, its document,
section path, theme, page and case, and a calibrated `relevance` in [0, 1]. Only hits
at or above the floor count; when none does, `total` is 0 and `nearest` names up to
three nearest cases or sections. Pages are stable: `offset` skips results of the
same ranking.

Filters take several values: repeat a parameter (`theme=A&theme=B`) and a hit has one of
them; filters of different fields all apply. `facets` adds the values of this query's
results with their counts (a field's counts apply the other fields' filters, not its own).
`fields` limits what each hit returns."""


def _search(searcher: SearcherDep, params: SearchRequest, log: SearchLogger) -> JSONResponse:
    filters = checked_filters(searcher, params.filters())
    response = searcher.search(
        params.q,
        k=params.k,
        offset=params.offset,
        mode=params.mode,
        filters=filters,
        min_relevance=params.min_relevance,
        facets=params.facets or (),
    )
    return JSONResponse(log(response, filters).wire(params.fields))


@router.get(
    "/search",
    response_model=SearchResponse,
    summary="Search passages and cases",
    description=DESCRIPTION,
    responses=ERRORS,
)
def search(
    searcher: SearcherDep, params: Annotated[SearchRequest, Query()], log: SearchLogDep
) -> JSONResponse:
    return _search(searcher, params, log)


@router.post(
    "/search",
    response_model=SearchResponse,
    summary="Search passages and cases (parameters as a JSON body)",
    description="The same search as `GET /api/search`, its parameters as a JSON object"
    ' (filters and `facets`/`fields` as lists, e.g. `{"q": "udsættelser", "theme":'
    ' ["Biodiversitet"], "facets": ["theme", "year"]}`); the same checks, errors and response.',
    responses={400: {"model": ErrorBody, "description": "The body is not valid JSON"}, **ERRORS},
)
def search_post(searcher: SearcherDep, params: SearchRequest, log: SearchLogDep) -> JSONResponse:
    return _search(searcher, params, log)
