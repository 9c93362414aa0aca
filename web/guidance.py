"""What the search page offers besides results: "Mente du …?" for a misspelt question, a
notice when even the best hit is a weak match, and the nearest topics when no hit reaches
the relevance floor.

All three come from the searcher's response (``suggestion``, ``weak`` and ``nearest``);
these functions only turn them into links and flags. Every link keeps the page's filters
(``SearchState.url``), and every text is plain (autoescaped by the templates)."""

from __future__ import annotations

from dataclasses import dataclass

from ..search import browse
from ..search.catalog import Catalog
from ..search.types import NearestTopic, SearchResponse
from .filters import path_parts
from .state import SearchState

KIND_LABELS = {"case": "Case", "section": "Afsnit"}


@dataclass(frozen=True)
class SuggestedWord:
    text: str
    changed: bool  # a word the suggestion corrected: shown emphasised


@dataclass(frozen=True)
class SpellingSuggestion:
    """The corrected question as a link that keeps the page's filters."""

    query: str
    href: str
    words: list[SuggestedWord]


@dataclass(frozen=True)
class NearestLink:
    """A case or section near a question the corpus has no sure answer to."""

    kind: str  # Danish: "Case" or "Afsnit"
    title: str
    href: str  # the case page, or the section's anchor on its document page
    breadcrumb: list[str]
    document_title: str


def spelling_suggestion(state: SearchState, suggestion: str | None) -> SpellingSuggestion | None:
    """``suggestion`` as a link, or None when there is none or it is the question itself.

    The searcher replaces misspelt words and keeps the rest verbatim, so when both have the
    same number of words the replaced ones are the ones that differ; otherwise no word is
    marked rather than a wrong one."""
    if not suggestion or not suggestion.strip() or suggestion.strip() == state.q:
        return None
    suggested, asked = suggestion.split(), state.q.split()
    aligned = len(suggested) == len(asked)
    words = [SuggestedWord(word, aligned and word != asked[n]) for n, word in enumerate(suggested)]
    return SpellingSuggestion(suggestion, state.url(q=suggestion), words)


def weak_results(state: SearchState, response: SearchResponse) -> bool:
    """Whether the page should say that even its best hit is a weak match (the searcher's
    ``weak``): on the sure results only, where "usikre resultater" does not already say it."""
    return response.weak and not state.everything


def _section_href(catalog: Catalog, topic: NearestTopic) -> str:
    section = browse.passage_section(catalog, topic.passage_id)
    anchor = f"#afsnit-{section}" if section is not None else ""
    return f"/documents/{topic.document_id}{anchor}"


def nearest_links(catalog: Catalog, topics: list[NearestTopic]) -> list[NearestLink]:
    """The response's nearest topics (at most three, best first) as page links."""
    links = []
    for topic in topics[:3]:
        if topic.kind == "case" and topic.case_id:
            href = f"/cases/{topic.case_id}"
        else:
            href = _section_href(catalog, topic)
        parts = path_parts(topic.section_path)
        crumbs = parts[:-1] if parts and parts[-1] == topic.title else parts
        doc = catalog.documents.get(topic.document_id)
        links.append(
            NearestLink(
                kind=KIND_LABELS.get(topic.kind, "Afsnit"),
                title=topic.title,
                href=href,
                breadcrumb=crumbs,
                document_title=doc.title if doc is not None else "",
            )
        )
    return links
