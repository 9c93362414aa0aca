"""Section tree, section paths and themes from a cleaned document's blocks.

Converted publications often lose their heading hierarchy: sub-headings come out one
level too high, headings split over two lines, or chapters reappear as plain lines. When
the document carries a table of contents, the TOC is the best witness of the intended
hierarchy, so headings that match a TOC entry take its level and headings that do not
are nested under the last matched one. Without a TOC, the source levels are used, with
italic-only headings demoted under their non-italic sibling.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from ..text import PATH_SEPARATOR
from .model import Block, BlockKind, LoadedDocument


@dataclass
class Section:
    index: int
    title: str
    level: int
    parent: int | None
    path: list[str]
    page: int | None = None
    blocks: list[int] = field(default_factory=list)  # indexes into StructuredDocument.blocks
    children: list[int] = field(default_factory=list)
    # Set by ``roles``: why the section is not content ("front_matter", "advert", ...) and
    # the theme it belongs to, if any.
    excluded: str = ""
    theme: str | None = None

    @property
    def path_text(self) -> str:
        return PATH_SEPARATOR.join(self.path)


@dataclass
class StructuredDocument:
    title: str
    blocks: list[Block]  # content blocks in reading order (headings and TOC removed)
    block_section: list[int]  # section index for each block
    sections: list[Section]  # sections[0] is the document root (front matter)


def display_title(text: str) -> str:
    """ "CASES FRA MØDERNE" → "Cases fra møderne"; other headings keep their case."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 4 and all(c.isupper() for c in letters):
        return text[:1].upper() + text[1:].lower()
    return text


