"""View models of the pages: search hits grouped into results, a case page and a
document page. Data comes from the read side (``vidensbank.search``); these functions only
shape it for the templates. No SQL here."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from ..search import browse
from ..search.catalog import Catalog, LinkInfo
from ..search.facets import FACET_KINDS, Facets, same_value
from ..search.searcher import Searcher
from ..search.similar import SimilarCase, similar_cases
from ..search.types import Hit
from .filters import pages_label, path_parts, short_url, web_url
from .render import PLACEHOLDER_QUESTION

log = logging.getLogger(__name__)

SIMILAR_ON_RESULTS = 3  # case results whose "Lignende cases" are filled in server-side
SIMILAR_K = 5


@dataclass
class Passage:
    snippet_html: str | None  # the searcher's escaped snippet with <mark>: rendered |safe
    sentence: str | None  # plain text, autoescaped
    breadcrumb: list[str]
    page: str | None
    collapsed: int


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

    @property
    def pages(self) -> str | None:
        labels = [p.page for p in self.passages if p.page]
        return ", ".join(dict.fromkeys(labels)) or None


def facet_lists(facets: Facets) -> dict[str, list[Any]]:
    """The facets as ``{kind: [FacetValue, …]}`` for the filter menus."""
    return {kind: getattr(facets, kind) for kind in FACET_KINDS}


def example_questions(facets: Facets) -> list[str]:
    themes = [t for t in facets.theme if t.cases] or facets.theme
    questions = [PLACEHOLDER_QUESTION.capitalize()]
    for theme in themes[:4]:
        questions.append(f"Hvilke erfaringer er der med {str(theme.value).lower()}?")
    return questions


# ---------------------------------------------------------------- search results


def _passage(hit: Hit, crumbs: list[str]) -> Passage:
    if "<mark>" not in hit.snippet and hit.best_sentence:  # matched by meaning only
        return Passage(None, hit.best_sentence, crumbs, pages_label(hit.page), hit.collapsed)
    return Passage(hit.snippet, None, crumbs, pages_label(hit.page), hit.collapsed)


def _new_group(catalog: Catalog, hit: Hit, parts: list[str]) -> Group:
    if hit.case:
        title, href = hit.case.title, f"/cases/{hit.case.id}"
    else:
        title = parts[-1] if parts else hit.document.title
        section = browse.passage_section(catalog, hit.passage_id)
        anchor = f"#afsnit-{section}" if section is not None else ""
        href = f"/documents/{hit.document.id}{anchor}"
    return Group(
        title=title,
        href=href,
        breadcrumb=[],
        theme=hit.theme,
        document_id=hit.document.id,
        document_title=hit.document.title,
        year=hit.document.year,
        case_id=hit.case.id if hit.case else None,
        read_more=web_url(hit.document.url),
    )


def _crumbs(parts: list[str], title: str, theme: str | None) -> list[str]:
    crumbs = parts[:-1] if parts and parts[-1] == title else parts
    if crumbs and theme and same_value(crumbs[0], theme):
        crumbs = crumbs[1:]  # the theme badge already says it
    return crumbs


def group_hits(searcher: Searcher, hits: list[Hit]) -> list[Group]:
    """Hits as page results: a case heads one result, with up to two of its passages."""
    catalog = searcher.catalog
    groups: list[Group] = []
    by_case: dict[str, Group] = {}
    for hit in hits:
        parts = path_parts(hit.section_path)
        group = by_case.get(hit.case.id) if hit.case else None
        if group is None:
            group = _new_group(catalog, hit, parts)
            group.breadcrumb = _crumbs(parts, group.title, hit.theme)
            group.passages.append(_passage(hit, []))
            groups.append(group)
            if group.case_id:
                by_case[group.case_id] = group
            continue
        crumbs = _crumbs(parts, group.title, hit.theme)
        group.passages.append(_passage(hit, [] if crumbs == group.breadcrumb else crumbs))
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
        group.read_more = _first_web_link(browse.case_links(searcher.catalog, group.case_id)) or (
            group.read_more
        )
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
        "superseded_by": document.superseded_by,
        "sections": sections,
        "cases": document.cases,
        "cases_by_theme": by_theme,
    }
