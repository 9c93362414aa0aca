"""View models of the pages: search hits grouped into results, a case page and a
document page. Data comes from the read side (``vidensbank.search``); these functions only
shape it for the templates. No SQL here."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from ..search import browse
from ..search.catalog import Catalog, LinkInfo, document_file_url
from ..search.citation import case_citation
from ..search.facets import FACET_KINDS, Facets, same_value
from ..search.searcher import Searcher
from ..search.similar import SimilarCase, similar_cases
from ..search.types import FacetCount, Hit, Match, MatchBy, SearchResponse
from .filters import pages_label, path_parts, short_url, web_url
from .render import PLACEHOLDER_QUESTION

log = logging.getLogger(__name__)

SIMILAR_ON_RESULTS = 3  # case results whose "Lignende cases" are filled in server-side
SIMILAR_K = 5
SAME_TEXT_SHOWN = 3  # documents named under a hit whose text they repeat; the rest counted


@dataclass
class Passage:
    snippet_html: str | None  # the searcher's escaped snippet with <mark>: rendered |safe
    sentence: str | None  # plain text, autoescaped
    breadcrumb: list[str]
    page: str | None
    collapsed: int
    match_label: str | None = None  # "Matcher ordene: …" / "Matcher betydningen"
    page_href: str | None = None  # a PDF opened at the passage's page (…/file#page=N)
    same_text: list[tuple[str, str]] = field(default_factory=list)  # (title, href) shown
    same_text_more: int = 0  # further documents with the same text, counted only


@dataclass
class Group:
    """One result on the page: a case (with up to two of its passages) or a section."""

    title: str
    href: str
    breadcrumb: list[str]
    theme: str | None
    document_id: str
    document_title: str
    year: int | None
    case_id: str | None
    read_more: str | None
    passages: list[Passage] = field(default_factory=list)
    similar: list[SimilarCase] | None = None
    citation: str = ""  # "Kilde: …", plain text to copy (see search.citation)
    read_more_external: bool = False  # read_more is a case's own web link, not our page

    @property
    def pages(self) -> str | None:
        labels = [p.page for p in self.passages if p.page]
        return ", ".join(dict.fromkeys(labels)) or None

    @property
    def page_links(self) -> list[tuple[str, str | None]]:
        """Each page label once, with the link that opens the PDF there (None if none)."""
        links: dict[str, str | None] = {}
        for p in self.passages:
            if p.page and not links.get(p.page):
                links[p.page] = p.page_href
        return list(links.items())


def facet_lists(facets: Facets) -> dict[str, list[Any]]:
    """The snapshot's facets as ``{kind: [FacetValue, …]}`` (passage counts)."""
    return {kind: getattr(facets, kind) for kind in FACET_KINDS}


def query_facet_lists(response: SearchResponse) -> dict[str, list[FacetCount]]:
    """The filter menus of a results page: per kind the values of this question's results
    with the other fields' filters applied, counted as results (``facets.query_facets``).
    Values without results are left out, except selected ones (shown with 0)."""
    found = response.facets or {}
    return {kind: found.get(kind, []) for kind in FACET_KINDS}


def example_questions(facets: Facets) -> list[str]:
    themes = [t for t in facets.theme if t.cases] or facets.theme
    questions = [PLACEHOLDER_QUESTION.capitalize()]
    for theme in themes[:4]:
        questions.append(f"Hvilke erfaringer er der med {str(theme.value).lower()}?")
    return questions


# ---------------------------------------------------------------- search results


def match_label(match: Match | None) -> str | None:
    """The small Danish label that says why a hit matched."""
    if match is None:
        return None
    words = ", ".join(match.words)
    if match.by is MatchBy.BOTH and words:
        return f"Matcher ordene: {words} – og betydningen"
    if match.by is MatchBy.WORDS and words:
        return f"Matcher ordene: {words}"
    return "Matcher betydningen"


