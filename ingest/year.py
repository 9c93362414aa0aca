"""The publication year, as the document states it on its title page or colophon.

Only places where a publication speaks about itself are read: the text before the first
chapter (title page, colophon), sections marked as front matter, and for paged documents
the first two and the last page. There a year counts when something names it as the
publication's: "© 2023", "Udgivet juni 2023", "Udgivelsesår: 2023", "1. udgave 2023", a
dated line ("juni 2023") or a year beside an ISBN. A year in running text ("I 2013
udgjorde …") is never taken. A year in ``sources.toml`` wins over all of this.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .model import Block
from .roles import ABOUT_PUBLISHER, FRONT_MATTER
from .structure import StructuredDocument

_YEAR = r"((?:19|20)\d{2})(?![\d-])"
_MONTHS = "januar|februar|marts|april|maj|juni|juli|august|september|oktober|november|december"
# Tiers, strongest first: the year of the first tier that finds one wins.
_LABELLED = re.compile(
    r"(?:©|\(c\)|\bcopyright\b|\budgivet\b|\budgivelsesår\b|\budgivelsesdato\b|\budgivelse\b"
    r"|\budgivet af\b|\bpubliceret\b|\btrykt\b|\budgave\b|\boplag\b)"
    r"[^\n\d]{0,60}?(?:\d{1,2}\.\s*(?:" + _MONTHS + r")\s+)?" + _YEAR,
    re.IGNORECASE,
)
_DATED = re.compile(r"(?<![\w-])(?:" + _MONTHS + r")\s+" + _YEAR, re.IGNORECASE)
_ISBN = re.compile(r"\bISBN\b", re.IGNORECASE)
_BARE = re.compile(r"(?<![\d-])" + _YEAR)
_EDGE_PAGES = 2
_DATE_LINE_WORDS = 6


def publication_year(structure: StructuredDocument, page_count: int | None = None) -> int | None:
    """The year the document names as its own, or None."""
    return year_in(_self_describing(structure, page_count))


def year_in(blocks: Iterable[Block]) -> int | None:
    """The newest labelled year in ``blocks``; failing that a dated line, then a year
    standing beside an ISBN."""
    texts = [b.text for b in blocks]
    labelled = [int(m.group(1)) for t in texts for m in _LABELLED.finditer(t)]
    if labelled:
        return max(labelled)
    # A date line ("Juni 2023", "København, juni 2023") stands alone; a month in a
    # sentence ("I maj 2023 afholdt …") dates an event, not the publication.
    lines = [t for t in texts if len(t.split()) <= _DATE_LINE_WORDS]
    dated = [int(m.group(1)) for t in lines for m in _DATED.finditer(t)]
    if dated:
        return max(dated)
    isbn = [int(m.group(1)) for t in texts if _ISBN.search(t) for m in _BARE.finditer(t)]
    return max(isbn) if isbn else None


def _self_describing(structure: StructuredDocument, page_count: int | None) -> list[Block]:
    """Blocks of the title page, the colophon and other front matter, in reading order."""
    wanted: set[int] = set(structure.sections[0].blocks)
    for section in structure.sections[1:]:
        if section.excluded in (FRONT_MATTER, ABOUT_PUBLISHER):
            wanted.update(section.blocks)
    if page_count:
        edges = set(range(1, _EDGE_PAGES + 1)) | {page_count}
        wanted.update(i for i, b in enumerate(structure.blocks) if b.page in edges)
    return [structure.blocks[i] for i in sorted(wanted)]
