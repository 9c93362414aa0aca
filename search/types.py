"""Named result types shared by the searcher, the CLI (--json) and the HTTP API."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


class Mode(StrEnum):
    HYBRID = "hybrid"
    DENSE = "dense"
    LEXICAL = "lexical"


FILTER_KINDS = ("theme", "organisation", "document", "year")


def as_list(value: object) -> object:
    """A single value (or None) where a list of values is expected."""
    if value is None:
        return []
    if isinstance(value, str | int):
        return [value]
    return value


class Filters(BaseModel):
    """Filter values: a hit must have one of the values of every field that has any (OR
    within a field, AND across fields). A single value is accepted for a field."""

    theme: Annotated[list[str], BeforeValidator(as_list)] = Field(default_factory=list)
    document: Annotated[list[str], BeforeValidator(as_list)] = Field(default_factory=list)
    organisation: Annotated[list[str], BeforeValidator(as_list)] = Field(default_factory=list)
    year: Annotated[list[int], BeforeValidator(as_list)] = Field(default_factory=list)
    include_superseded: bool = False

    def values(self, kind: str) -> list[Any]:
        return list(getattr(self, kind))

    def active(self) -> bool:
        return any(self.values(kind) for kind in FILTER_KINDS)

    def without(self, kind: str) -> Filters:
        """These filters with no value for ``kind`` (for counts of that field's values)."""
        return self.model_copy(update={kind: []})


class DocumentRef(BaseModel):
    id: str
    title: str
    year: int | None = None
    url: str | None = Field(None, description="Original source URL, or the source file path")


class CaseRef(BaseModel):
    id: str
    title: str


class MatchBy(StrEnum):
    WORDS = "words"
    MEANING = "meaning"
    BOTH = "both"


class Match(BaseModel):
    """Why a hit matched the query (see :mod:`.match` for the rule)."""

    by: MatchBy = Field(
        description="`words`: it contains words of the query; `meaning`: it is among the"
        " passages closest in meaning to the query (dense cosine of its closest sentence,"
        " heading or the passage within 0.03 of the query's best candidate), or it shares no"
        " word with the query; `both`: both are true"
    )
    words: list[str] = Field(
        default_factory=list,
        description="The query's words that the passage (its text or section path) contains,"
        " as they were typed, each once, stop words left out; a word also counts when a form"
        " of it matches, when the passage has one of its compound parts as a word, or when"
        " it is part of a compound in the passage (a compound sharing only a part with it"
        " does not count)",
        examples=[["udsættelser", "husleje"]],
    )
    sentence: str | None = Field(
        None,
        description="When `by` is `meaning` or `both`: the passage's sentence closest to the query",
    )


ALWAYS_RETURNED = ("rank", "passage_id")  # kept whatever `fields` asks for


def _only_always_returned_required(schema: dict[str, Any]) -> None:
    # `fields=` may leave any other field out, so the published schema requires only these.
    schema["required"] = list(ALWAYS_RETURNED)


class Hit(BaseModel):
    model_config = ConfigDict(json_schema_extra=_only_always_returned_required)

    passage_id: str
    rank: int
    score: float = Field(
        description="The ranking score of the mode and fusion strategy, comparable only within"
        " one response: hybrid `learned` = relevance; `rrf` = reciprocal-rank sum; `convex` ="
        " weighted mean of per-query min-max normalised scores; dense = cosine (lifted towards"
        " the best sentence or heading); lexical = BM25 x query coverage squared"
    )
    relevance: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Estimated probability that this passage answers the query, comparable"
        " across queries: a logistic model over absolute evidence (cosines, BM25, query"
        " coverage, title and heading matches, document evidence) fitted on the team's eval"
        " sets. Hits below the floor (`min_relevance`) are not returned",
    )
    text: str
    snippet: str = Field(
        description="HTML-escaped passage excerpt; matched words wrapped in <mark>"
    )
    best_sentence: str | None = Field(
        None, description="For hits with no word in common with the query: the closest sentence"
    )
    document: DocumentRef
    section_path: str
    theme: str | None = None
    page: int | None = None
    case: CaseRef | None = None
    collapsed: int = Field(
        0, description="Adjacent passages of the same section folded into this hit"
    )
    same_text_in: list[DocumentRef] = Field(
        default_factory=list,
        description="Other documents among this query's candidates whose passage has the same"
        " text (case and spacing ignored), such as a paragraph a help site or web site repeats"
        " on many pages: the text is one hit, here, not one per document",
    )
    cited_by: list[CaseRef] = Field(
        default_factory=list,
        description="For a hit in fetched linked material: the cases that link to the page",
    )
    citation: str = Field(
        "",
        description="Source reference to quote with the text, built as the publisher's rights"
        " note asks: 'Kilde: <publisher>: <title> (<year>), s. <pages>'; parts the document"
        " lacks are left out, and a web page adds its address",
        examples=["Kilde: AlmenNet: Værdiskabende gentagelser (2023), s. 16"],
    )
    match: Match | None = Field(
        None, description="Why this hit matched: by the query's words, by meaning, or both"
    )


