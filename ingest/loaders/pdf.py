"""PDF loader on pypdf: lines with font sizes → headings and paragraphs, with page numbers.

pypdf's visitor receives the same text pieces (and line breaks) that ``extract_text``
produces, each with its text matrix and font size, so lines come from pypdf's own
layout logic and we only add the font information on top.
"""

from __future__ import annotations

import io
import itertools
import logging
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError, PyPdfError

from ..errors import IngestError
from ..model import Block, BlockKind, LoadedDocument
from .markdown import bare_urls

_HEADING_RATIO = 1.15  # a line this much larger than body text is a heading
_MAX_HEADING_CHARS = 200
_JUNK_TITLES = ("untitled", "microsoft word", "document", "indesign", "layout 1")
_TOC_LINE = re.compile(r"^(?P<title>\S.*?)\s*(?:\.\s*){4,}(?P<page>\d{1,4})$")
_BULLET = re.compile(r"^[•●▪■◦‣⁃]\s*")
_DECRYPT_HINT = "decrypt it first, e.g. qpdf --decrypt --password=… in.pdf out.pdf"
_REPAIR_HINT = "re-export it or try repairing it, e.g. qpdf in.pdf repaired.pdf"


@dataclass
class _Line:
    page: int
    y: float | None = None
    chars: Counter[tuple[float, bool]] = field(default_factory=Counter)  # (size, bold)
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.parts).strip()

    @property
    def size(self) -> float:
        return self.chars.most_common(1)[0][0][0] if self.chars else 0.0

    @property
    def bold(self) -> bool:
        return bool(self.chars) and self.chars.most_common(1)[0][0][1]


def load_pdf(data: bytes, source: str) -> LoadedDocument:
    """PDF → blocks with 1-based page numbers; headings found by font size."""
    reader = _open(data, source)
    try:
        page_count = len(reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError) as err:
        raise IngestError(f"PDF is damaged (page tree unreadable: {err}); {_REPAIR_HINT}") from err
    lines: list[_Line] = []
    failed: list[int] = []
    for number, page in enumerate(reader.pages, start=1):
        try:
            lines.extend(_page_lines(page, number))
        except Exception as err:  # pypdf raises many types on damaged content streams
            logging.getLogger(__name__).warning("%s: page %d unreadable: %s", source, number, err)
            failed.append(number)
    if page_count and len(failed) == page_count:
        raise IngestError(f"PDF is damaged (no page could be read); {_REPAIR_HINT}")
    if not any(line.text for line in lines):
        raise IngestError(
            "PDF has no text layer (scanned images?); OCR is not available — run OCR first, "
            "e.g. ocrmypdf in.pdf out.pdf, or load a text version of the document"
        )
    blocks = _blocks([line for line in lines if line.text])
    metadata = {"skipped_pages": ", ".join(map(str, failed))} if failed else {}
    return LoadedDocument(
        source=source,
        title=_title(reader, blocks),
        blocks=blocks,
        format="pdf",
        page_count=page_count,
        metadata=metadata,
    )


def _open(data: bytes, source: str) -> PdfReader:
    head = data[:1024]
    if b"%PDF-" not in head:
        raise IngestError(
            f"not a PDF file (no %PDF header; starts with {data[:8]!r}): "
            "check the file type or re-download it"
        )
    try:
        reader = PdfReader(io.BytesIO(data))
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError) as err:
        reason = "truncated: end of file missing" if b"%%EOF" not in data[-2048:] else str(err)
        raise IngestError(f"PDF is damaged ({reason}); {_REPAIR_HINT}") from err
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except (DependencyError, NotImplementedError) as err:
            raise IngestError(
                f"PDF is encrypted with an unsupported scheme ({err}); {_DECRYPT_HINT}"
            ) from err
        except (PdfReadError, FileNotDecryptedError):
            opened = PasswordType.NOT_DECRYPTED
        if not opened:  # a user password: the text cannot be read without it
            raise IngestError(
                "encrypted PDF: a password is needed to read it. The PDF is encrypted with a"
                f" user password: {_DECRYPT_HINT}"
            )
    return reader


