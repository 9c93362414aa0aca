"""Request checks that need the snapshot: filter values must be ones the facets list."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator

from ..search import browse
from ..search.searcher import Searcher
from ..search.types import Filters
from .errors import ApiError

MAX_QUERY_CHARS = 500
MAX_LISTED = 30  # valid values listed in an error message


def _trimmed_query(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValueError("the question is empty; type a few words, e.g. 'udsættelser'")
    if len(value) > MAX_QUERY_CHARS:
        raise ValueError(
            f"the question has {len(value)} characters after trimming; use at most"
            f" {MAX_QUERY_CHARS} (a short question works best)"
        )
    return value


QueryText = Annotated[
    str,
    Query(
        description="The question or search words, 1–500 characters after trimming",
        min_length=1,
        examples=["hvordan undgår vi udsættelser?"],
    ),
    AfterValidator(_trimmed_query),
]
Id = Annotated[str, Path(min_length=1, max_length=300)]
Theme = Annotated[
    str | None,
    Query(
        max_length=200, description="Theme, as listed by /api/facets", examples=["Biodiversitet"]
    ),
]
Organisation = Annotated[
    str | None,
    Query(max_length=200, description="Organisation, as listed by /api/facets", examples=["KAB"]),
]
DocumentId = Annotated[
    str | None,
    Query(
        max_length=200,
        description="Document id, as listed by /api/facets or /api/documents",
        examples=["vaerdiskabende-gentagelser-2023"],
    ),
]
Year = Annotated[
    int | None,
    Query(
        ge=1900, le=2100, description="Publication year, as listed by /api/facets", examples=[2023]
    ),
]


def _check(kind: str, value: object, known: list[object], fold: bool) -> None:
    def key(v: object) -> object:
        return str(v).casefold() if fold else v

    if key(value) in {key(v) for v in known}:
        return
    listed = [str(v) for v in known[:MAX_LISTED]]
    more = f" (and {len(known) - MAX_LISTED} more)" if len(known) > MAX_LISTED else ""
    raise ApiError(
        422,
        f"Unknown {kind} {value!r}: use one of {', '.join(listed) or '(none)'}{more};"
        " GET /api/facets lists every value with counts.",
        code="invalid_filter",
        detail={"field": kind, "value": value, "valid": listed},
    )


def checked_filters(
    searcher: Searcher,
    *,
    theme: str | None = None,
    organisation: str | None = None,
    document: str | None = None,
    year: int | None = None,
) -> Filters:
    """Filters, after checking each given value against the snapshot's facets (422 if not)."""
    theme, organisation, document = (
        (v.strip() or None) if v is not None else None for v in (theme, organisation, document)
    )  # an empty form field means "no filter"
    facets = browse.facet_values(searcher)
    if theme is not None:
        _check("theme", theme, [f.value for f in facets.theme], fold=True)
    if organisation is not None:
        _check("organisation", organisation, [f.value for f in facets.organisation], fold=True)
    if document is not None:
        _check("document", document, sorted(searcher.catalog.documents), fold=False)
    if year is not None:
        _check("year", year, [f.value for f in facets.year], fold=False)
    return Filters(theme=theme, organisation=organisation, document=document, year=year)
