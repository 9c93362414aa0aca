"""Markdown loader: walks the markdown-it token stream into blocks.

Structure (headings, lists, quotes, tables) comes from the token stream; regexes are
only used inside a single line (TOC entries, bare URLs, credit lines, inline HTML tags).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import lxml.html
from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..errors import IngestError
from ..model import Block, BlockKind, Link, LoadedDocument
from .text import decode_text

QUOTE_MARKS = ("»", "«", "“", "”", '"', "„")
CREDIT_START = re.compile(r"^\s*(?:Foto|Fotos|Grafik|Illustration|Ill\.)\s*:", re.IGNORECASE)
BARE_URL = re.compile(r"(?:https?://|www\.)[^\s<>\[\]\"]+", re.IGNORECASE)
_TOC_LINE = re.compile(r"^(?P<title>\S.*?)(?:\t+|\s*\.{3,})\s*(?P<page>\d{1,4})\s*$")
_HTML_TAG = re.compile(r"^<\s*(?P<close>/)?\s*(?P<name>[a-zA-Z0-9]+)(?P<attrs>[^>]*)>$")
_HREF = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<body>.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_TRAILING_PUNCT = ".,;:!?'\")»"


@dataclass
class _Seg:
    text: str
    bold: bool = False
    italic: bool = False
    href: str | None = None


@dataclass
class _Line:
    segs: list[_Seg] = field(default_factory=list)
    hard_break_before: bool = False

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segs)


@dataclass
class _Style:
    bold: int = 0
    italic: int = 0
    href: str | None = None


def load_markdown(data: bytes, source: str) -> LoadedDocument:
    """Markdown → blocks. Title: front-matter title, else first H1, else first line."""
    text = decode_text(data)
    metadata: dict[str, str] = {}
    front = _FRONT_MATTER.match(text)
    if front:
        metadata = _parse_front_matter(front.group("body"))
        text = text[front.end() :]
    md = MarkdownIt("commonmark").enable("table")
    blocks = _blocks(md.parse(text))
    if not blocks:
        raise IngestError("no readable text in the Markdown file (only markup or comments?)")
    title = metadata.get("title") or next(
        (b.text for b in blocks if b.kind == BlockKind.HEADING and b.level == 1), ""
    )
    if not title:
        title = blocks[0].text.split("\n", 1)[0].strip()[:200]
    return LoadedDocument(
        source=source, title=title.strip(), blocks=blocks, format="md", metadata=metadata
    )


def _parse_front_matter(body: str) -> dict[str, str]:
    meta: dict[str, str] = {}
    for line in body.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and not key.startswith((" ", "\t", "-")):
            meta[key.strip().lower()] = value.strip().strip("\"'")
    return meta


def _blocks(tokens: list[Token]) -> list[Block]:
    blocks: list[Block] = []
    containers: list[str] = []  # open list items / blockquotes, innermost last
    row: list[str] = []
    opener: Token | None = None
    for token in tokens:
        kind = token.type
        if kind in ("list_item_open", "blockquote_open"):
            containers.append(kind)
        elif kind in ("list_item_close", "blockquote_close"):
            containers.pop()
        elif kind in ("heading_open", "paragraph_open", "th_open", "td_open"):
            opener = token
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and any(row):
            blocks.append(Block(BlockKind.PARAGRAPH, " | ".join(c for c in row if c)))
        elif kind == "inline" and opener is not None:
            lines = _inline_lines(token.children or [])
            if opener.type in ("th_open", "td_open"):
                row.append(" ".join(line.text.strip() for line in lines))
            elif opener.type == "heading_open":
                blocks.append(_heading(lines, int(opener.tag[1:])))
            else:
                blocks.extend(_paragraph(lines, _container_kind(containers)))
        elif kind in ("fence", "code_block") and token.content.strip():
            blocks.append(Block(_container_kind(containers), token.content.rstrip("\n")))
        elif kind == "html_block":
            blocks.extend(_html_block(token.content, _container_kind(containers)))
    return [b for b in blocks if b.text.strip()]


def _container_kind(containers: list[str]) -> BlockKind:
    if "blockquote_open" in containers:
        return BlockKind.QUOTE
    if "list_item_open" in containers:
        return BlockKind.LIST_ITEM
    return BlockKind.PARAGRAPH


def _inline_lines(children: list[Token]) -> list[_Line]:
    """Split inline tokens into source lines of styled segments."""
    lines = [_Line()]
    style = _Style()
    for tok in children:
        kind = tok.type
        if kind in ("text", "code_inline"):
            lines[-1].segs.append(_Seg(tok.content, style.bold > 0, style.italic > 0, style.href))
        elif kind in ("softbreak", "hardbreak"):
            lines.append(_Line(hard_break_before=kind == "hardbreak"))
        elif kind in ("strong_open", "strong_close"):
            style.bold += 1 if kind == "strong_open" else -1
        elif kind in ("em_open", "em_close"):
            style.italic += 1 if kind == "em_open" else -1
        elif kind == "link_open":
            style.href = str(tok.attrs.get("href", ""))
        elif kind == "link_close":
            style.href = None
        elif kind == "html_inline" and _apply_html_tag(tok.content, style):
            lines.append(_Line(hard_break_before=True))
    return lines


def _apply_html_tag(tag: str, style: _Style) -> bool:
    """Track <b>/<i>/<a> from inline HTML; returns True for a <br>."""
    match = _HTML_TAG.match(tag.strip())
    if not match:
        return False
    name, step = match.group("name").lower(), -1 if match.group("close") else 1
    if name in ("b", "strong"):
        style.bold = max(0, style.bold + step)
    elif name in ("i", "em"):
        style.italic = max(0, style.italic + step)
    elif name == "a":
        href = _HREF.search(match.group("attrs"))
        style.href = next((g for g in href.groups() if g is not None), "") if href else None
        if step < 0:
            style.href = None
    return name == "br"


def _emphasis(lines: list[_Line]) -> str:
    """'bold' / 'italic' when every visible character is in that style."""
    visible = [s for line in lines for s in line.segs if s.text.strip()]
    if not visible:
        return ""
    if all(s.bold for s in visible):
        return "bold"
    if all(s.italic for s in visible):
        return "italic"
    return ""


def _links(lines: list[_Line]) -> list[Link]:
    links: list[Link] = []
    segs = [s for line in lines for s in line.segs]
    i = 0
    while i < len(segs):
        seg = segs[i]
        if seg.href is not None:
            j = i
            while j < len(segs) and segs[j].href == seg.href:
                j += 1
            text = "".join(s.text for s in segs[i:j]).strip()
            if _useful_href(seg.href):
                links.append(Link(seg.href, text))
            i = j
            continue
        links.extend(bare_urls(seg.text))
        i += 1
    return list(dict.fromkeys(links))


def bare_urls(text: str) -> list[Link]:
    """Links for URLs written as plain text ("www.x.dk", "https://…")."""
    links = []
    for match in BARE_URL.finditer(text):
        shown = match.group(0).rstrip(_TRAILING_PUNCT)
        url = shown if "://" in shown else "http://" + shown
        links.append(Link(url, shown))
    return links


def _useful_href(href: str) -> bool:
    return bool(href) and not href.startswith(("#", "javascript:"))


def _join(lines: list[_Line]) -> str:
    """Soft breaks stay "\\n" (cleaning may de-hyphenate); hard breaks become spaces,
    except before a credit line ("Foto: …"), which cleaning must be able to split off."""
    parts: list[str] = []
    for n, line in enumerate(lines):
        text = line.text.strip()
        if n and parts:
            keep = not line.hard_break_before or CREDIT_START.match(text)
            parts.append("\n" if keep else " ")
        parts.append(text)
    return "".join(parts).strip()


def _heading(lines: list[_Line], level: int) -> Block:
    text = " ".join(line.text.strip() for line in lines).strip()
    emphasis, links = _emphasis(lines), _links(lines)
    if text.startswith(QUOTE_MARKS):
        # A pull quote set as a heading in the layout: it is not part of the outline.
        return Block(BlockKind.QUOTE, text, links=links, emphasis=emphasis)
    return Block(BlockKind.HEADING, text, level=level, links=links, emphasis=emphasis)


def _paragraph(lines: list[_Line], kind: BlockKind) -> list[Block]:
    if kind == BlockKind.PARAGRAPH:
        toc = _toc_entries(lines)
        if toc:
            return toc
    return [Block(kind, _join(lines), links=_links(lines), emphasis=_emphasis(lines))]


def _toc_entries(lines: list[_Line]) -> list[Block] | None:
    """A run of "Title<TAB>page" lines (with italic group labels) → TOC_ENTRY blocks."""
    entries: list[Block] = []
    for line in lines:
        raw = line.text.strip(" ")
        if not raw.strip():
            continue
        match = _TOC_LINE.match(raw)
        style = _emphasis([line])
        if match:
            level = 1 if style == "bold" else 3
            entries.append(
                Block(
                    BlockKind.TOC_ENTRY,
                    match.group("title").strip(),
                    toc_level=level,
                    toc_page=int(match.group("page")),
                )
            )
        elif style == "italic":
            entries.append(Block(BlockKind.TOC_ENTRY, raw.strip(), toc_level=2))
        else:
            return None
    if not any(e.toc_level != 2 for e in entries):
        return None
    return entries


def _html_block(content: str, kind: BlockKind) -> list[Block]:
    if content.lstrip().startswith("<!--"):
        return []
    try:
        fragments = lxml.html.fragments_fromstring(content)
    except Exception:  # lxml raises several types on odd fragments; skip the markup
        return []
    blocks = []
    for frag in fragments:
        text = frag if isinstance(frag, str) else frag.text_content()
        if text.strip():
            blocks.append(Block(kind, " ".join(text.split())))
    return blocks
