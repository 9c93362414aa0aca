"""The search page's state: its query string, parsed with the API's rules and re-buildable,
so every link (filters, paging) keeps the question and the other filters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from ..api.validation import FILTER_FIELDS, SearchParams
from ..search.catalog import Catalog
from ..search.facets import same_value
from ..search.types import Filters
from .texts import FACET_LABELS


@dataclass(frozen=True)
class ActiveFilter:
    key: str
    label: str  # Danish name of the filter
    value: str  # what to show (a document's title rather than its id)
    remove: str  # the page's URL without this filter


@dataclass(frozen=True)
class SearchState(SearchParams):
    """``SearchParams`` (parsed by ``SearchState.parse``) plus the links built from it. A
    filter link adds or removes one value of a field; the other values and fields stay."""

    @property
    def filters(self) -> Filters:
        return Filters(
            theme=list(self.theme),
            document=list(self.document),
            organisation=list(self.organisation),
            year=list(self.year),
        )

    def params(self, **changes: Any) -> dict[str, list[str]]:
        values: dict[str, Any] = {
            "q": self.q,
            **{k: getattr(self, k) for k in FILTER_FIELDS},
            "page": self.page if self.page > 1 else None,
            "alle": 1 if self.everything else None,
        }
        if any(k in changes for k in FILTER_FIELDS) or "q" in changes:
            values["page"] = None  # a new filter or query starts on page one
        values.update(changes)
        out: dict[str, list[str]] = {}
        for key, value in values.items():
            items = value if isinstance(value, list | tuple) else [value]
            kept = [str(v) for v in items if v not in (None, "")]
            if kept:
                out[key] = kept
        return out

    def url(self, **changes: Any) -> str:
        params = self.params(**changes)
        return "/?" + urlencode(params, doseq=True) if params else "/"

    def with_filter(self, key: str, value: Any) -> str:
        """The page with ``value`` added to the values of ``key`` (either of them)."""
        current = getattr(self, key)
        if self.is_active(key, value):
            return self.url(**{key: current})
        return self.url(**{key: (*current, value)})

    def without_value(self, key: str, value: Any) -> str:
        """The page with one value of ``key`` removed, its other values kept."""
        kept = tuple(v for v in getattr(self, key) if not same_value(v, value))
        return self.url(**{key: kept})

    def without(self, *keys: str) -> str:
        return self.url(**dict.fromkeys(keys or FILTER_FIELDS))

    def is_active(self, key: str, value: Any) -> bool:
        return any(same_value(current, value) for current in getattr(self, key))

    def active_filters(self, catalog: Catalog) -> list[ActiveFilter]:
        out = []
        for key in FILTER_FIELDS:
            for value in getattr(self, key):
                shown = str(value)
                if key == "document" and value in catalog.documents:
                    shown = catalog.documents[value].title
                out.append(
                    ActiveFilter(key, FACET_LABELS[key], shown, self.without_value(key, value))
                )
        return out

    def hidden_filters(self) -> list[tuple[str, str]]:
        return [(k, str(v)) for k in FILTER_FIELDS for v in getattr(self, k)]
