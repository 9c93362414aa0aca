"""`vidensbank search`: search the current snapshot from the command line."""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import sys

from ..search.facets import FACET_KINDS
from ..search.sentence_index import heading_of
from ..search.types import WEAK_RELEVANCE, Filters, Mode, SearchResponse
from ..services import load_searcher
from ..settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    search = subparsers.add_parser("search", help="search the index")
    search.add_argument("query")
    search.add_argument("--k", type=int, default=10)
    search.add_argument("--offset", type=int, default=0)
    search.add_argument("--mode", choices=[m.value for m in Mode], default="hybrid")
    several = "; repeat for several (either matches)"
    search.add_argument("--theme", action="append", help="theme filter" + several)
    search.add_argument("--document", action="append", help="document id filter" + several)
    search.add_argument("--organisation", action="append", help="organisation filter" + several)
    search.add_argument("--year", type=int, action="append", help="year filter" + several)
    search.add_argument(
        "--facets", help="with --json: facet counts to add, e.g. theme,year (as the API's facets)"
    )
    search.add_argument(
        "--min-relevance",
        type=float,
        default=None,
        help="relevance floor for this search (default: VIDENSBANK_MIN_RELEVANCE; 0 shows all)",
    )
    search.add_argument("--json", action="store_true", help="print what GET /api/search returns")
    search.set_defaults(handler=run_search)


def _plain(snippet: str, bold: bool) -> str:
    """Terminal rendering of an HTML snippet: <mark> → bold (or nothing, in a pipe)."""
    on, off = ("\033[1m", "\033[0m") if bold else ("", "")
    text = snippet.replace("<mark>", on).replace("</mark>", off)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def _terminal() -> bool:
    """Bold only on a terminal, and not when NO_COLOR is set (no-color.org)."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def render(response: SearchResponse, bold: bool = False) -> str:
    lines = [
        f"{response.total} results for {response.query!r} ({response.mode}, {response.took_ms:.0f} ms)"
    ]
    if response.suggestion:
        lines.append(f"Did you mean: {response.suggestion}?")
    if not response.results and response.nearest:
        lines.append("No sure answer (try other words, or --min-relevance 0); nearest topics:")
        lines += [f"  - {topic.title} ({topic.section_path})" for topic in response.nearest]
    if response.weak:
        lines.append(
            f"Only weak results (best relevance below {WEAK_RELEVANCE:g}): they may not answer."
        )
    for hit in response.results:
        title = hit.case.title if hit.case else heading_of(hit.section_path)
        page = f", p. {hit.page}" if hit.page else ""
        lines.append(f"\n{hit.rank}. {title}  [relevance {hit.relevance:.2f}]")
        lines.append(f"   {hit.document.title}{page} — {hit.section_path}")
        lines.append(f"   {_plain(hit.snippet, bold)}")
        if hit.best_sentence:
            lines.append(f"   ≈ {hit.best_sentence}")
    return "\n".join(lines)


def run_search(args: argparse.Namespace, settings: Settings) -> int:
    facets = [f.strip() for f in (getattr(args, "facets", None) or "").split(",") if f.strip()]
    unknown = [f for f in facets if f not in FACET_KINDS]
    if unknown:
        print(
            f"error: unknown facet {unknown[0]!r}: use one or more of {', '.join(FACET_KINDS)}",
            file=sys.stderr,
        )
        return 2
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
        facets=facets,
    )
    print(
        json.dumps(response.wire(), indent=2, ensure_ascii=False)
        if args.json
        else render(response, bold=_terminal())
    )
    return 0
