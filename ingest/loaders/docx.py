"""Word (.docx) loader on python-docx: heading styles → sections, lists, tables as rows.

A paragraph is a heading when its style (or a style it is based on) is "Heading n" or,
in Danish Word, "Overskrift n", or when it carries an outline level of its own. Word's
"Title"/"Titel" style gives the document title. List paragraphs (numbering or a list
style) become list items; every table row becomes one line of text with its cells
separated by " | ", so a row stays together in one passage.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator

from docx import Document
from docx.document import Document as WordDocument
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.styles.style import ParagraphStyle
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree

from ..errors import IngestError
from ..model import Block, BlockKind, Link, LoadedDocument

_HEADING_STYLE = re.compile(r"^(?:heading|overskrift)\s*(\d)$", re.IGNORECASE)
_TITLE_STYLES = {"title", "titel"}
_LIST_STYLE = re.compile(r"^(?:list|liste|opstilling)", re.IGNORECASE)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted .docx and old binary .doc
_MAX_UNPACKED = 256 * 1_048_576  # a .docx that unpacks beyond this is refused (zip bomb)
_JUNK_TITLES = ("untitled", "document", "dokument", "microsoft word")
_SAVE_HINT = "open it in Word and save it again as .docx"


def load_docx(data: bytes, source: str) -> LoadedDocument:
    """A .docx file → blocks in reading order; headings carry their level."""
    document = _open(data)
    blocks = list(_blocks(document))
    if not any(b.text for b in blocks):
        raise IngestError("Word document has no text (only images or empty): nothing to ingest")
    return LoadedDocument(
        source=source,
        title=_title(document, blocks),
        blocks=blocks,
        format="docx",
        metadata=_metadata(document),
    )


def _open(data: bytes) -> WordDocument:
    if data.startswith(_OLE_MAGIC):
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k" in data:
            raise IngestError(
                "encrypted Word document: a password is needed to read it; remove the"
                " password in Word (File › Info › Protect Document) and save it again"
            )
        raise IngestError(f"old binary Word file (.doc), not .docx: {_SAVE_HINT}")
    if not data.startswith(b"PK"):
        raise IngestError(
            f"not a Word .docx file (no ZIP header; starts with {data[:8]!r}):"
            " check the file type or re-download it"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            names = set(archive.namelist())
    except (zipfile.BadZipFile, EOFError, ValueError) as err:
        raise IngestError(
            f"Word file is damaged (truncated or broken ZIP: {err}); {_SAVE_HINT}"
        ) from err
    if unpacked > _MAX_UNPACKED:
        raise IngestError(
            f"Word file unpacks to {unpacked / 1_048_576:.0f} MB, over the"
            f" {_MAX_UNPACKED // 1_048_576} MB limit: remove large images and save it again"
        )
    if "word/document.xml" not in names:
        raise IngestError(
            "not a Word document (a ZIP file without word/document.xml, e.g. an Excel or"
            " PowerPoint file): upload a .docx saved by Word or LibreOffice"
        )
    try:
        return Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as err:
        raise IngestError(f"Word file is damaged ({err}); {_SAVE_HINT}") from err
    except etree.XMLSyntaxError as err:
        raise IngestError(
            f"Word file is damaged (a part of it is not well-formed XML: {err}); {_SAVE_HINT}"
        ) from err
    except Exception as err:  # python-docx's own checks on unusual parts
        raise IngestError(f"Word file cannot be read ({err}); {_SAVE_HINT}") from err


def _blocks(document: WordDocument) -> Iterator[Block]:
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            block = _paragraph_block(item)
            if block is not None:
                yield block
        elif isinstance(item, Table):
            yield from _table_rows(item)


def _paragraph_block(paragraph: Paragraph) -> Block | None:
    text = " ".join(paragraph.text.split())
    if not text:
        return None
    links = [Link(h.url, h.text) for h in paragraph.hyperlinks if h.url]
    level = _heading_level(paragraph)
    if level:
        return Block(BlockKind.HEADING, text, level=level, links=links)
    kind = BlockKind.LIST_ITEM if _is_list_item(paragraph) else BlockKind.PARAGRAPH
    return Block(kind, text, links=links, emphasis=_emphasis(paragraph))


def _heading_level(paragraph: Paragraph) -> int:
    """1.. for a heading (style chain or outline level), 0 otherwise; a title is level 1."""
    style: ParagraphStyle | None = paragraph.style
    for _ in range(10):  # a style chain is short; guard against cycles
        if style is None:
            break
        name = (style.name or "").strip()
        if name.casefold() in _TITLE_STYLES:
            return 1
        match = _HEADING_STYLE.match(name)
        if match:
            return max(int(match.group(1)), 1)
        style = style.base_style
    outline = _outline_level(paragraph)
    return outline + 1 if outline is not None and outline < 9 else 0


def _outline_level(paragraph: Paragraph) -> int | None:
    ppr = paragraph._p.pPr
    element = ppr.find(qn("w:outlineLvl")) if ppr is not None else None
    value = element.get(qn("w:val")) if element is not None else None
    return int(value) if value is not None and value.isdigit() else None


def _is_list_item(paragraph: Paragraph) -> bool:
    ppr = paragraph._p.pPr
    if ppr is not None and ppr.numPr is not None:
        return True
    name = paragraph.style.name if paragraph.style is not None else ""
    return bool(_LIST_STYLE.match(name or ""))


def _emphasis(paragraph: Paragraph) -> str:
    runs = [r for r in paragraph.runs if r.text.strip()]
    if runs and len(paragraph.text) <= 150:
        if all(r.bold for r in runs):
            return "bold"
        if all(r.italic for r in runs):
            return "italic"
    return ""


def _table_rows(table: Table) -> Iterator[Block]:
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if text and (not cells or cells[-1] != text):  # a merged cell repeats
                cells.append(text)
        if cells:
            yield Block(BlockKind.PARAGRAPH, " | ".join(cells))


def _title(document: WordDocument, blocks: list[Block]) -> str:
    core = (document.core_properties.title or "").strip()
    if core and not core.casefold().startswith(_JUNK_TITLES):
        return core
    headings = [b for b in blocks if b.kind is BlockKind.HEADING]
    if headings:
        top = min(b.level for b in headings)
        return next(b.text for b in headings if b.level == top)
    return next(b.text for b in blocks if b.text)[:200]


def _metadata(document: WordDocument) -> dict[str, str]:
    props = document.core_properties
    found = {"author": props.author, "subject": props.subject}
    return {k: " ".join(v.split()) for k, v in found.items() if isinstance(v, str) and v.strip()}
