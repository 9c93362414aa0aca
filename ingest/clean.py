"""Format-independent cleaning of a loaded document.

Order matters: running headers/footers are found per source line, so they go before
lines are joined; credits are split on line breaks, so they go before whitespace is
collapsed.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import replace

from .model import Block, BlockKind, Link, LoadedDocument

# Danish words that follow a suspended compound ("klima- og miljø"): keep the hyphen.
_CONJUNCTIONS = {"og", "eller", "samt", "til", "som", "men", "and", "or", "to"}
_BROKEN_WORD = re.compile(r"(?<=[^\W\d_])-[ \t]*\n[ \t]*(?=(?P<next>[^\W\d_][\w]*))")
_SOFT_HYPHEN = "\u00ad"
_PAGE_NUMBER = re.compile(
    r"^[\s\-–—|·•]*(?:(?:side|page|s\.)\s*)?(?P<n>\d{1,4})(?:\s*(?:/|af|of)\s*\d{1,4})?[\s\-–—|·•]*$",
    re.IGNORECASE,
)
# A credit starts a line or a sentence: "… Nord. Foto: KAB", "(Foto: X)", "Kilde: foto Y".
_CREDIT = re.compile(
    r"(?:(?<=^)|(?<=\n)|(?<=[.!?:)\]»”\"]\s)|(?<=\())\s*"
    r"(?P<credit>(?:Fotos?|Fotograf|Grafik|Illustration(?:er)?|Tegning|Ill\.)\s*:"
    r"|Kilde\s*:\s*(?:foto|grafik|illustration)\b\s*:?)",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÆØÅ])")
_URL_THEN_PAGE = re.compile(r"((?:https?://|www\.)\S+)\s+\d{1,3}$")
_EDGE_NUMBERS = (re.compile(r"^(\d{1,4})\b"), re.compile(r"\b(\d{1,4})$"))
_ROMAN_PAGE = re.compile(r"^\s*[ivxlc]{1,6}\s*$", re.IGNORECASE)
_CREDIT_KINDS = (BlockKind.PARAGRAPH, BlockKind.LIST_ITEM, BlockKind.QUOTE, BlockKind.CAPTION)
_SHORT_CAPTION = 250  # characters left after removing the credit
_EDGE_LINES = 2  # lines at the top and bottom of a page that may be running headers
# Control characters that are not whitespace (NUL, escape codes, C1 controls) become spaces;
# zero-width characters (space, word joiner, a byte-order mark inside the text) go. The soft
# hyphen stays until dehyphenate, which needs it to join a word broken across lines.
_INVISIBLE = {
    **{cp: " " for cp in (*range(0x20), *range(0x7F, 0xA0)) if not chr(cp).isspace()},
    **dict.fromkeys(map(ord, "\u200b\u2060\ufeff"), None),
}


def clean_document(doc: LoadedDocument) -> LoadedDocument:
    """Return a cleaned copy: NFC without control characters, no running headers/footers
    or page numbers, de-hyphenated, credits moved into CAPTION blocks, whitespace
    collapsed."""
    blocks = [_normalized(b) for b in doc.blocks]
    blocks = drop_running_lines(blocks)
    blocks = _join_across_pages(blocks)
    cleaned: list[Block] = []
    for block in blocks:
        block = replace(block, text=dehyphenate(block.text))
        for part in split_credit(block):
            text = _URL_THEN_PAGE.sub(r"\1", collapse_whitespace(part.text))
            if text and not _is_page_number(part, text, doc.page_count):
                cleaned.append(replace(part, text=text))
    title = collapse_whitespace(_visible(doc.title))
    return replace(doc, title=title, blocks=cleaned)


def collapse_whitespace(text: str) -> str:
    return " ".join(text.split())


def dehyphenate(text: str) -> str:
    """Join words broken across lines ("boligorganisa-\\ntion"). Keeps the hyphen of a
    suspended compound ("klima-\\nog miljø") and before a capital ("Nord-\\nJylland")."""
    text = text.replace(_SOFT_HYPHEN + "\n", "").replace(_SOFT_HYPHEN, "")

    def join(match: re.Match[str]) -> str:
        nxt = match.group("next")
        if nxt[0].isupper():
            return "-"
        if nxt.lower() in _CONJUNCTIONS:
            return "- "
        return ""

    return _BROKEN_WORD.sub(join, text)


def _visible(text: str) -> str:
    """NFC, without control or zero-width characters (see :data:`_INVISIBLE`)."""
    return unicodedata.normalize("NFC", text.translate(_INVISIBLE))


def _normalized(block: Block) -> Block:
    links = [Link(link.url, _visible(link.text)) for link in block.links]
    return replace(block, text=_visible(block.text), links=links, credit=_visible(block.credit))


# --- running headers and footers -------------------------------------------------


def _line_key(line: str) -> str:
    return re.sub(r"\d+", "#", " ".join(line.lower().split()))


def drop_running_lines(blocks: list[Block]) -> list[Block]:
    """Remove lines that repeat at the top or bottom of most pages (numbers ignored),
    and bare page numbers there. Only applies to paged sources."""
    pages: dict[int, list[tuple[int, int]]] = defaultdict(list)  # page → (block, line)
    lines = [b.text.split("\n") for b in blocks]
    for bi, block in enumerate(blocks):
        if block.page is not None:
            pages[block.page].extend((bi, li) for li in range(len(lines[bi])))
    if len(pages) < 2:
        return blocks
    edges = {
        page: positions[:_EDGE_LINES] + positions[-_EDGE_LINES:]
        for page, positions in pages.items()
    }
    seen: dict[str, dict[int, str]] = defaultdict(dict)  # key → page → line
    for page, positions in edges.items():
        for bi, li in positions:
            key = _line_key(lines[bi][li])
            if key and len(key) <= 120:
                seen[key][page] = lines[bi][li]
    needed = max(2, math.ceil(0.4 * len(pages)))
    running = {key for key, on in seen.items() if len(on) >= needed and _repeats(on)}
    offset = _printed_page_offset(edges, lines)
    drop: set[tuple[int, int]] = set()
    for page, positions in edges.items():
        for bi, li in positions:
            line = lines[bi][li]
            numbered = offset is not None and blocks[bi].kind == BlockKind.PARAGRAPH
            if (
                _line_key(line) in running
                or _PAGE_NUMBER.match(line)
                or _ROMAN_PAGE.match(line)
                or (numbered and page + offset in _edge_numbers(line))  # type: ignore[operator]
            ):
                drop.add((bi, li))
    result = []
    for bi, block in enumerate(blocks):
        kept = [ln for li, ln in enumerate(lines[bi]) if (bi, li) not in drop]
        if any(ln.strip() for ln in kept):
            result.append(replace(block, text="\n".join(kept)))
    return result


def _repeats(on_pages: dict[int, str]) -> bool:
    """The same line on every page, or one whose number follows the page number
    ("side 3", "side 4" …), not "Case 1" / "Case 2" headings that happen to top pages."""
    if len({" ".join(line.split()).lower() for line in on_pages.values()}) == 1:
        return True
    offsets: Counter[int] = Counter()
    for page, line in on_pages.items():
        offsets.update({int(n) - page for n in re.findall(r"\d+", line)})
    return bool(offsets) and offsets.most_common(1)[0][1] >= 0.8 * len(on_pages)


def _edge_numbers(line: str) -> set[int]:
    """Numbers at the start or end of a short line ("3 Utilities 6" → {3, 6})."""
    if len(line) > 100:
        return set()
    found = (pattern.search(line.strip()) for pattern in _EDGE_NUMBERS)
    return {int(match.group(1)) for match in found if match}


def _printed_page_offset(
    edges: dict[int, list[tuple[int, int]]], lines: list[list[str]]
) -> int | None:
    """The usual difference between printed page numbers and PDF page indexes, when
    page numbers appear at a page edge on enough pages (cover pages shift it)."""
    offsets: Counter[int] = Counter()
    for page, positions in edges.items():
        found = set()
        for bi, li in positions:
            found |= {n - page for n in _edge_numbers(lines[bi][li])}
        offsets.update(found)
    if not offsets:
        return None
    offset, count = offsets.most_common(1)[0]
    return offset if count >= max(3, 0.3 * len(edges)) else None


def _join_across_pages(blocks: list[Block]) -> list[Block]:
    """A paragraph cut by a page break continues in lower case on the next page."""
    result: list[Block] = []
    for block in blocks:
        prev = result[-1] if result else None
        if (
            prev is not None
            and prev.kind == block.kind == BlockKind.PARAGRAPH
            and prev.page is not None
            and block.page is not None
            and block.page > prev.page
            and not prev.text.rstrip().endswith((".", "!", "?", ":", '"', "”"))
            and block.text.lstrip()[:1].islower()
        ):
            text = prev.text + "\n" + block.text
            result[-1] = replace(prev, text=text, links=prev.links + block.links)
            continue
        result.append(block)
    return result


def _is_page_number(block: Block, text: str, page_count: int | None) -> bool:
    if block.kind != BlockKind.PARAGRAPH:
        return False
    match = _PAGE_NUMBER.match(text)
    if not match:
        return False
    number = int(match.group("n"))
    return number <= page_count + 10 if page_count else number < 1000


# --- photo and graphics credits ----------------------------------------------------


def split_credit(block: Block) -> list[Block]:
    """Move "Foto: …"-style credits out of body text.

    A short block with a credit becomes a CAPTION whose ``credit`` holds it; a long
    paragraph keeps its text and the credit becomes a CAPTION block of its own.
    """
    if block.kind not in _CREDIT_KINDS:
        return [block]
    text, credits = _extract_credits(block.text)
    if not credits:
        return [block]
    credit = "; ".join(credits)
    rest = collapse_whitespace(text)
    if len(rest) <= _SHORT_CAPTION or block.kind == BlockKind.CAPTION:
        joined = "; ".join(c for c in (block.credit, credit) if c)
        return [replace(block, kind=BlockKind.CAPTION, text=rest or credit, credit=joined)]
    caption = Block(BlockKind.CAPTION, credit, page=block.page, credit=credit)
    return [replace(block, text=text), caption]


def _extract_credits(text: str) -> tuple[str, list[str]]:
    credits: list[str] = []
    while match := _CREDIT.search(text):
        start = match.start("credit")
        opened = start > 0 and text[start - 1] == "("
        close = text.find(")", start) if opened else -1
        line_end = text.find("\n", start)
        end = close if close >= 0 else (len(text) if line_end < 0 else line_end)
        credit = text[start:end]
        if len(credit) > 80:  # credit followed by body text on the same line
            sentence_end = _SENTENCE_END.search(credit)
            if sentence_end:
                credit = credit[: sentence_end.start()]
                end = start + len(credit)
        before = text[: start - 1] if close >= 0 else text[:start]
        end = end + 1 if close >= 0 else end
        credits.append(collapse_whitespace(credit).rstrip(" ;,."))
        text = before.rstrip(" \t") + text[end:]
    return text.strip(), [c for c in credits if c]
