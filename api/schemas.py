"""Response models of the API that are not search or browse types (those live in
``vidensbank.search.types`` and ``vidensbank.search.browse`` and are returned as is)."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field, HttpUrl

from ..search.browse import (
    CaseDetail,
    CaseSummary,
    DocumentDetail,
    DocumentSummary,
    Facets,
    PassageContext,
    SimilarCase,
)
from ..search.types import SearchResponse
from .errors import ErrorBody

T = TypeVar("T")

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
]


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
    documents: int = 0
    sections: int = 0
    cases: int = 0
    passages: int = 0
    links: int = 0


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