class NearestTopic(BaseModel):
    """A case or section near a question the corpus has no sure answer to."""

    kind: str = Field(description="'case' or 'section'")
    title: str = Field(description="The case title, or the section heading")
    case_id: str | None = Field(None, description="For a case: its id (/api/cases/{case_id})")
    document_id: str = Field(description="The document (/api/documents/{document_id})")
    passage_id: str = Field(description="Its closest passage (/api/passages/{passage_id})")
    section_path: str
    relevance: float = Field(ge=0, le=1, description="Relevance of that passage (below the floor)")


class FacetCount(BaseModel):
    """One filter value with how many of this query's results have it."""

    value: str | int = Field(description="The value to pass as filter (a year is an integer)")
    label: str = Field(description="Text to show (a document's title for document facets)")
    count: int = Field(
        description="Results at or above the relevance floor with this value, counted after"
        " folding and diversity like `total`, with the filters of the other fields applied"
        " (not this field's own). Selecting the value ranks within it, so the `total` it then"
        " gives can differ slightly"
    )
    cases: int = Field(0, description="Distinct cases among those results")


# A question whose best hit is below this (less than one chance in ten of answering) has
# only weak results: the page says so, and the insights page counts it with the questions
# that found nothing. On the eval sets such a first hit answered about one question in five,
# and most no-answer questions that pass the floor end here (docs/BENCHMARKS.md).
WEAK_RELEVANCE = 0.1  # relevance estimates the probability that a hit answers


class SearchResponse(BaseModel):
    query: str
    mode: Mode
    total: int = Field(description="Hits at or above the floor (after folding and diversity)")
    took_ms: float
    offset: int = 0
    k: int = 10
    min_relevance: float = Field(
        0.0, ge=0, le=1, description="The relevance floor applied (0 = none)"
    )
    results: list[Hit]
    nearest: list[NearestTopic] = Field(
        default_factory=list,
        description="When no hit reaches the floor: up to three nearest cases or sections,"
        " best first, so the caller can say there is no sure answer and offer them",
    )
    weak: bool = Field(
        False,
        description="True when hits pass the floor but even the best has a relevance below"
        f" {WEAK_RELEVANCE:g}: weak matches that may not answer (the search page says so"
        " above them)",
    )
    suggestion: str | None = Field(
        None,
        description="“Mente du …?”: the whole query with its misspelt words replaced by corpus"
        " words (edit distance ≤ 2, ≤ 1 for words up to 7 letters), the rest verbatim; null"
        " when no word needs it (words the corpus has, valid Danish words, names, numbers)",
        examples=["hvordan undgår vi udsættelser?"],
    )
    facets: dict[str, list[FacetCount]] | None = Field(
        None,
        description="Only when `facets` is asked for: per facet name (theme, organisation,"
        " document, year) the values of this query's results, most results first (years"
        " newest first); a selected value is listed even with count 0",
    )

    def wire(self, fields: Sequence[str] | None = None) -> dict[str, Any]:
        """The response as JSON data: ``facets`` only when asked for, and each hit only with
        ``fields`` (all when None). The API and ``vidensbank search --json`` print this."""
        exclude: dict[str, Any] = {}
        if self.facets is None:
            exclude["facets"] = True
        if fields is not None:
            dropped = set(Hit.model_fields) - set(fields)
            if dropped:
                exclude["results"] = {"__all__": dropped}
        return self.model_dump(mode="json", exclude=exclude or None)
