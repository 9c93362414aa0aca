"""The staff search page and the case, document and file pages: thin routes over the
read side. Parameters are parsed with the API's validators (``SearchState.parse``); every
error is turned into a Danish page by ``api/errors.py``.

Everything works without JavaScript (a plain GET form, links for filters and paging);
``static/vidensbank.js`` only adds search-as-you-type and keyboard navigation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..api.deps import SearcherDep
from ..api.errors import ApiError
from ..api.validation import PAGE_SIZE, checked_filters
from ..search.facets import FACET_KINDS
from .feedback import record_page_search
from .files import stored_file
from .filters import result_count
from .guidance import nearest_links, spelling_suggestion, weak_results
from .render import STATIC_DIR, render
from .state import SearchState
from .texts import FACET_LABELS
from .views import (
    case_view,
    document_view,
    example_questions,
    facet_lists,
    group_hits,
    query_facet_lists,
    safe_similar,
)

__all__ = ["STATIC_DIR", "router"]

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def search_page(request: Request, searcher: SearcherDep) -> Response:
    state = SearchState.parse(request.query_params)
    catalog = searcher.catalog
    filters = checked_filters(searcher, state.filters)
    facets = catalog.facets
    context: dict[str, Any] = {
        "state": state,
        "q": state.q,
        "hidden_filters": state.hidden_filters(),
        "active_filters": state.active_filters(catalog),
        "facets": facet_lists(facets),
        "facet_labels": FACET_LABELS,
    }
    if not state.q:
        context.update(examples=example_questions(facets), themes=facets.theme, autofocus=True)
        return render(request, "search.html", context)
    response = searcher.search(
        state.q,
        k=PAGE_SIZE,
        offset=state.offset,
        filters=filters,
        min_relevance=0.0 if state.everything else None,
        facets=FACET_KINDS,
    )
    question_facets = query_facet_lists(response)  # counts for this question and filters
    context.update(
        response=response,
        groups=group_hits(searcher, response.results),
        # total counts only hits at or above the relevance floor
        count=result_count(response.total, response.took_ms),
        facets=question_facets,
        has_facets=any(question_facets.values()),  # nothing to narrow: no filter column
        suggestion=spelling_suggestion(state, response.suggestion),
        weak=weak_results(state, response),
        nearest=nearest_links(catalog, response.nearest),
        last_page=max(1, -(-response.total // PAGE_SIZE)),
        first_rank=response.offset + 1,
    )
    # the query log, and the 👍/👎 buttons' context
    context.update(record_page_search(request, state, response, catalog))
    return render(request, "search.html", context)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: str, searcher: SearcherDep) -> Response:
    case = case_view(searcher.catalog, case_id)
    if case is None:
        raise ApiError(
            404, "Vi kunne ikke finde casen. Måske er den fjernet, eller linket er forkert."
        )
    similar = safe_similar(searcher, case_id) or []
    return render(request, "case.html", {"case": case, "similar": similar})


@router.get("/documents/{document_id}", response_class=HTMLResponse)
def document_page(request: Request, document_id: str, searcher: SearcherDep) -> Response:
    document = document_view(searcher.catalog, document_id)
    if document is None:
        raise ApiError(
            404,
            "Vi kunne ikke finde publikationen. Måske er den fjernet, eller linket er forkert.",
        )
    return render(request, "document.html", {"document": document})


@router.get("/documents/{document_id}/file")
def document_file(document_id: str, searcher: SearcherDep) -> Response:
    """The stored file of a document (its public URL when it has no web address)."""
    doc = searcher.catalog.documents.get(document_id)
    response = stored_file(doc) if doc is not None else None
    if response is None:
        raise ApiError(
            404, "Filen findes ikke. Måske er publikationen fjernet, eller linket er forkert."
        )
    return response
