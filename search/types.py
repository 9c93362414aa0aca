"""Named result types shared by the searcher, the CLI (--json) and the HTTP API."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field


class Mode(StrEnum):
    HYBRID = "hybrid"
    DENSE = "dense"
    LEXICAL = "lexical"


class Filters(BaseModel):
    theme: str | None = None
    document: str | None = None
    organisation: str | None = None
    year: int | None = None
    include_superseded: bool = False

    def active(self) -> bool:
        return any(v is not None for v in (self.theme, self.document, self.organisation, self.year))


class DocumentRef(BaseModel):
    id: str
    title: str
    year: int | None = None
    url: str | None = Field(None, description="Original source URL, or the source file path")


class CaseRef(BaseModel):
    id: str
    title: str


class Hit(BaseModel):
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
    cited_by: list[CaseRef] = Field(
        default_factory=list,
        description="For a hit in fetched linked material: the cases that link to the page",
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
    suggestion: str | None = Field(
        None,
        description="“Mente du …?”: the whole query with its misspelt words replaced by corpus"
        " words (edit distance ≤ 2, ≤ 1 for words up to 7 letters), the rest verbatim; null"
        " when no word needs it (words the corpus has, valid Danish words, names, numbers)",
        examples=["hvordan undgår vi udsættelser?"],
    )
