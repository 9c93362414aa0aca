"""HTML loader: lxml DOM walk for structure, trafilatura to tell content from boilerplate.

Pages with a semantic content container (<main>, role=main, a single <article>) and
small pages are walked directly after dropping noise elements. On larger pages without
such a container, trafilatura decides which blocks are main content: a walked block is
kept when trafilatura's extraction contains its text. trafilatura alone is not used for
structure because it drops headings and links on many pages (e.g. LibreOffice help).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import urljoin

import lxml.etree
import lxml.html
import trafilatura

from ..errors import IngestError
from ..model import Block, BlockKind, Link, LoadedDocument
from .text import decode_text

MAX_DEPTH = 2048  # element nesting libxml2 parses with XML_PARSE_HUGE (255 without)
_NOISE_TAGS = {
    "script", "style", "noscript", "template", "nav", "button", "input", "select", "textarea",
    "label", "iframe", "svg", "canvas", "object", "embed", "dialog", "menu", "head",
}  # fmt: skip
_NOISE_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "dialog"}
_NOISE_CLASS = re.compile(
    r"(?:^|[\s_-])(?:cookie|consent|breadcrumbs?|navbar|sidebar|share|sharing|social|"
    r"newsletter|skip-?link|advert|ads|gdpr|popup|modal|menu|widget-area|site-header|"
    r"masthead|footer|colophon)(?:$|[\s_-])",
    re.IGNORECASE,
)
_CONTAINERS = {"div", "section", "ul", "ol", "aside", "p", "span"}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "li", "ul", "ol", "blockquote", "figure",
    "figcaption", "table", "thead", "tbody", "tfoot", "tr", "pre", "dl", "dt", "dd", "hr",
    "address", "center", "fieldset", "details", "summary", "caption", "body", "header",
    "footer", "aside", *_HEADINGS,
}  # fmt: skip
_CELLS = {"td", "th"}
_SMALL_PAGE_CHARS = 2000
_NOISY_LINK_SHARE = 0.3
_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w-]+)", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")


@dataclass
class _Buffer:
    parts: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    chars: int = 0
    bold: int = 0
    italic: int = 0


class _Walker:
    """Turns a DOM subtree into blocks: block elements flush, inline elements append."""

    def __init__(self, base: str | None) -> None:
        self.base = base
        self.blocks: list[Block] = []
        self.buf = _Buffer()
        self.kinds: list[tuple[BlockKind, int]] = []  # innermost block context last
        self.bold = 0
        self.italic = 0
        self.row = 0  # inside a table row, block elements behave inline

    def walk(self, root: lxml.html.HtmlElement) -> None:
        """Walk ``root`` with a stack of pending steps instead of recursion, so a page
        nested thousands of levels deep (unclosed <div>s from a broken template) is read
        whole rather than hitting Python's recursion limit."""
        steps: list[Callable[[], None]] = [lambda: self._enter(root, steps)]
        while steps:
            steps.pop()()

    def _enter(self, el: lxml.html.HtmlElement, steps: list[Callable[[], None]]) -> None:
        """Handle ``el``'s start now and push what follows: its children, then its end."""
        tag = el.tag if isinstance(el.tag, str) else ""
        if not tag:  # comment or processing instruction: only its tail is text
            return
        tag = tag.lower()
        if tag == "br":
            self._text("\n", keep_breaks=True)
        elif tag == "tr":
            self._flush()
            self.row += 1
            steps.append(self._end_row)
            self._push_children(el, steps, cell_separator=" | ")
        elif tag in _BLOCK_TAGS and not self.row:
            self._flush()
            context = _context(tag)
            if context:
                self.kinds.append(context)
            steps.append(lambda: self._end_block(context))
            if tag == "pre":
                self._text(el.text_content(), keep_breaks=True)
            else:
                self._push_children(el, steps)
        else:
            self._inline(el, tag, steps)

    def _end_row(self) -> None:
        self.row -= 1
        self._flush()

    def _end_block(self, context: tuple[BlockKind, int] | None) -> None:
        self._flush()
        if context:
            self.kinds.pop()

    def _inline(self, el: lxml.html.HtmlElement, tag: str, steps: list[Callable[[], None]]) -> None:
        bold = tag in ("b", "strong")
        italic = tag in ("i", "em")
        self.bold += bold
        self.italic += italic
        start = len("".join(self.buf.parts))
        if tag in _CELLS or (self.row and tag in _BLOCK_TAGS):
            self._text(" ")

        def end() -> None:
            self.bold -= bold
            self.italic -= italic
            if tag == "a" and el.get("href"):
                text = " ".join("".join(self.buf.parts)[start:].split())
                link = _link(el.get("href", ""), text, self.base)
                if link:
                    self.buf.links.append(link)

        steps.append(end)
        self._push_children(el, steps)

    def _push_children(
        self, el: lxml.html.HtmlElement, steps: list[Callable[[], None]], cell_separator: str = ""
    ) -> None:
        """Push the steps for ``el``'s text, children and their tails, last one first."""
        todo: list[Callable[[], None]] = []
        if el.text:
            todo.append(partial(self._text, el.text))
        first = True
        for child in el:
            if cell_separator and isinstance(child.tag, str) and child.tag.lower() in _CELLS:
                if not first:
                    todo.append(partial(self._text, cell_separator))
                first = False
            todo.append(partial(self._enter, child, steps))
            if child.tail:
                todo.append(partial(self._text, child.tail))
        steps.extend(reversed(todo))

    def _text(self, text: str, *, keep_breaks: bool = False) -> None:
        if not keep_breaks:  # source line breaks are just whitespace; <br> is a break
            text = text.replace("\r", " ").replace("\n", " ")
        self.buf.parts.append(text)
        visible = len(text) - text.count(" ") - text.count("\n") - text.count("\t")
        self.buf.chars += visible
        self.buf.bold += visible if self.bold else 0
        self.buf.italic += visible if self.italic else 0

    def _flush(self) -> None:
        buf, self.buf = self.buf, _Buffer()
        raw = "".join(buf.parts)
        lines = [" ".join(line.split()) for line in raw.split("\n")]
        text = "\n".join(line for line in lines if line).strip(" |")
        if not text or not buf.chars:
            return
        kind, level = self.kinds[-1] if self.kinds else (BlockKind.PARAGRAPH, 0)
        if kind == BlockKind.HEADING:
            text = " ".join(text.split())
        emphasis = ""
        if buf.bold == buf.chars:
            emphasis = "bold"
        elif buf.italic == buf.chars:
            emphasis = "italic"
        links = list(dict.fromkeys(buf.links))
        self.blocks.append(Block(kind, text, level=level, links=links, emphasis=emphasis))


