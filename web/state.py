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
    """``SearchParams`` (parsed by ``SearchState.parse``) plus the links built from it."""

    @property
    def filters(self) -> Filters:
        return Filters(
            theme=self.theme,
            document=self.document,
            organisation=self.organisation,
            year=self.year,
        )

    def params(self, **changes: Any) -> dict[str, str]:
        values: dict[str, Any] = {
            "q": self.q,
            **{k: getattr(self, k) for k in FILTER_FIELDS},
            "page": self.page if self.page > 1 else None,
            "alle": 1 if self.everything else None,
        }
        if any(k in changes for k in FILTER_FIELDS) or "q" in changes:
            values["page"] = None  # a new filter or query starts on page one
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}

    def url(self, **changes: Any) -> str:
        params = self.params(**changes)
        return "/?" + urlencode(params) if params else "/"

    def with_filter(self, key: str, value: Any) -> str:
        return self.url(**{key: value})

    def without(self, *keys: str) -> str:
        return self.url(**dict.fromkeys(keys or FILTER_FIELDS))

    def is_active(self, key: str, value: Any) -> bool:
        current = getattr(self, key)
        return current is not None and same_value(current, value)

    def active_filters(self, catalog: Catalog) -> list[ActiveFilter]:
        out = []
        for key in FILTER_FIELDS:
            value = getattr(self, key)
            if value is None:
                continue
            shown = str(value)
            if key == "document" and value in catalog.documents:
                shown = catalog.documents[value].title
            out.append(ActiveFilter(key, FACET_LABELS[key], shown, self.without(key)))
        return out

    def hidden_filters(self) -> list[tuple[str, str]]:
        return [(k, str(getattr(self, k))) for k in FILTER_FIELDS if getattr(self, k)]