def _page_href(catalog: Catalog, hit: Hit) -> str | None:
    """A PDF hit's link to its page: the document's file (or web address) ``#page=N``."""
    doc = catalog.documents.get(hit.document.id)
    if doc is None or doc.format != "pdf" or hit.page is None:
        return None
    return f"{doc.url}#page={hit.page}"


def _passage(catalog: Catalog, hit: Hit, crumbs: list[str]) -> Passage:
    if "<mark>" not in hit.snippet and hit.best_sentence:  # matched by meaning only
        passage = Passage(None, hit.best_sentence, crumbs, pages_label(hit.page), hit.collapsed)
    else:
        passage = Passage(hit.snippet, None, crumbs, pages_label(hit.page), hit.collapsed)
    passage.match_label = match_label(hit.match)
    passage.page_href = _page_href(catalog, hit)
    others = [(d.title, f"/documents/{d.id}") for d in hit.same_text_in]
    passage.same_text = others[:SAME_TEXT_SHOWN]
    passage.same_text_more = len(others) - len(passage.same_text)
    return passage


def _citation(catalog: Catalog, hit: Hit) -> str:
    """A case result cites the case's pages; a section result its passage's."""
    case = catalog.cases.get(hit.case.id) if hit.case else None
    if case is not None and case.document_id in catalog.documents:
        return case_citation(catalog.documents[case.document_id], case)
    return hit.citation


def _new_group(catalog: Catalog, hit: Hit, parts: list[str]) -> Group:
    section = browse.passage_section(catalog, hit.passage_id)
    anchor = f"#afsnit-{section}" if section is not None else ""
    document_page = f"/documents/{hit.document.id}{anchor}"
    if hit.case:
        title, href = hit.case.title, f"/cases/{hit.case.id}"
    else:
        title, href = (parts[-1] if parts else hit.document.title), document_page
    return Group(
        title=title,
        href=href,
        breadcrumb=[],
        theme=hit.theme,
        document_id=hit.document.id,
        document_title=hit.document.title,
        year=hit.document.year,
        case_id=hit.case.id if hit.case else None,
        # A document's web address is often the publisher's home page: without a case's
        # own link, "Læs mere" opens the passage's section on the document page.
        read_more=document_page,
        citation=_citation(catalog, hit),
    )


def _crumbs(parts: list[str], title: str, theme: str | None) -> list[str]:
    crumbs = parts[:-1] if parts and parts[-1] == title else parts
    if crumbs and theme and same_value(crumbs[0], theme):
        crumbs = crumbs[1:]  # the theme badge already says it
    return crumbs


def group_hits(searcher: Searcher, hits: list[Hit]) -> list[Group]:
    """Hits as page results: a case, or a short document such as a web page, heads one
    result with its hits' passages (at most two, see ``Catalog.result_unit``)."""
    catalog = searcher.catalog
    groups: list[Group] = []
    by_unit: dict[str, Group] = {}
    for hit in hits:
        parts = path_parts(hit.section_path)
        unit = catalog.hit_unit(hit.passage_id)
        group = by_unit.get(unit) if unit else None
        if group is None:
            group = _new_group(catalog, hit, parts)
            group.breadcrumb = _crumbs(parts, group.title, hit.theme)
            group.passages.append(_passage(catalog, hit, []))
            groups.append(group)
            if unit:
                by_unit[unit] = group
            continue
        crumbs = _crumbs(parts, group.title, hit.theme)
        group.passages.append(_passage(catalog, hit, [] if crumbs == group.breadcrumb else crumbs))
    _add_case_details(searcher, groups)
    return groups


def _first_web_link(links: list[LinkInfo]) -> str | None:
    return next((u for u in (web_url(link.url) for link in links) if u), None)


def safe_similar(searcher: Searcher, case_id: str) -> list[SimilarCase] | None:
    """Similar cases, or None if they cannot be computed: the list is a nicety, and a
    page must not fail for it (the error is logged)."""
    try:
        return similar_cases(searcher, case_id, SIMILAR_K) or []
    except Exception:
        log.exception("similar cases for %s", case_id)
        return None


