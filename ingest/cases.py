"""Case records: the short stories from housing organisations that a publication collects.

Detection uses structure only: the sub-sections of a section whose heading announces a
collection of cases ("Cases fra møderne", "Eksempler …") are cases, and so are their own
sub-sections when those tell a story of their own. A heading of the form "Case: …" is a
case wherever it stands, titled without its prefix. Sections marked as front matter or
adverts (``roles``) are never cases and add nothing to a case's text. Organisations and
places come from the gazetteer (data).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .gazetteer import Gazetteer
from .model import BlockKind, Link
from .slug import slugify
from .structure import StructuredDocument, subtree, words

MIN_STORY_WORDS = 20


@dataclass
class Case:
    id: str
    title: str
    theme: str | None
    section_index: int
    section_path: str
    parent_id: str | None
    text: str
    organisations: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    page_start: int | None = None
    page_end: int | None = None


def _content(structure: StructuredDocument, index: int) -> list[int]:
    """``index`` and its descendants, without excluded sections (front matter, adverts)."""
    return [s for s in subtree(structure, index) if not structure.sections[s].excluded]


def _own_words(structure: StructuredDocument, index: int) -> int:
    return sum(words(structure.blocks[b].text) for b in structure.sections[index].blocks)


def _story_words(structure: StructuredDocument, index: int) -> int:
    return sum(_own_words(structure, s) for s in _content(structure, index))


def case_sections(
    structure: StructuredDocument, gazetteer: Gazetteer
) -> list[tuple[int, int | None]]:
    """(section index, parent case section index) for every case, in document order."""
    found: dict[int, int | None] = {}

    def add(index: int, parent: int | None) -> None:
        if (
            index in found
            or structure.sections[index].excluded
            or _story_words(structure, index) < MIN_STORY_WORDS
        ):
            return
        found[index] = parent
        for child in structure.sections[index].children:
            if _story_words(structure, child) >= MIN_STORY_WORDS:
                add(child, index)

    for section in structure.sections[1:]:
        if section.excluded:
            continue
        if gazetteer.is_single_case(section.title):
            add(section.index, None)
        elif gazetteer.is_case_collection(section.title):
            for child in section.children:
                add(child, None)
    return sorted(found.items())


def detect_cases(
    structure: StructuredDocument, document_id: str, gazetteer: Gazetteer
) -> tuple[list[Case], dict[int, str]]:
    """Return the cases and, for every section inside a case, the innermost case's id."""
    cases: list[Case] = []
    ids: dict[int, str] = {}
    used: set[str] = set()
    found = case_sections(structure, gazetteer)
    for index, parent in found:
        section = structure.sections[index]
        title = gazetteer.case_title(section.title)
        # The id keeps following the heading as printed, so links to a case stay valid.
        case_id = f"{document_id}--{slugify(section.title, 50)}"
        while case_id in used:
            case_id += "-2"
        used.add(case_id)
        ids[index] = case_id
        blocks = [
            structure.blocks[b]
            for s in _content(structure, index)
            for b in structure.sections[s].blocks
        ]
        body = [b for b in blocks if b.kind is not BlockKind.CAPTION]
        text = "\n\n".join(b.text for b in body)
        named = f"{title}\n{text}"
        pages = [b.page for b in blocks if b.page is not None] or (
            [section.page] if section.page else []
        )
        links: list[Link] = []
        for block in blocks:
            links.extend(link for link in block.links if link not in links)
        cases.append(
            Case(
                id=case_id,
                title=title,
                theme=section.theme,
                section_index=index,
                section_path=section.path_text,
                parent_id=ids.get(parent) if parent is not None else None,
                text=text,
                organisations=gazetteer.find_organisations(named),
                places=gazetteer.find_places(named),
                links=links,
                page_start=min(pages) if pages else None,
                page_end=max(pages) if pages else None,
            )
        )
    section_case: dict[int, str] = {}
    for index, _ in found:
        for inner in _content(structure, index):
            section_case[inner] = ids[index]  # deeper cases come later and overwrite
    return cases, section_case