def _context(tag: str) -> tuple[BlockKind, int] | None:
    if tag in _HEADINGS:
        return BlockKind.HEADING, _HEADINGS[tag]
    if tag == "li":
        return BlockKind.LIST_ITEM, 0
    if tag == "blockquote":
        return BlockKind.QUOTE, 0
    if tag in ("figcaption", "caption"):
        return BlockKind.CAPTION, 0
    return None  # <p>, <div> … keep the enclosing context: <li><p> is a list item


def _link(href: str, text: str, base: str | None) -> Link | None:
    href = href.strip()
    if not href or href.startswith(("#", "javascript:")):
        return None
    url = urljoin(base, href) if base else href
    return Link(url, text)


def load_html(data: bytes, source: str) -> LoadedDocument:
    """HTML → blocks. Title from og:title, <title> or the first <h1>."""
    root, too_deep = _parse(data, source)
    base = _base_url(root, source)
    metadata = _metadata(root)
    title = _title(root)
    _drop_noise(root)
    container, semantic = _container(root)
    walker = _Walker(base)
    walker.walk(container)
    blocks = walker.blocks
    if not semantic and _looks_noisy(blocks):
        blocks = _keep_main_content(blocks, data) or blocks
    if too_deep:  # refused rather than read in part: nobody would notice the rest missing
        raise IngestError(
            f"the HTML page nests its elements more than {MAX_DEPTH} levels deep, deeper"
            " than the HTML parser reads, so the rest of its text was not reached; save it"
            " from a browser as PDF or text"
        )
    if not any(b.text.strip() for b in blocks):
        raise IngestError(
            "no readable text in the HTML page (only scripts, navigation or "
            "markup?); if the page is rendered by JavaScript, save it from a browser "
            "after it has loaded, or use a PDF/text version"
        )
    if not title:
        title = next((b.text for b in blocks if b.kind == BlockKind.HEADING), blocks[0].text)
    return LoadedDocument(
        source=source, title=title[:300], blocks=blocks, format="html", metadata=metadata
    )


def _parse(data: bytes, source: str) -> tuple[lxml.html.HtmlElement, bool]:
    """The document, and whether the parser stopped descending at its depth limit
    (libxml2 reads :data:`MAX_DEPTH` levels; what lies deeper is not in the tree).
    ``huge_tree`` lifts libxml2's default of 255 levels, which a broken template's
    unclosed <div>s reach on a long page; the size of what is parsed is bounded before."""
    parser = lxml.html.HTMLParser(huge_tree=True)
    try:
        if _CHARSET.search(data[:4096]):
            root = lxml.html.document_fromstring(data, parser=parser)
        else:
            text = _XML_DECL.sub("", decode_text(data))
            root = lxml.html.document_fromstring(text, parser=parser)
    except (lxml.etree.ParserError, ValueError) as err:
        raise IngestError(
            f"HTML could not be parsed ({err}); check that the file really is HTML"
        ) from err
    too_deep = any(
        e.type_name == "ERR_RESOURCE_LIMIT" and "depth" in e.message for e in parser.error_log
    )
    return root, too_deep


def _base_url(root: lxml.html.HtmlElement, source: str) -> str | None:
    """Links are made absolute against <base href> and the page URL, when it is one."""
    base_href = next(iter(root.xpath("//base/@href")), None)
    page_url = source if re.match(r"^https?://", source) else None
    if page_url:
        return urljoin(page_url, base_href) if base_href else page_url
    if base_href and re.match(r"^https?://", base_href):
        return str(base_href)
    return None


