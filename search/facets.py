"""Filter values ("facets") of one snapshot, and the one rule for matching them.

A facet value is what the filters of ``/api/search``, ``/api/cases`` and the search page
accept: a theme or an organisation (matched case-insensitively, see ``same_value``), a
document id or a year (matched exactly). ``checked_filters`` refuses any other value with
``UnknownFilterValue``, which lists the valid ones; the edge decides the HTTP status."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .types import Filters

if TYPE_CHECKING:
    from .catalog import Catalog

FACET_KINDS = ("theme", "organisation", "document", "year")
FOLDED_KINDS = frozenset({"theme", "organisation"})  # matched case-insensitively


def fold(value: object) -> str:
    """The form in which two theme or organisation names compare equal."""
    return str(value).casefold()


def same_value(a: object, b: object) -> bool:
    """Case-insensitive equality of two filter values (themes, organisations)."""
    return fold(a) == fold(b)


def contains_value(values: Iterable[str], value: str) -> bool:
    """``value`` is one of ``values``, case-insensitively."""
    wanted = fold(value)
    return any(fold(v) == wanted for v in values)


@dataclass(frozen=True)
class FacetValue:
    value: str | int  # what to pass as filter (a year is an integer)
    label: str  # what to show (a document's title for document facets)
    count: int  # passages with this value
    cases: int = 0  # cases with this value


@dataclass(frozen=True)
class Facets:
    theme: list[FacetValue]
    organisation: list[FacetValue]
    document: list[FacetValue]
    year: list[FacetValue]

    def values(self, kind: str) -> list[str | int]:
        return [f.value for f in getattr(self, kind)]


@dataclass
class _Tally:
    """Passage counts, case ids and first-seen labels of one facet kind."""

    passages: dict[str | int, int] = field(default_factory=dict)
    cases: dict[str | int, set[str]] = field(default_factory=dict)
    labels: dict[str | int, str] = field(default_factory=dict)

    def add(self, key: str | int, label: str, case_id: str | None) -> None:
        self.passages[key] = self.passages.get(key, 0) + 1
        self.labels.setdefault(key, label)
        bucket = self.cases.setdefault(key, set())
        if case_id:
            bucket.add(case_id)

    def facet_values(self, kind: str) -> list[FacetValue]:
        out = [
            FacetValue(
                value=self.labels[key] if kind in FOLDED_KINDS else key,
                label=self.labels[key],
                count=count,
                cases=len(self.cases.get(key, ())),
            )
            for key, count in self.passages.items()
        ]
        if kind == "year":
            return sorted(out, key=lambda f: -int(f.value))
        return sorted(out, key=lambda f: (-f.count, fold(f.label)))


def compute_facets(catalog: Catalog) -> Facets:
    """Themes, organisations, documents and years with passage and case counts, most
    frequent first (years newest first). ``Catalog.facets`` keeps the result."""
    tallies = {kind: _Tally() for kind in FACET_KINDS}
    for p in catalog.passages:
        doc = catalog.documents[p.document_id]
        if p.theme:
            tallies["theme"].add(fold(p.theme), p.theme, p.case_id)
        for org in dict.fromkeys(p.organisations):
            tallies["organisation"].add(fold(org), org, p.case_id)
        tallies["document"].add(doc.id, doc.title, p.case_id)
        if doc.year is not None:
            tallies["year"].add(doc.year, str(doc.year), p.case_id)
    return Facets(**{kind: tallies[kind].facet_values(kind) for kind in FACET_KINDS})


MAX_LISTED = 30  # valid values named in an error


class UnknownFilterValue(ValueError):
    """A filter value the snapshot does not have. ``valid`` lists (up to ``MAX_LISTED``) of
    the values that exist; ``more`` says how many were left out."""

    def __init__(self, kind: str, value: object, valid: list[str], more: int) -> None:
        self.kind = kind
        self.value = value
        self.valid = valid
        self.more = more
        listed = ", ".join(valid) or "(none)"
        extra = f" (and {more} more)" if more else ""
        super().__init__(
            f"Unknown {kind} {value!r}: use one of {listed}{extra};"
            " GET /api/facets lists every value with counts."
        )


def _check(kind: str, value: object, known: list[str | int]) -> None:
    if kind in FOLDED_KINDS:
        found = contains_value([str(v) for v in known], str(value))
    else:
        found = value in known
    if not found:
        listed = [str(v) for v in known[:MAX_LISTED]]
        raise UnknownFilterValue(kind, value, listed, max(0, len(known) - MAX_LISTED))


def checked_filters(
    catalog: Catalog,
    *,
    theme: str | None = None,
    organisation: str | None = None,
    document: str | None = None,
    year: int | None = None,
) -> Filters:
    """Filters after checking each given value against the snapshot's facets. A blank
    text value means "no filter" (an empty form field); an unknown value raises
    ``UnknownFilterValue``."""
    theme, organisation, document = (
        (v.strip() or None) if v is not None else None for v in (theme, organisation, document)
    )
    facets = catalog.facets
    if theme is not None:
        _check("theme", theme, facets.values("theme"))
    if organisation is not None:
        _check("organisation", organisation, facets.values("organisation"))
    if document is not None:
        _check("document", document, sorted(catalog.documents))
    if year is not None:
        _check("year", year, facets.values("year"))
    return Filters(theme=theme, organisation=organisation, document=document, year=year)
