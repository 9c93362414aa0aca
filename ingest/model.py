"""The one document model every loader produces and every later stage consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class BlockKind(StrEnum):
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    LIST_ITEM = "list_item"
    CAPTION = "caption"
    QUOTE = "quote"
    TOC_ENTRY = "toc_entry"


@dataclass(frozen=True)
class Link:
    url: str
    text: str = ""


@dataclass
class Block:
    """One ordered unit of a document: a heading, paragraph, list item, caption or quote.

    ``text`` is plain text (no markup). ``level`` is set for headings (1 = chapter).
    ``emphasis`` records a heading or line that the source wrapped entirely in bold
    ("bold") or italics ("italic"); structure uses it to repair flattened headings.
    ``toc_level`` is set on TOC_ENTRY blocks (1 = chapter entry, 2 = group label,
    3 = plain entry) and ``toc_page`` the page the entry points to. ``credit`` holds a photo/graphics credit ("Foto: KAB") that
    cleaning moved out of the text of a CAPTION block.
    """

    kind: BlockKind
    text: str
    level: int = 0
    page: int | None = None
    links: list[Link] = field(default_factory=list)
    emphasis: str = ""
    toc_level: int = 0
    toc_page: int | None = None
    credit: str = ""


@dataclass
class LoadedDocument:
    """What a loader returns: ordered blocks plus what the source says about itself."""

    source: str
    title: str
    blocks: list[Block]
    format: str
    page_count: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)
