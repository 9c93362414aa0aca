"""POST /api/feedback: a 👍/👎 on one result of a question."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool

from ..deps import SearcherDep
from ..errors import ApiError, ErrorBody
from ..ratelimit import RateLimiter
from ..search_log import (
    FEEDBACK_PER_MINUTE,
    feedback_entry,
    feedback_wait,
    store_feedback,
)
from ..validation import MAX_QUERY_CHARS, InvalidParameter, query_text

router = APIRouter(prefix="/api", tags=["search"])


def _question(value: str) -> str:
    """Whitespace collapsed, 1–500 characters: the search's own rule."""
    try:
        return query_text(value)
    except InvalidParameter as err:  # pydantic reports a ValueError's message as is
        raise ValueError(err.message) from None


class FeedbackIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "query": "hvordan undgår vi udsættelser?",
                    "passage_id": "3f1c0a9e5b7d2c4e6a81",
                    "useful": True,
                }
            ]
        },
    )

    query: Annotated[
        str,
        Field(
            min_length=1,
            max_length=MAX_QUERY_CHARS * 2,  # the exact limit applies after trimming
            description=f"The question the result was shown for, 1–{MAX_QUERY_CHARS} characters"
            " after trimming",
        ),
        AfterValidator(_question),
    ]
    passage_id: str = Field(
        min_length=1,
        max_length=100,
        description="`passage_id` of the result, from GET /api/search",
    )
    useful: StrictBool = Field(description="true: 👍 the result helped; false: 👎 it did not")


class FeedbackStored(BaseModel):
    stored: bool = Field(True, description="The judgement was stored")


@router.post(
    "/feedback",
    response_model=FeedbackStored,
    status_code=201,
    summary="Judge a result useful or not",
    responses={
        400: {"model": ErrorBody, "description": "The body is not valid JSON"},
        422: {"model": ErrorBody, "description": "Invalid body, or no such passage"},
        429: {"model": ErrorBody, "description": "Too many judgements; wait Retry-After seconds"},
        503: {"model": ErrorBody, "description": "The judgement could not be stored now"},
    },
)
def post_feedback(body: FeedbackIn, request: Request, searcher: SearcherDep) -> FeedbackStored:
    """Record that a result was useful (👍) or not (👎) for a question. Stores the question,
    the passage and the judgement, and no personal data (no address, user agent or
    cookie). At most 30 judgements a minute per client; more are answered 429 with
    `Retry-After`."""
    wait = feedback_wait(request)
    if wait:
        raise ApiError(
            429,
            f"Too many judgements: at most {FEEDBACK_PER_MINUTE} a minute. Try again in"
            f" {RateLimiter.retry_after(wait)} seconds.",
            headers={"Retry-After": RateLimiter.retry_after(wait)},
        )
    entry = feedback_entry(searcher, body.query, body.passage_id, body.useful)
    if entry is None:
        raise ApiError(
            422,
            f"No passage with id {body.passage_id!r} in the current index: use a passage_id"
            " from a result of GET /api/search.",
            code="invalid_request",
            detail=[{"field": "passage_id", "in": "body", "message": "unknown passage"}],
        )
    if not store_feedback(request, entry):
        raise ApiError(
            503,
            "The judgement could not be stored right now; try again in a few seconds.",
            headers={"Retry-After": "5"},
        )
    return FeedbackStored(stored=True)