def _key(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold()
    return "".join(c for c in text if c.isalnum())


@dataclass
class _TocEntry:
    key: str
    level: int
    page: int | None


def _toc_entries(blocks: list[Block]) -> list[_TocEntry]:
    """TOC entries with hierarchical levels: chapter 1, group label 2, plain entry 2 or 3
    (3 when a group label precedes it within the same chapter)."""
    entries: list[_TocEntry] = []
    in_group = False
    for block in blocks:
        if block.kind is not BlockKind.TOC_ENTRY:
            continue
        if block.toc_level == 1:
            in_group = False
            level = 1
        elif block.toc_level == 2:
            in_group = True
            level = 2
        else:
            level = 3 if in_group else 2
        entries.append(_TocEntry(_key(block.text), level, block.toc_page))
    return entries


def _match_toc(heading: str, entries: list[_TocEntry], start: int) -> int | None:
    """Index of the TOC entry (at or after ``start``) that this heading is, if any.

    Headings and TOC entries appear in the same order, so matching moves forward only;
    a fuzzy ratio tolerates small differences ("100 pct." vs "100 procent")."""
    key = _key(heading)
    if not key:
        return None
    for offset, entry in enumerate(entries[start : start + 12]):
        if entry.key == key:
            return start + offset
    for offset, entry in enumerate(entries[start : start + 12]):
        if SequenceMatcher(None, entry.key, key).ratio() >= 0.85:
            return start + offset
    return None


def _merge_split_headings(blocks: list[Block]) -> list[Block]:
    """ "# Om AlmenNets" directly followed by "## publikationer" is one heading."""
    merged: list[Block] = []
    for block in blocks:
        previous = merged[-1] if merged else None
        if (
            block.kind is BlockKind.HEADING
            and previous is not None
            and previous.kind is BlockKind.HEADING
            and block.text[:1].islower()
        ):
            previous.text = f"{previous.text} {block.text}"
            previous.links.extend(block.links)
            continue
        merged.append(block)
    return merged


def _announces(block: Block | None) -> bool:
    """A paragraph ending in a colon ("Her er to udvalgte eksempler:") introduces sub-sections."""
    return (
        block is not None
        and block.kind is not BlockKind.HEADING
        and block.text.rstrip().endswith(":")
    )


def _resolve_levels(
    headings: list[Block], before: list[Block | None], toc: list[_TocEntry]
) -> list[tuple[int, int | None]]:
    """Effective (level, page) for each heading; ``before[i]`` is the block preceding heading i."""
    if not toc:
        return _levels_without_toc(headings)
    resolved: list[tuple[int, int | None]] = []
    next_entry = 0
    matched: Block | None = None  # the last heading found in the TOC
    matched_level = 0
    nests: bool | None = None  # do unmatched same-level headings after it nest under it?
    for heading, previous in zip(headings, before, strict=True):
        page = heading.page
        found = _match_toc(heading.text, toc, next_entry)
        if found is not None:
            next_entry = found + 1
            level = matched_level = toc[found].level
            matched, nests = heading, None
            page = page or toc[found].page
        elif heading.level <= 1 or matched is None:
            level = max(heading.level, 1)  # a chapter-level heading is never demoted
        elif heading.level > matched.level:
            level = matched_level + 1
        else:
            if nests is None:
                nests = _announces(previous)
            level = matched_level + 1 if nests else matched_level
        resolved.append((level, page))
    return resolved


def _levels_without_toc(headings: list[Block]) -> list[tuple[int, int | None]]:
    """Source levels, with an italic-only heading demoted under its non-italic sibling."""
    resolved: list[tuple[int, int | None]] = []
    previous: Block | None = None
    previous_level = 0
    for heading in headings:
        level = max(heading.level, 1)
        if previous is not None and previous.level == heading.level:
            if heading.emphasis == "italic" and previous.emphasis != "italic":
                level = previous_level + 1
            elif previous.emphasis == "italic" and heading.emphasis == "italic":
                level = previous_level
        resolved.append((level, heading.page))
        previous, previous_level = heading, level
    return resolved


def build_structure(doc: LoadedDocument) -> StructuredDocument:
    blocks = _merge_split_headings([b for b in doc.blocks])
    toc = _toc_entries(blocks)
    blocks = [b for b in blocks if b.kind is not BlockKind.TOC_ENTRY]
    title = doc.title or next((b.text for b in blocks if b.kind is BlockKind.HEADING), "")

    # Headings repeating the document title (title page, back cover) are not chapters:
    # what follows them belongs to the document itself.
    title_key = _key(title)
    heading_positions = [
        i
        for i, b in enumerate(blocks)
        if b.kind is BlockKind.HEADING and not (b.level <= 1 and _key(b.text) == title_key)
    ]
    headings = [blocks[i] for i in heading_positions]
    before = [blocks[i - 1] if i > 0 else None for i in heading_positions]
    levels = dict(zip(heading_positions, _resolve_levels(headings, before, toc), strict=True))

    root = Section(index=0, title=title, level=0, parent=None, path=[])
    sections = [root]
    stack = [root]
    content: list[Block] = []
    block_section: list[int] = []
    current_page: int | None = None
    for position, block in enumerate(blocks):
        if position in levels:
            level, page = levels[position]
            while stack[-1].level >= level:
                stack.pop()
            parent = stack[-1]
            name = display_title(block.text)
            section = Section(
                index=len(sections),
                title=name,
                level=level,
                parent=parent.index,
                path=[*parent.path, name],
                page=page or block.page or current_page,
            )
            parent.children.append(section.index)
            sections.append(section)
            stack.append(section)
            current_page = section.page
            continue
        if block.kind is BlockKind.HEADING:
            stack = [root]  # a repeated title: back to document level
            continue
        if block.page is None and current_page is not None:
            block.page = current_page
        current_page = block.page or current_page
        stack[-1].blocks.append(len(content))
        content.append(block)
        block_section.append(stack[-1].index)
    return StructuredDocument(
        title=title, blocks=content, block_section=block_section, sections=sections
    )


def subtree(structure: StructuredDocument, index: int) -> list[int]:
    """Section indexes of ``index`` and all its descendants, in document order."""
    order = [index]
    for child in structure.sections[index].children:
        order.extend(subtree(structure, child))
    return order


def words(text: str) -> int:
    return len(re.findall(r"\w+", text))
