"""From a loaded document to the records the store keeps: clean → structure → cases → passages."""

from __future__ import annotations

from dataclasses import dataclass

from .cases import Case, detect_cases
from .clean import clean_document
from .gazetteer import Gazetteer
from .model import Link, LoadedDocument
from .passages import Passage, make_passages
from .roles import SectionOptions, assign_roles
from .structure import StructuredDocument, build_structure
from .year import publication_year

# Bump when processing changes so that unchanged files are processed again.
# 2: a short passage no longer repeats a title it opens with
# 3: front matter and adverts carry no theme and are no cases; themes from the structure;
#    case-title prefixes stripped; the year read from the document
PIPELINE_VERSION = 3


@dataclass
class LinkRecord:
    url: str
    text: str
    section_index: int
    case_id: str | None


@dataclass
class ProcessedDocument:
    title: str
    structure: StructuredDocument
    cases: list[Case]
    section_case: dict[int, str]
    passages: list[Passage]
    links: list[LinkRecord]
    cleaned_text: str
    year: int | None = None  # as the document states it (title page, colophon)


def _links(structure: StructuredDocument, section_case: dict[int, str]) -> list[LinkRecord]:
    seen: set[tuple[str, int]] = set()
    records: list[LinkRecord] = []
    for block, section in zip(structure.blocks, structure.block_section, strict=True):
        for link in block.links:
            if not _is_real(link) or (link.url, section) in seen:
                continue
            seen.add((link.url, section))
            records.append(LinkRecord(link.url, link.text, section, section_case.get(section)))
    return records


def _is_real(link: Link) -> bool:
    return link.url.startswith(("http://", "https://"))


def process_document(
    loaded: LoadedDocument,
    document_id: str,
    gazetteer: Gazetteer,
    title: str | None = None,
    *,
    options: SectionOptions | None = None,
    publisher: str | None = None,
) -> ProcessedDocument:
    """``options`` are the publication's own section choices (sources.toml); ``publisher``
    lets a section "Om <publisher>" count as front matter."""
    cleaned = clean_document(loaded)
    if title:
        cleaned.title = title
    structure = build_structure(cleaned)
    assign_roles(structure, gazetteer, options, publisher or loaded.metadata.get("publisher"))
    cases, section_case = detect_cases(structure, document_id, gazetteer)
    for case in cases:
        case.links = [link for link in case.links if _is_real(link)]
    text, passages = make_passages(structure, document_id, section_case)
    case_orgs = {case.id: case.organisations for case in cases}
    for passage in passages:
        found = case_orgs.get(passage.case_id or "", [])
        passage.organisations = [
            *found,
            *(o for o in gazetteer.find_organisations(passage.text) if o not in found),
        ]
    return ProcessedDocument(
        title=structure.title,
        structure=structure,
        cases=cases,
        section_case=section_case,
        passages=passages,
        links=_links(structure, section_case),
        cleaned_text=text,
        year=publication_year(structure, loaded.page_count),
    )
