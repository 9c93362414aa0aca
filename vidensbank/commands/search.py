"""`vidensbank search`: search the current snapshot from the command line."""

from __future__ import annotations

import argparse
import html
import re

from ..search.sentence_index import heading_of
from ..search.types import Filters, Mode, SearchResponse
from ..services import load_searcher
from ..settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    search = subparsers.add_parser("search", help="search the index")
    search.add_argument("query")
    search.add_argument("--k", type=int, default=10)
    search.add_argument("--offset", type=int, default=0)
    search.add_argument("--mode", choices=[m.value for m in Mode], default="hybrid")
    search.add_argument("--theme")
    search.add_argument("--document")
    search.add_argument("--organisation")
    search.add_argument("--year", type=int)
    search.add_argument(
        "--min-relevance",
        type=float,
        default=None,
        help="relevance floor for this search (default: VIDENSBANK_MIN_RELEVANCE; 0 shows all)",
    )
    search.add_argument("--json", action="store_true", help="print what GET /api/search returns")
    search.set_defaults(handler=run_search)


def _plain(snippet: str) -> str:
    """Terminal rendering of an HTML snippet: <mark> → bold."""
    text = snippet.replace("<mark>", "\033[1m").replace("</mark>", "\033[0m")
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def render(response: SearchResponse) -> str:
    lines = [
        f"{response.total} results for {response.query!r} ({response.mode}, {response.took_ms:.0f} ms)"
    ]
    if response.suggestion:
        lines.append(f"Did you mean: {response.suggestion}?")
    if not response.results and response.nearest:
        lines.append("No sure answer (try other words, or --min-relevance 0); nearest topics:")
        lines += [f"  - {topic.title} ({topic.section_path})" for topic in response.nearest]
    for hit in response.results:
        title = hit.case.title if hit.case else heading_of(hit.section_path)
        page = f", p. {hit.page}" if hit.page else ""
        lines.append(f"\n{hit.rank}. {title}  [relevance {hit.relevance:.2f}]")
        lines.append(f"   {hit.document.title}{page} — {hit.section_path}")
        lines.append(f"   {_plain(hit.snippet)}")
        if hit.best_sentence:
            lines.append(f"   ≈ {hit.best_sentence}")
    return "\n".join(lines)


def run_search(args: argparse.Namespace, settings: Settings) -> int:
    searcher = load_searcher(settings)
    filters = Filters(
        theme=args.theme, document=args.document, organisation=args.organisation, year=args.year
    )
    response = searcher.search(
        args.query,
        k=args.k,
        offset=args.offset,
        mode=args.mode,
        filters=filters,
        min_relevance=args.min_relevance,
    )
    print(response.model_dump_json(indent=2) if args.json else render(response))
    return 0
