"""The query log at the edges: the writer and the feedback rate limit on ``app.state``, the
one call a search route makes to log its search, and the judgement shared by
``POST /api/feedback`` and the page's ``POST /feedback``.

What counts as a search: a question asked on the page or through ``GET /api/search``, once.
Not logged: a later page of results (``page`` > 1, ``offset`` > 0), the page reloaded with
the unsure results too (``alle=1``), the page shown again after a judgement, and the read
side's own calls (nearest topics, similar cases)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from ..querylog import FeedbackEntry, SearchEntry
from ..querylog_writer import FeedbackNotStored, QueryLogWriter
from ..search.searcher import Searcher
from ..search.types import Filters, SearchResponse
from ..settings import Settings
from .ratelimit import RateLimiter, client_key

log = logging.getLogger(__name__)

FEEDBACK_PER_MINUTE = 30
LIVE_HEADER = "X-Vidensbank-Live"  # set by the page's script on search-as-you-type requests
JUDGED_PARAM = "vurderet"  # the page shown again after a judgement (not a new search)


def install_query_log(app: FastAPI, settings: Settings) -> QueryLogWriter:
    """Put the writer and the rate limit on ``app.state``; the lifespan starts and stops
    the writer."""
    writer = QueryLogWriter(
        settings.store_path, enabled=settings.query_log, days=settings.query_log_days
    )
    app.state.query_log = writer
    app.state.feedback_limiter = RateLimiter(FEEDBACK_PER_MINUTE, 60.0)
    return writer


def query_log(request: Request) -> QueryLogWriter | None:
    return getattr(request.app.state, "query_log", None)


def filter_values(filters: Filters) -> dict[str, object]:
    """The active filters, as logged: ``{"theme": ["Biodiversitet"]}``."""
    values = filters.model_dump(include={"theme", "document", "organisation", "year"})
    return {k: v for k, v in values.items() if v not in (None, "", [])}


def log_search(request: Request, response: SearchResponse, filters: Filters, source: str) -> None:
    """Queue ``response``'s search for the log (unless it is a later page). Never raises:
    the log must not break a search."""
    writer = query_log(request)
    if writer is None or response.offset > 0:
        return
    try:
        entry = SearchEntry(
            query=response.query,
            hits=response.total,
            mode=str(response.mode),
            filters=filter_values(filters),
            source=source,
            best_relevance=max((hit.relevance for hit in response.results), default=None),
        )
        live = request.headers.get(LIVE_HEADER) == "1"
        writer.log_search(entry, client=client_key(request), live=live)
    except Exception:
        log.exception("query log: a search was not logged")


class SearchLogger:
    """Bound to one API request: ``return search_log(response, filters)``."""

    def __init__(self, request: Request) -> None:
        self.request = request

    def __call__(self, response: SearchResponse, filters: Filters) -> SearchResponse:
        log_search(self.request, response, filters, "api")
        return response


SearchLogDep = Annotated[SearchLogger, Depends(SearchLogger)]


def feedback_wait(request: Request) -> float:
    """Count one judgement from this client: 0 when allowed, else seconds to wait."""
    limiter: RateLimiter | None = getattr(request.app.state, "feedback_limiter", None)
    return 0.0 if limiter is None else limiter.check(client_key(request))


def feedback_entry(
    searcher: Searcher, query: str, passage_id: str, useful: bool
) -> FeedbackEntry | None:
    """The judgement of a passage of the current snapshot (None: no such passage)."""
    catalog = searcher.catalog
    row = catalog.row_by_id.get(passage_id)
    if row is None:
        return None
    passage = catalog.passages[row]
    document = catalog.documents.get(passage.document_id)
    case = catalog.cases.get(passage.case_id) if passage.case_id else None
    return FeedbackEntry(
        query=query,
        passage_id=passage_id,
        useful=useful,
        document_id=passage.document_id,
        document_title=document.title if document else passage.document_id,
        case_id=case.id if case else None,
        case_title=case.title if case else None,
    )


def store_feedback(request: Request, entry: FeedbackEntry) -> bool:
    """Hand a judgement to this process's log writer; False when it cannot be stored now
    (no writer, or the store is busy or full)."""
    writer = query_log(request)
    if writer is None:
        return False
    try:
        writer.add_feedback(entry, client=client_key(request))
    except FeedbackNotStored:
        return False
    return True
