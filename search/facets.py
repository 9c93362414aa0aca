"""Filter values ("facets") of one snapshot, and the one rule for matching them.

A facet value is what the filters of ``/api/search``, ``/api/cases`` and the search page
accept: a theme or an organisation (matched case-insensitively, see ``same_value``), a
document id or a year (matched exactly). Each field takes several values: a passage or case
matches when it has one of the values of every field that has any (OR within a field, AND
across fields). ``checked_filters`` refuses any value the snapshot lacks with
``UnknownFilterValue``, which lists the valid ones; the edge decides the HTTP status.

``passage_matches`` and ``case_matches`` are the rule; the searcher (``allowed_rows``),
``browse.list_cases`` and the query facets (``query_facets``) all use them.

Facets of a query (``query_facets``) count, per value, the results at or above the
relevance floor after folding and diversity (what ``total`` counts), not passages, so a
count reads like the number of results selecting it would show. They are "disjunctive":
a field's counts apply the filters of the other fields but not its own, so with one theme
selected the other themes still show what choosing them too would add. The selected
values are counted in the ranking the page shows (one selected theme counts its results); the
others come from a ranking without their field's filter, and since relevance reads each
retriever's (filtered) list, the total that choosing one gives can differ a little."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from .types import FILTER_KINDS, FacetCount, Filters

if TYPE_CHECKING:
    from .catalog import CaseInfo, Catalog, DocumentInfo, PassageInfo

FACET_KINDS = FILTER_KINDS
FOLDED_KINDS = frozenset({"theme", "organisation"})  # matched case-insensitively


def fold(value: object) -> str:
    """The form in which two theme or organisation names compare equal."""
    return str(value).casefold()


def match_key(kind: str, value: Any) -> Any:
    """The form in which two values of ``kind`` compare equal."""
    return fold(value) if kind in FOLDED_KINDS else value


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


def checked_filters(catalog: Catalog, filters: Filters) -> Filters:
    """``filters`` after checking each value against the snapshot's facets: blank text
    values are dropped (an empty form field means "no filter"), repeated ones kept once; an
    unknown value raises ``UnknownFilterValue``."""
    facets = catalog.facets
    known: dict[str, list[str | int]] = {
        "theme": facets.values("theme"),
        "organisation": facets.values("organisation"),
        "document": sorted(catalog.documents),
        "year": facets.values("year"),
    }
    checked: dict[str, list[Any]] = {}
    for kind in FACET_KINDS:
        values = [v.strip() if isinstance(v, str) else v for v in filters.values(kind)]
        values = list(dict.fromkeys(v for v in values if v != ""))
        for value in values:
            _check(kind, value, known[kind])
        checked[kind] = values
    return filters.model_copy(update=checked)


# ---------------------------------------------------------------- the matching rule


def _wanted(filters: Filters, kind: str) -> set[Any]:
    values = filters.values(kind)
    return {match_key(kind, v) for v in values}


def _matches(have: dict[str, set[Any]], filters: Filters, ignore: str | None) -> bool:
    """Every field with values (but ``ignore``) shares one with ``have``."""
    for kind in FACET_KINDS:
        if kind != ignore and filters.values(kind) and not have[kind] & _wanted(filters, kind):
            return False
    return True


def _keys(
    theme: str | None, organisations: Iterable[str], doc: DocumentInfo
) -> dict[str, set[Any]]:
    return {
        "theme": {fold(theme)} if theme else set(),
        "organisation": {fold(o) for o in organisations},
        "document": {doc.id},
        "year": {doc.year} if doc.year is not None else set(),
    }


def hidden_as_superseded(doc: DocumentInfo, filters: Filters) -> bool:
    """A superseded edition is left out unless asked for, or its document is selected."""
    return (
        bool(doc.superseded_by)
        and not filters.include_superseded
        and doc.id not in filters.values("document")
    )


def passage_matches(
    catalog: Catalog, p: PassageInfo, filters: Filters, ignore: str | None = None
) -> bool:
    """The passage passes ``filters`` (the field ``ignore`` left out)."""
    doc = catalog.documents[p.document_id]
    if hidden_as_superseded(doc, filters):
        return False
    return _matches(_keys(p.theme, p.organisations, doc), filters, ignore)


def case_matches(catalog: Catalog, case: CaseInfo, filters: Filters) -> bool:
    """The case passes ``filters`` (superseded editions are not hidden from case lists)."""
    doc = catalog.documents[case.document_id]
    return _matches(_keys(case.theme, case.organisations, doc), filters, None)


def allowed_rows(catalog: Catalog, filters: Filters, ignore: str | None = None) -> set[int] | None:
    """Rows of the passages that pass ``filters`` (the field ``ignore`` left out); None when
    every passage does."""
    active = any(filters.values(k) for k in FACET_KINDS if k != ignore)
    hides = not filters.include_superseded and any(
        d.superseded_by for d in catalog.documents.values()
    )
    if not active and not hides:
        return None
    return {p.row for p in catalog.passages if passage_matches(catalog, p, filters, ignore)}


# ---------------------------------------------------------------- facets of a query


class RankedRow(Protocol):
    @property
    def row(self) -> int: ...


T = TypeVar("T", bound=RankedRow)


def query_facets(
    catalog: Catalog,
    kind: str,
    hits: Sequence[T],
    filters: Filters,
    count_results: Callable[[list[T]], list[int]],
) -> list[FacetCount]:
    """The values of ``kind`` among ``hits`` (ranked, at or above the floor, with the other
    fields' filters applied), each counted as the results ``count_results`` (folding and
    diversity) keeps of its hits; the selected values of ``kind`` always, with 0 if need be.
    A hit whose text an earlier hit of another document has is not shown, so its values
    are not offered for it."""
    groups: dict[Any, list[T]] = {}
    distinct = set(catalog.first_of_same_text(hit.row for hit in hits)[0])
    for hit in hits:
        if hit.row not in distinct:  # its text is shown under another document
            continue
        p = catalog.passages[hit.row]
        have = _keys(p.theme, p.organisations, catalog.documents[p.document_id])[kind]
        for key in have:
            groups.setdefault(key, []).append(hit)
    labels = _labels(catalog, kind)
    for value in filters.values(kind):
        groups.setdefault(match_key(kind, value), [])
    out = []
    for key, members in groups.items():
        if key not in labels:
            continue
        value, label = labels[key]
        kept = count_results(members)
        cases = {catalog.passages[row].case_id for row in kept} - {None}
        out.append(FacetCount(value=value, label=label, count=len(kept), cases=len(cases)))
    return _ordered(kind, out)


def with_selected(
    kind: str, counts: list[FacetCount], selected: list[FacetCount], filters: Filters
) -> list[FacetCount]:
    """``counts`` with the selected values of ``kind`` counted as in ``selected`` (the
    ranking with every filter, whose results the page shows): so the selected values add up
    to the results shown, and the others say what choosing them too would add."""
    chosen = _wanted(filters, kind)
    kept = [f for f in counts if match_key(kind, f.value) not in chosen]
    return _ordered(kind, kept + [f for f in selected if match_key(kind, f.value) in chosen])


def _ordered(kind: str, values: list[FacetCount]) -> list[FacetCount]:
    """Most results first (then by label); years newest first."""
    if kind == "year":
        return sorted(values, key=lambda f: -int(f.value))
    return sorted(values, key=lambda f: (-f.count, fold(f.label)))


def _labels(catalog: Catalog, kind: str) -> dict[Any, tuple[str | int, str]]:
    """Matching key → (filter value, label) of every value of ``kind`` in the snapshot."""
    return {match_key(kind, f.value): (f.value, f.label) for f in getattr(catalog.facets, kind)}
