"""The API's wire models: what the JSON of every endpoint looks like.

The read side (``vidensbank.search``) returns plain dataclasses; routes turn them into
these models with ``wire(Model, value)``. Search hits (``SearchResponse``) are the
searcher's own pydantic types and are returned as they are."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from ..search.types import CaseRef, DocumentRef, SearchResponse
from .errors import ErrorBody

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

__all__ = [
    "CaseDetail",
    "CaseSummary",
    "DocumentDetail",
    "DocumentSummary",
    "ErrorBody",
    "Facets",
    "PassageContext",
    "SearchResponse",
    "SimilarCase",
    "wire",
]

PUBLIC_URL = (
    "The document's source URL, or the Vidensbank URL that serves its stored file"
    " (/documents/{id}/file); never a path on the server"
)


def wire(model: type[M], value: Any) -> M:
    """``value`` (a read-side dataclass) as the wire model ``model``."""
    return model.model_validate(value, from_attributes=True)


class _Wire(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class SectionOut(_Wire):
    idx: int
    parent_idx: int | None = None
    level: int
    title: str
    path: str = Field(description="Section path, parts joined by ' › '")
    theme: str | None = None
    page: int | None = None
    case_id: str | None = None


class CaseSummary(_Wire):
    id: str
    title: str
    theme: str | None = None
    document: DocumentRef
    parent_id: str | None = None
    section_path: str
    organisations: list[str] = Field(default_factory=list)
    places: list[str] = Field(default_factory=list)
    page_start: int | None = None
    page_end: int | None = None
    citation: str = Field(
        description="Source reference to quote with the case, as the publisher's rights note"
        " asks, with the case's pages",
        examples=["Kilde: AlmenNet: Værdiskabende gentagelser (2023), s. 16–17"],
    )


class LinkOut(_Wire):
    url: str
    text: str = ""


class CaseDetail(CaseSummary):
    text: str = Field(description="The case's full cleaned text")
    parent: CaseRef | None = None
    sub_cases: list[CaseRef] = Field(default_factory=list)
    links: list[LinkOut] = Field(default_factory=list, description="Links found in the case")
    passage_ids: list[str] = Field(default_factory=list)


class DocumentSummary(_Wire):
    id: str
    title: str
    year: int | None = None
    url: str = Field(description=PUBLIC_URL)
    format: str
    publisher: str | None = None
    superseded_by: str | None = None
    passage_count: int = Field(description="Number of passages")
    case_count: int = Field(description="Number of cases")
    citation: str = Field(
        description="Source reference to quote with the document, as the publisher's rights"
        " note asks ('Kilde: <publisher>: <title> (<year>)'; parts the document lacks are left"
        " out, and a web page adds its address)",
        examples=["Kilde: AlmenNet: Værdiskabende gentagelser (2023)"],
    )


class DocumentDetail(DocumentSummary):
    sections: list[SectionOut] = Field(default_factory=list, description="In reading order")
    cases: list[CaseSummary] = Field(default_factory=list, description="In document order")


class PassageOut(_Wire):
    id: str
    document: DocumentRef
    ordinal: int
    section_idx: int
    section_path: str
    theme: str | None = None
    case: CaseRef | None = None
    page_start: int | None = None
    page_end: int | None = None
    text: str


class PassageContext(_Wire):
    passage: PassageOut
    before: list[PassageOut] = Field(
        default_factory=list, description="Preceding passages of the same document, in order"
    )
    after: list[PassageOut] = Field(
        default_factory=list, description="Following passages of the same document, in order"
    )


class SimilarCase(_Wire):
    id: str
    title: str
    theme: str | None = None
    document: DocumentRef
    score: float = Field(description="Cosine similarity of the cases' mean passage vectors")


class FacetValue(_Wire):
    value: str | int = Field(description="The value to pass as filter (a year is an integer)")
    label: str = Field(description="Text to show (a document's title for document facets)")
    count: int = Field(description="Passages with this value")
    cases: int = Field(0, description="Cases with this value")


class Facets(_Wire):
    theme: list[FacetValue]
    organisation: list[FacetValue]
    document: list[FacetValue]
    year: list[FacetValue]


class Page(BaseModel, Generic[T]):
    total: int = Field(description="Items matching, before offset/limit")
    offset: int
    limit: int
    items: list[T]


class SimilarCases(BaseModel):
    case_id: str
    results: list[SimilarCase]


class Health(BaseModel):
    status: str = Field(examples=["ok"])


class Counts(BaseModel):
    documents: int = Field(0, description="Documents in the snapshot")
    sections: int = Field(0, description="Sections (headings) of those documents")
    cases: int = Field(0, description="Cases, sub-cases included")
    passages: int = Field(0, description="Passages (the units that are searched)")
    links: int = Field(0, description="Links found in the documents' text")


class Ready(BaseModel):
    status: str = Field(examples=["ready"])
    version: str = Field(description="Snapshot version", examples=["20250101T120000-a1b2c3"])
    created_at: str | None = None
    counts: Counts


class Stats(Ready):
    embedder: dict[str, object] = Field(default_factory=dict)
    dense: dict[str, object] = Field(default_factory=dict)
    loaded_at: float | None = Field(None, description="Unix time this worker loaded it")
    reload_interval_s: float
    writes_enabled: bool


class UrlUpload(BaseModel):
    url: HttpUrl = Field(
        description="http(s) address of an HTML page or a PDF to fetch and ingest",
        examples=["https://almennet.dk/media/1234/vaerdiskabende-gentagelser.pdf"],
    )


class UploadResult(BaseModel):
    document_id: str = Field(examples=["beboerblad-2024"])
    status: str = Field(description="added, updated or unchanged", examples=["added"])
    title: str | None = None
    passages: int = Field(description="Passages of the document in the new snapshot")
    cases: int = Field(description="Cases of the document in the new snapshot")
    version: str = Field(description="Snapshot version that contains the document")


class DeleteResult(BaseModel):
    document_id: str
    deleted: bool = True
    version: str = Field(description="Snapshot version without the document")