def _metadata(root: lxml.html.HtmlElement) -> dict[str, str]:
    meta: dict[str, str] = {}
    keywords = root.xpath("//meta[@name='keywords' or @itemprop='keywords']/@content")
    if keywords:
        meta["keywords"] = "; ".join(dict.fromkeys(k.strip() for k in keywords if k.strip()))
    for name, key in (("description", "description"), ("og:description", "description")):
        value = root.xpath(f"//meta[@name='{name}' or @property='{name}']/@content")
        if value and value[0].strip() and key not in meta:
            meta[key] = value[0].strip()
    lang = root.get("lang")
    if lang:
        meta["language"] = lang
    return meta


def _title(root: lxml.html.HtmlElement) -> str:
    og = root.xpath("//meta[@property='og:title' or @name='og:title']/@content")
    if og and og[0].strip():
        return " ".join(og[0].split())
    h1 = next((" ".join(h.text_content().split()) for h in root.iter("h1")), "")
    title = " ".join(" ".join(root.xpath("//title//text()")).split())
    if title and h1 and h1 in title:
        return h1  # "Article | Site name" → the article's own name
    return title or h1


def _drop_noise(root: lxml.html.HtmlElement) -> None:
    """Drop comments and page chrome: by tag, role and aria-hidden first, then containers
    whose class or id names chrome, judged against the text that is left."""
    _drop([el for el in root.iter() if _is_noise(el)])
    page_chars = _visible_chars(root)
    _drop([el for el in root.iter(*_CONTAINERS) if _is_chrome_by_name(el, page_chars)])


def _drop(doomed: list[lxml.html.HtmlElement]) -> None:
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()  # keeps the tail text


def _is_noise(el: lxml.html.HtmlElement) -> bool:
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    if not tag:
        return isinstance(el, lxml.html.HtmlComment)
    return (
        (tag in ("header", "footer", "aside") and not _in_content(el))
        or tag in _NOISE_TAGS
        or el.get("role", "").lower() in _NOISE_ROLES
        or el.get("aria-hidden") == "true"
    )


def _is_chrome_by_name(el: lxml.html.HtmlElement, page_chars: int) -> bool:
    """A container whose class or id names page chrome (menu, footer, widget area …),
    unless it holds most of the page's text: a wrapper such as ``has-sidebar`` or
    ``with-footer-widgets`` holds the content itself."""
    labels = f"{el.get('class', '')} {el.get('id', '')}"
    return bool(_NOISE_CLASS.search(labels)) and _visible_chars(el) * 2 < page_chars


def _visible_chars(el: lxml.html.HtmlElement) -> int:
    return len("".join(el.text_content().split()))


def _in_content(el: lxml.html.HtmlElement) -> bool:
    """A <header> inside an <article> holds the article's heading; keep it."""
    return any(
        isinstance(a.tag, str) and a.tag.lower() in ("article", "main") for a in el.iterancestors()
    )


def _container(root: lxml.html.HtmlElement) -> tuple[lxml.html.HtmlElement, bool]:
    for query in ("//main", "//*[@role='main']"):
        found = root.xpath(query)
        if len(found) == 1:
            return found[0], True
    articles = root.xpath("//article[not(ancestor::article)]")
    if len(articles) == 1:
        return articles[0], True
    body = root.find("body")
    return (body if body is not None else root), False


def _looks_noisy(blocks: list[Block]) -> bool:
    """Boilerplate left after dropping noise elements shows up as much link text
    (menus, link lists in plain <div>s); clean pages are left to the DOM walk."""
    size = sum(len(b.text) for b in blocks)
    if size <= _SMALL_PAGE_CHARS:
        return False
    linked = sum(len(link.text) for b in blocks for link in b.links)
    return linked > _NOISY_LINK_SHARE * size


def _link_dense(block: Block) -> bool:
    return sum(len(link.text) for link in block.links) >= 0.5 * len(block.text)


def _squash(text: str) -> str:
    return "".join(text.split()).casefold()


def _keep_main_content(blocks: list[Block], data: bytes) -> list[Block] | None:
    """Drop link blocks (menus, link lists) that trafilatura does not count as content."""
    try:
        extracted = trafilatura.extract(
            data, include_tables=True, include_comments=False, favor_recall=True
        )
    except Exception:  # trafilatura has many internal failure modes; fall back to the walk
        return None
    if not extracted:
        return None
    content = _squash(extracted)
    keep = []
    for block in blocks:
        text = _squash(block.text)
        found = text in content or (text[:40] in content and text[-40:] in content)
        # Prose is never dropped: trafilatura only settles link lists and link blocks.
        keep.append(found or not _link_dense(block))
    # A heading stays when the content under it stays.
    for i, block in enumerate(blocks):
        if block.kind == BlockKind.HEADING and not keep[i]:
            for later in range(i + 1, len(blocks)):
                if blocks[later].kind == BlockKind.HEADING and blocks[later].level <= block.level:
                    break
                if keep[later] and blocks[later].kind != BlockKind.HEADING:
                    keep[i] = True
                    break
    kept = [b for b, k in zip(blocks, keep, strict=True) if k]
    return kept if kept else None
