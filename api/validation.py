"""Request parameters, checked the same way for the JSON API and the search page.

The API declares its parameters with the ``Annotated`` types below and, for
``/api/search``, one model (``SearchRequest``: the query string of GET and the JSON body of
POST); FastAPI checks them and answers 422. A filter takes several values (a repeated
parameter, or a JSON list). The page parses its query string with ``SearchParams.parse``, which
applies the same limits with the same functions and raises ``InvalidParameter`` (the
page answers 400, in Danish; a question of nothing visible is its start page). Filter
values are then checked against the snapshot's facets by ``checked_filters`` (``UnknownFilterValue``: 422 in the API, 400 on the page).
How each error becomes a response is decided once, in ``api/errors.py``."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Self

from fastapi import Path, Query
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from ..search.facets import FACET_KINDS
from ..search.facets import checked_filters as check_against_facets
from ..search.searcher import Searcher
from ..search.types import ALWAYS_RETURNED, Filters, Hit, Mode, as_list

MAX_QUERY_CHARS = 500
MAX_FILTER_CHARS = 200
MAX_FILTER_VALUES = 20  # values of one filter field
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


def visible(value: str) -> str:
    """``value`` without what no one types on purpose: control characters (NUL, escape
    codes) become spaces, invisible format characters (soft hyphen, zero-width space,
    byte-order mark) and stray surrogates go, so a word pasted with them reads as typed."""
    kept = []
    for ch in value:
        category = unicodedata.category(ch)
        if category == "Cc":
            kept.append(" ")
        elif category not in ("Cf", "Cs"):
            kept.append(ch)
    return "".join(kept)


def query_text(value: str) -> str:
    """The question without control or invisible characters and with whitespace collapsed;
    1–``MAX_QUERY_CHARS`` characters."""
    value = " ".join(visible(value).split())
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


def _values(params: Mapping[str, Any], key: str) -> list[str]:
    """Every value of a repeated query parameter (a plain mapping holds one, or a list)."""
    getlist = getattr(params, "getlist", None)
    if getlist is not None:
        return [str(v) for v in getlist(key)]
    value = params.get(key)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def filter_values(field: str, raw: Sequence[str]) -> tuple[str, ...]:
    """A filter's values: blanks dropped, each checked by ``filter_text``, at most
    ``MAX_FILTER_VALUES``."""
    values = tuple(v for v in (filter_text(field, r) for r in raw) if v is not None)
    if len(values) > MAX_FILTER_VALUES:
        raise InvalidParameter(
            field, len(values), f"{field} has more than {MAX_FILTER_VALUES} values"
        )
    return values


def _as_tuple(value: object) -> tuple[Any, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list | tuple) else (value,)


@dataclass(frozen=True)
class SearchParams:
    """The search page's query string, checked: every limit is the API's. A filter field
    holds every value given for it (OR within a field, AND across fields)."""

    q: str = ""
    theme: tuple[str, ...] = ()
    document: tuple[str, ...] = ()
    organisation: tuple[str, ...] = ()
    year: tuple[int, ...] = ()
    page: int = 1
    everything: bool = False  # `alle=1`: also the hits below the relevance floor

    def __post_init__(self) -> None:
        for key in FILTER_FIELDS:  # one value is accepted for a field
            object.__setattr__(self, key, _as_tuple(getattr(self, key)))

    @classmethod
    def parse(cls, params: Mapping[str, Any]) -> Self:
        """From query parameters: every value of a filter, the last of other repeated
        parameters (as in the API); an empty ``q`` is the start page. Raises
        ``InvalidParameter``."""
        raw_q = params.get("q", "")
        q = query_text(raw_q) if visible(raw_q).strip() else ""
        page = params.get("page", "").strip()
        everything = params.get("alle", "").strip()
        years = [y.strip() for y in _values(params, "year") if y.strip()]
        if len(years) > MAX_FILTER_VALUES:
            raise InvalidParameter("year", len(years), f"more than {MAX_FILTER_VALUES} years")
        return cls(
            q=q,
            theme=filter_values("theme", _values(params, "theme")),
            document=filter_values("document", _values(params, "document")),
            organisation=filter_values("organisation", _values(params, "organisation")),
            year=tuple(dict.fromkeys(bounded_int("year", y, YEAR_MIN, YEAR_MAX) for y in years)),
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
        examples=["hvordan kan vi forebygge udsættelser?"],
    ),
    AfterValidator(_trimmed_query),
]
Id = Annotated[str, Path(min_length=1, max_length=300)]
FilterValue = Annotated[str, StringConstraints(max_length=MAX_FILTER_CHARS)]
YearValue = Annotated[int, Field(ge=YEAR_MIN, le=YEAR_MAX)]
SEVERAL = (
    " Repeat the parameter for several values: a hit has one of them (OR), and the"
    " filters of different fields all apply (AND)."
)
THEME_HELP = "Theme, as listed by /api/facets." + SEVERAL
ORGANISATION_HELP = "Organisation, as listed by /api/facets." + SEVERAL
DOCUMENT_HELP = "Document id, as listed by /api/facets or /api/documents." + SEVERAL
YEAR_HELP = "Publication year, as listed by /api/facets." + SEVERAL


def _filter_query(help_text: str, example: str | int) -> Any:
    return Query(max_length=MAX_FILTER_VALUES, description=help_text, examples=[[example]])


Themes = Annotated[list[FilterValue], _filter_query(THEME_HELP, "Biodiversitet")]
Organisations = Annotated[list[FilterValue], _filter_query(ORGANISATION_HELP, "KAB")]
DocumentIds = Annotated[
    list[FilterValue], _filter_query(DOCUMENT_HELP, "vaerdiskabende-gentagelser-2023")
]
Years = Annotated[list[YearValue], _filter_query(YEAR_HELP, 2023)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Results to skip")]


Name = Annotated[str, StringConstraints(min_length=1)]


def _names(value: object) -> object:
    """Names given comma-separated, repeated or as a JSON list, as one list."""
    if value is None:
        return None
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        return value
    names = [part.strip() for item in items for part in str(item).split(",") if part.strip()]
    if items and not names:
        raise ValueError("name at least one, comma-separated, or leave the parameter out")
    return names


def _known_names(kind: str, names: list[str], valid: Sequence[str]) -> list[str]:
    unknown = [n for n in names if n not in valid]
    if unknown:
        raise ValueError(
            f"unknown {kind} {unknown[0]!r}: use one or more of {', '.join(valid)}, comma-separated"
        )
    return list(dict.fromkeys(names))


def _facet_names(names: list[str] | None) -> list[str] | None:
    return _known_names("facet", names, FACET_KINDS) if names else None


def _hit_fields(names: list[str] | None) -> list[str] | None:
    if not names:
        return None
    return _known_names("field", [*ALWAYS_RETURNED, *names], list(Hit.model_fields))


def _filter_field(help_text: str) -> Any:
    return Field(default_factory=list, max_length=MAX_FILTER_VALUES, description=help_text)


class SearchRequest(BaseModel):
    """The parameters of a search: the query string of ``GET /api/search`` and the JSON
    body of ``POST /api/search`` (one model, so both are checked alike). A parameter it does
    not know is refused rather than ignored: a misspelt filter ("them") would otherwise
    silently widen the search."""

    model_config = ConfigDict(extra="forbid")

    q: Annotated[
        str,
        Field(
            min_length=1,
            description="The question or search words,"
            f" 1–{MAX_QUERY_CHARS} characters after trimming",
            examples=["hvordan kan vi forebygge udsættelser?"],
        ),
        AfterValidator(_trimmed_query),
    ]
    k: int = Field(10, ge=1, le=50, description="Results per page")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Results to skip")
    mode: Mode = Field(Mode.HYBRID, description="Retrieval: hybrid, dense or lexical")
    theme: Annotated[list[FilterValue], BeforeValidator(as_list)] = _filter_field(THEME_HELP)
    document: Annotated[list[FilterValue], BeforeValidator(as_list)] = _filter_field(DOCUMENT_HELP)
    organisation: Annotated[list[FilterValue], BeforeValidator(as_list)] = _filter_field(
        ORGANISATION_HELP
    )
    year: Annotated[list[YearValue], BeforeValidator(as_list)] = _filter_field(YEAR_HELP)
    min_relevance: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Relevance floor: hits below it are neither returned nor counted"
        " (0 = no floor; default: VIDENSBANK_MIN_RELEVANCE, else the fitted floor)",
    )
    facets: Annotated[list[Name] | None, BeforeValidator(_names), AfterValidator(_facet_names)] = (
        Field(
            None,
            description="Facets to count over this query's results, comma-separated: any of"
            f" {', '.join(FACET_KINDS)} (omitted: no `facets` in the response)",
            examples=[["theme,year"]],
        )
    )
    fields: Annotated[list[Name] | None, BeforeValidator(_names), AfterValidator(_hit_fields)] = (
        Field(
            None,
            description="Fields of each hit to return, comma-separated (default: all);"
            f" {' and '.join(ALWAYS_RETURNED)} are always returned",
            examples=[["passage_id,document,relevance,snippet"]],
        )
    )

    def filters(self) -> Filters:
        return Filters(
            theme=self.theme, document=self.document, organisation=self.organisation, year=self.year
        )


def checked_filters(searcher: Searcher, filters: Filters) -> Filters:
    """``filters`` after checking each value against the snapshot's facets; raises
    ``UnknownFilterValue`` for a value the snapshot does not have."""
    return check_against_facets(searcher.catalog, filters)