def _add_case_details(searcher: Searcher, groups: list[Group]) -> None:
    filled = 0
    for group in groups:
        if not group.case_id:
            continue
        own_link = _first_web_link(browse.case_links(searcher.catalog, group.case_id))
        if own_link:
            group.read_more, group.read_more_external = own_link, True
        if filled < SIMILAR_ON_RESULTS:
            filled += 1
            group.similar = safe_similar(searcher, group.case_id)


# ---------------------------------------------------------------- case and document pages


def web_links(links: list[LinkInfo]) -> list[dict[str, str]]:
    """http(s) links, each once, with a readable text (the URL shortened if it has none)."""
    seen: dict[str, dict[str, str]] = {}
    for link in links:
        url = web_url(link.url)
        if url and url not in seen:
            text = (link.text or "").strip()
            if not text or text.lower().startswith(("http://", "https://", "www.")):
                text = short_url(text or url)
            seen[url] = {"url": url, "text": text}
    return list(seen.values())


def case_view(catalog: Catalog, case_id: str) -> dict[str, Any] | None:
    case = browse.get_case(catalog, case_id)
    if case is None:
        return None
    doc = catalog.documents[case.document.id]
    sub_cases = [d for d in (browse.get_case(catalog, c.id) for c in case.sub_cases) if d]
    parts = path_parts(case.section_path)
    text = case.text
    if text.startswith(case.title):  # the case text repeats its heading
        text = text[len(case.title) :].lstrip()
    return {
        "id": case.id,
        "title": case.title,
        "theme": case.theme,
        "text": text,
        "organisations": case.organisations,
        "places": case.places,
        "pages": pages_label(case.page_start, case.page_end),
        "citation": case.citation,
        "file_url": _case_file_url(catalog, doc.id, doc.format, case.page_start),
        "breadcrumb": parts[:-1] if parts and parts[-1] == case.title else parts,
        "links": web_links([*case.links, *(link for sub in sub_cases for link in sub.links)]),
        "document": {
            "id": doc.id,
            "title": doc.title,
            "year": doc.year,
            "publisher": doc.publisher,
            "url": web_url(doc.url),  # "the publication at its publisher": web addresses only
        },
        "parent": case.parent,
        "children": [catalog.cases[c.id] for c in case.sub_cases if c.id in catalog.cases],
    }


def _stored_file_url(catalog: Catalog, document_id: str) -> str | None:
    """Where the original file is served, for a document ingested from a stored file."""
    doc = catalog.documents.get(document_id)
    return document_file_url(document_id) if doc and doc.file_path else None


def _case_file_url(catalog: Catalog, document_id: str, fmt: str, page: int | None) -> str | None:
    """A stored PDF opened at the case's first page (other formats have no pages)."""
    url = _stored_file_url(catalog, document_id) if fmt == "pdf" else None
    return f"{url}#page={page}" if url and page is not None else url


def document_view(catalog: Catalog, document_id: str) -> dict[str, Any] | None:
    document = browse.get_document(catalog, document_id)
    if document is None:
        return None
    meta = document.metadata
    sections = [
        {
            "idx": s.idx,
            "level": s.level,
            "title": s.title,
            "page": pages_label(s.page),
            "case_id": s.case_id,
        }
        for s in document.sections
        if s.level > 0  # level 0 is the document's own title
    ]
    by_theme: dict[str, list[Any]] = {}
    for case in document.cases:
        by_theme.setdefault(case.theme or "Uden tema", []).append(case)
    return {
        "id": document.id,
        "title": document.title,
        "subtitle": meta.get("subtitle"),
        "year": document.year,
        "publisher": document.publisher,
        "edition": meta.get("edition"),
        "rights": meta.get("rights"),
        "url": document.url,  # its web address, or the stored file served by Vidensbank
        "citation": document.citation,
        "file_url": _stored_file_url(catalog, document.id),
        "superseded_by": document.superseded_by,
        "sections": sections,
        "cases": document.cases,
        "cases_by_theme": by_theme,
    }
