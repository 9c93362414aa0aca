"""Source references ("kildeangivelse") for hits, cases and documents: the one place the
citation rule lives.

A publisher's rights note may prescribe the reference to quote, e.g. AlmenNet's "Eftertryk
i uddrag tilladt, men kun med kildeangivelsen: AlmenNet: Værdiskabende gentagelser (2023)".
When the note (``rights`` in the document's metadata, from ``corpus/sources.toml``) names a
reference after "kildeangivelse(n):" and that reference names the document's title, it is
used word for word. Otherwise the reference is built from the metadata as
``<publisher>: <title>, <edition> (<year>)``; the edition only when another edition of the
publication exists (``supersedes`` / ``superseded_by``), and parts the document lacks are
left out, down to the bare title. A web page (an HTML document with a web address) adds
its address, since it has no pages. The pages of the passage or case follow as
``s. 16`` or ``s. 16–18``, and everything is prefixed with ``Kilde: ``.
"""

from __future__ import annotations

import re

from .catalog import WEB_SCHEMES, CaseInfo, DocumentInfo, PassageInfo

PREFIX = "Kilde: "
MAX_PRESCRIBED = 300  # characters; a longer "reference" is prose, not a reference

_PRESCRIBED = re.compile(r"kildeangivelse(?:n|r)?\s*:\s*(?P<form>[^\n]+)", re.IGNORECASE)


def prescribed_reference(rights: object, title: str) -> str | None:
    """The reference a rights note prescribes, if it has one that names ``title``."""
    if not isinstance(rights, str):
        return None
    found = _PRESCRIBED.search(rights)
    if found is None:
        return None
    form = found.group("form").strip().rstrip(".").strip().strip("\"'»«“”").strip()
    if not form or len(form) > MAX_PRESCRIBED or title.casefold() not in form.casefold():
        return None
    return form


def pages_text(start: int | None, end: int | None = None) -> str | None:
    """``s. 16`` or ``s. 16–18``; None without a page."""
    if start is None:
        return None
    if end is None or end <= start:
        return f"s. {start}"
    return f"s. {start}–{end}"


def _web_page_url(doc: DocumentInfo) -> str | None:
    url = (doc.source_url or "").strip()
    if doc.format == "html" and url.lower().startswith(WEB_SCHEMES):
        return url
    return None


def _built_reference(doc: DocumentInfo) -> str:
    title = doc.title.strip() or doc.id
    edition = doc.metadata.get("edition")
    has_editions = bool(doc.superseded_by or doc.metadata.get("supersedes"))
    if isinstance(edition, str) and edition.strip() and has_editions:
        title = f"{title}, {edition.strip()}"
    publisher = (doc.publisher or "").strip()
    reference = f"{publisher}: {title}" if publisher else title
    return f"{reference} ({doc.year})" if doc.year else reference


def document_reference(doc: DocumentInfo) -> str:
    """The document's reference without prefix or pages."""
    reference = prescribed_reference(doc.metadata.get("rights"), doc.title)
    if reference is None:
        reference = _built_reference(doc)
        url = _web_page_url(doc)
        if url:
            reference = f"{reference}, {url}"
    return reference


def citation(doc: DocumentInfo, page_start: int | None = None, page_end: int | None = None) -> str:
    """``Kilde: <reference>[, s. <pages>]`` for the document and an optional page range."""
    pages = pages_text(page_start, page_end)
    reference = document_reference(doc)
    return f"{PREFIX}{reference}, {pages}" if pages else f"{PREFIX}{reference}"


def passage_citation(doc: DocumentInfo, passage: PassageInfo) -> str:
    return citation(doc, passage.page_start, passage.page_end)


def case_citation(doc: DocumentInfo, case: CaseInfo) -> str:
    return citation(doc, case.page_start, case.page_end)
