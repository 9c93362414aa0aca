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
    score: float
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


class SearchResponse(BaseModel):
    query: str
    mode: Mode
    total: int
    took_ms: float
    offset: int = 0
    k: int = 10
    results: list[Hit]