def _page_lines(page: object, number: int) -> list[_Line]:
    lines = [_Line(number)]

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if not text:
            return
        # Effective size and position: the text matrix scaled by the current matrix.
        scale = abs(tm[3] * cm[3]) or abs(tm[0] * cm[0]) or 1.0
        effective = round(float(size) * scale * 2) / 2
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        bold = _is_bold(font)
        pieces = text.split("\n")
        for i, piece in enumerate(pieces):
            if i:
                lines.append(_Line(number))
            if piece.strip():
                line = lines[-1]
                if line.y is None:
                    line.y = y
                line.chars[(effective, bold)] += len(piece.strip())
            if piece:
                lines[-1].parts.append(piece)

    page.extract_text(visitor_text=visit)  # type: ignore[attr-defined]
    return lines


def _is_bold(font: object) -> bool:
    try:
        name = str(font.get("/BaseFont", ""))  # type: ignore[attr-defined]
    except AttributeError:
        return False
    return any(mark in name.lower() for mark in ("bold", "black", "heavy", "semibold"))


def _blocks(lines: list[_Line]) -> list[Block]:
    chars: Counter[float] = Counter()
    for line in lines:
        chars[line.size] += len(line.text)
    body = chars.most_common(1)[0][0]
    heading_sizes = sorted(
        {ln.size for ln in lines if ln.size >= body * _HEADING_RATIO and len(ln.text) <= 200},
        reverse=True,
    )
    levels = {size: min(rank, 6) for rank, size in enumerate(heading_sizes, start=1)}
    leading = _leading(lines)
    blocks: list[Block] = []
    group: list[_Line] = []
    for line in lines:
        toc = _TOC_LINE.match(line.text)
        bullet = _BULLET.match(line.text) is not None
        if group and (toc or bullet or _breaks(group[-1], line, levels, leading)):
            blocks.append(_block(group, levels))
            group = []
        if toc:
            chapter = line.bold or line.size in levels
            blocks.append(
                Block(
                    BlockKind.TOC_ENTRY,
                    toc.group("title"),
                    page=line.page,
                    toc_level=1 if chapter else 3,
                    toc_page=int(toc.group("page")),
                )
            )
            continue
        group.append(line)
    if group:
        blocks.append(_block(group, levels))
    return blocks


def _leading(lines: list[_Line]) -> dict[float, float]:
    """Typical distance between consecutive lines of each font size."""
    gaps: dict[float, list[float]] = {}
    for prev, line in itertools.pairwise(lines):
        if prev.page == line.page and prev.size == line.size and prev.y and line.y:
            gap = prev.y - line.y
            if 0 < gap < 2.5 * line.size:
                gaps.setdefault(line.size, []).append(gap)
    return {size: statistics.median(values) for size, values in gaps.items()}


def _breaks(
    prev: _Line, line: _Line, levels: dict[float, int], leading: dict[float, float]
) -> bool:
    if prev.page != line.page or prev.size != line.size or prev.bold != line.bold:
        return True
    if prev.y is None or line.y is None:
        return False
    gap = prev.y - line.y
    normal = leading.get(line.size, line.size * 1.2)
    if gap <= 0 or gap > normal * 1.4 + 0.5:
        return True  # new column, or a blank line between paragraphs
    heading = line.size in levels
    return heading and len(prev.text) + len(line.text) > _MAX_HEADING_CHARS


def _block(group: list[_Line], levels: dict[float, int]) -> Block:
    text = "\n".join(line.text for line in group)
    first = group[0]
    links = bare_urls(text)
    if first.size in levels and len(text) <= _MAX_HEADING_CHARS * 2:
        return Block(BlockKind.HEADING, text, level=levels[first.size], page=first.page)
    emphasis = "bold" if all(line.bold for line in group) and len(text) <= 150 else ""
    bullet = _BULLET.match(text)
    kind = BlockKind.LIST_ITEM if bullet else BlockKind.PARAGRAPH
    text = text[bullet.end() :] if bullet else text
    return Block(kind, text, page=first.page, links=links, emphasis=emphasis)


def _title(reader: PdfReader, blocks: list[Block]) -> str:
    try:
        metadata = reader.metadata
        meta_title = str(metadata.get("/Title") or "").strip() if metadata is not None else ""
    except (PyPdfError, ValueError, KeyError, TypeError):
        meta_title = ""
    junk = meta_title.lower().startswith(_JUNK_TITLES) or meta_title.lower().endswith(
        (".pdf", ".doc", ".docx", ".indd", ".qxd", ".ppt", ".pptx")
    )
    if meta_title and not junk:
        return meta_title
    headings = [b for b in blocks if b.kind == BlockKind.HEADING]
    if headings:
        top = min(b.level for b in headings)
        return next(b.text for b in headings if b.level == top)
    return blocks[0].text.split("\n", 1)[0][:200]
