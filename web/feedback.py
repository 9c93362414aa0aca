"""The 👍/👎 buttons of the search page, without JavaScript.

Each result carries a small ``<form method=post action=/feedback>``; ``POST /feedback``
records the judgement and answers 303 back to the same results page with
``vurderet=<passage id>``, where that result says "Tak for din vurdering". With
JavaScript the buttons post to ``/api/feedback`` instead and the page is not reloaded.

``record_page_search`` is the search page's one call into the query log: it logs the
question (see ``api/search_log.py`` for what counts) and returns what the buttons need."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from ..api.deps import SearcherDep
from ..api.errors import ApiError
from ..api.ratelimit import RateLimiter
from ..api.search_log import (
    JUDGED_PARAM,
    feedback_entry,
    feedback_wait,
    log_search,
    store_feedback,
)
from ..api.validation import query_text
from ..search.catalog import Catalog
from ..search.types import Hit, SearchResponse
from .state import SearchState

router = APIRouter(include_in_schema=False)


def first_passage_ids(hits: list[Hit], unit: Callable[[str], str | None]) -> list[str]:
    """The passage judged by each result of the page, in the page's order: the first hit of
    a case or short document (``unit`` of its passage id) heads its result, as
    ``views.group_hits`` groups them; any other hit is one."""
    seen: set[str] = set()
    ids = []
    for hit in hits:
        key = unit(hit.passage_id)
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        ids.append(hit.passage_id)
    return ids


def record_page_search(
    request: Request, state: SearchState, response: SearchResponse, catalog: Catalog
) -> dict[str, Any]:
    """Log the page's search (first page, sure results, not the page after a judgement)
    and return the feedback buttons' template context."""
    judged = request.query_params.get(JUDGED_PARAM)
    if state.page == 1 and not state.everything and judged is None:
        log_search(request, response, state.filters, "page")
    return {
        "feedback_ids": first_passage_ids(response.results, catalog.hit_unit),
        "feedback_back": state.url(),
        "judged": judged,
    }


def back_to_results(back: str, q: str, passage_id: str) -> str:
    """The results page to return to: ``back`` if it is this site's search page (never
    another site), else the question's first page; marked as judged."""
    parts = urlsplit(back)
    if parts.scheme or parts.netloc or parts.path != "/" or "\\" in back:
        params = [("q", q)]
    else:
        params = [(k, v) for k, v in parse_qsl(parts.query) if k != JUDGED_PARAM]
    params.append((JUDGED_PARAM, passage_id))
    return "/?" + urlencode(params) + f"#vurdering-{passage_id}"


@router.post("/feedback")
def post_feedback_form(
    request: Request,
    searcher: SearcherDep,
    q: Annotated[str, Form(max_length=2000)],
    passage_id: Annotated[str, Form(min_length=1, max_length=100)],
    useful: Annotated[int, Form(ge=0, le=1)],
    back: Annotated[str, Form(max_length=4000)] = "/",
) -> RedirectResponse:
    wait = feedback_wait(request)
    if wait:
        raise ApiError(
            429,
            "Du har givet mange vurderinger på kort tid. Vent"
            f" {RateLimiter.retry_after(wait)} sekunder, og prøv igen.",
            headers={"Retry-After": RateLimiter.retry_after(wait)},
        )
    question = query_text(q)  # InvalidParameter: the Danish 400 page
    entry = feedback_entry(searcher, question, passage_id, bool(useful))
    if entry is None:
        raise ApiError(
            400,
            "Resultatet findes ikke længere i vidensbanken – måske er publikationen opdateret."
            " Søg igen, og vurdér det nye resultat.",
        )
    if not store_feedback(request, entry):
        raise ApiError(503, "Vurderingen kunne ikke gemmes lige nu.")
    return RedirectResponse(back_to_results(back, question, passage_id), status_code=303)
