"""Request parameters, checked the same way for the JSON API and the search page.

The API declares its parameters with the ``Annotated`` types below (FastAPI checks them
and answers 422); the page parses its query string with ``SearchParams.parse``, which
applies the same limits with the same functions and raises ``InvalidParameter`` (the
page answers 400, in Danish). Filter values are then checked against the snapshot's
facets by ``checked_filters`` (``UnknownFilterValue``: 422 in the API, 400 on the page).
How each error becomes a response is decided once, in ``api/errors.py``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Self

from fastapi import Path, Query
from pydantic import AfterValidator

from ..search.facets import checked_filters as check_against_facets
from ..search.searcher import Searcher
from ..search.types import Filters

MAX_QUERY_CHARS = 500
MAX_FILTER_CHARS = 200
YEAR_MIN, YEAR_MAX = 1900, 2100
MAX_OFFSET = 1000  # results skipped, at most (API `offset`)
PAGE_SIZE = 10  # results per page on the search page
MAX_PAGE = MAX_OFFSET // PAGE_SIZE + 1  # the page reaches as deep as the API
FILTER_FIELDS = ("theme", "document", "organisation", "year")


class InvalidParameter(ValueError):
    """A request parameter that cannot be used; the message says how to fix it."""

    def __init__(self, field: str, value: object, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.value = value
        self.message = message


def query_text(value: str) -> str:
    """The question with whitespace collapsed; 1–``MAX_QUERY_CHARS`` characters."""
    value = " ".join(value.split())
    if not value:
        raise InvalidParameter(
            "q", value, "the question is empty; type a few words, e.g. 'udsættelser'"
        )
    if len(value) > MAX_QUERY_CHARS:
        raise InvalidParameter(
            "q",
            len(value),
            f"the question has {len(value)} characters after trimming; use at most"
            f" {MAX_QUERY_CHARS} (a short question works best)",
        )
    return value


def bounded_int(field: str, raw: str, low: int, high: int) -> int:
    """``raw`` as an integer in ``[low, high]``. Only ASCII digits count: ``"²"``, ``"①"``
    or ``"٣"`` are digits to ``str.isdigit`` but not a number anyone typed on purpose."""
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise InvalidParameter(
            field, raw[:50], f"{field} must be a whole number from {low} to {high}"
        )
    return int(text)


def filter_text(field: str, raw: str | None) -> str | None:
    """A text filter: blank means "no filter"; at most ``MAX_FILTER_CHARS`` characters."""
    value = (raw or "").strip()
    if len(value) > MAX_FILTER_CHARS:
        raise InvalidParameter(
            field, value[:50], f"{field} has more than {MAX_FILTER_CHARS} characters"
        )
    return value or None


@dataclass(frozen=True)
class SearchParams:
    """The search page's query string, checked: every limit is the API's."""

    q: str = ""
    theme: str | None = None
    document: str | None = None
    organisation: str | None = None
    year: int | None = None
    page: int = 1
    everything: bool = False  # `alle=1`: also the hits below the relevance floor

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> Self:
        """From query parameters (the last of repeated ones, as in the API); an empty
        ``q`` is the start page. Raises ``InvalidParameter``."""
        raw_q = params.get("q", "")
        q = query_text(raw_q) if raw_q.strip() else ""
        year = params.get("year", "").strip()
        page = params.get("page", "").strip()
        everything = params.get("alle", "").strip()
        return cls(
            q=q,
            theme=filter_text("theme", params.get("theme")),
            document=filter_text("document", params.get("document")),
            organisation=filter_text("organisation", params.get("organisation")),
            year=bounded_int("year", year, YEAR_MIN, YEAR_MAX) if year else None,
            page=bounded_int("page", page, 1, MAX_PAGE) if page else 1,
            everything=bool(bounded_int("alle", everything, 0, 1)) if everything else False,
        )

    @property
    def offset(self) -> int:
        return (self.page - 1) * PAGE_SIZE


def _trimmed_query(value: str) -> str:
    try:
        return query_text(value)
    except InvalidParameter as err:  # pydantic reports a ValueError's message as is
        raise ValueError(err.message) from None


QueryText = Annotated[
    str,
    Query(
        description=f"The question or search words, 1–{MAX_QUERY_CHARS} characters after trimming",
        min_length=1,
        examples=["hvordan undgår vi udsættelser?"],
    ),
    AfterValidator(_trimmed_query),
]
Id = Annotated[str, Path(min_length=1, max_length=300)]
Theme = Annotated[
    str | None,
    Query(
        max_length=MAX_FILTER_CHARS,
        description="Theme, as listed by /api/facets",
        examples=["Biodiversitet"],
    ),
]
Organisation = Annotated[
    str | None,
    Query(
        max_length=MAX_FILTER_CHARS,
        description="Organisation, as listed by /api/facets",
        examples=["KAB"],
    ),
]
DocumentId = Annotated[
    str | None,
    Query(
        max_length=MAX_FILTER_CHARS,
        description="Document id, as listed by /api/facets or /api/documents",
        examples=["vaerdiskabende-gentagelser-2023"],
    ),
]
Year = Annotated[
    int | None,
    Query(
        ge=YEAR_MIN,
        le=YEAR_MAX,
        description="Publication year, as listed by /api/facets",
        examples=[2023],
    ),
]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Results to skip")]


def checked_filters(
    searcher: Searcher,
    *,
    theme: str | None = None,
    organisation: str | None = None,
    document: str | None = None,
    year: int | None = None,
) -> Filters:
    """Filters after checking each value against the snapshot's facets; raises
    ``UnknownFilterValue`` for a value the snapshot does not have."""
    return check_against_facets(
        searcher.catalog, theme=theme, organisation=organisation, document=document, year=year
    )
