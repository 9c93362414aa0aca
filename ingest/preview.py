"""A read-only look at what ingest would make of a file: the same load, clean, structure
and case detection, but no embedding and nothing written. The admin upload form shows
it before the file is committed."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import IngestError
from .gazetteer import Gazetteer
from .loaders import load_bytes
from .process import process_document

PREVIEW_ID = "preview"


@dataclass(frozen=True)
class PreviewCase:
    title: str
    theme: str | None
    organisations: list[str]


@dataclass(frozen=True)
class Preview:
    title: str
    year: int | None  # as the document states it
    format: str
    page_count: int | None
    themes: list[str]  # in reading order
    cases: list[PreviewCase]
    passages: int
    sections: int


def preview_bytes(
    data: bytes,
    filename: str,
    gazetteer: Gazetteer,
    *,
    title: str | None = None,
    publisher: str | None = None,
) -> Preview:
    """The structure ingest would detect in ``data`` (named ``filename``). Raises
    IngestError (with a reason that names only ``filename``) when it cannot be read or
    leaves no text to search."""
    loaded = load_bytes(data, filename)
    processed = process_document(loaded, PREVIEW_ID, gazetteer, title=title, publisher=publisher)
    if not processed.passages:
        raise IngestError("no text left after cleaning; nothing to search in this file")
    structure = processed.structure
    themes: list[str] = []
    for section in structure.sections:
        if section.theme and not section.excluded and section.theme not in themes:
            themes.append(section.theme)
    for case in processed.cases:
        if case.theme and case.theme not in themes:
            themes.append(case.theme)
    return Preview(
        title=processed.title,
        year=processed.year,
        format=loaded.format,
        page_count=loaded.page_count,
        themes=themes,
        cases=[PreviewCase(c.title, c.theme, list(c.organisations)) for c in processed.cases],
        passages=len(processed.passages),
        sections=sum(1 for s in structure.sections[1:] if not s.excluded),
    )
