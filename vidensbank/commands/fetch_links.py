"""`vidensbank fetch-links`: fetch the pages and PDFs that ingested documents link to,
keep them under corpus/linked/ with a provenance record, and ingest them."""

from __future__ import annotations

import argparse
import sys

from ..ingest.linked.fetcher import parse_domains
from ..ingest.linked.links import FetchOutcome
from ..ingest.pipeline import Failure
from ..lock import LockBusy
from ..settings import Settings
from ..writes import fetch_links

LABELS = {
    "new": "fetched  ",
    "changed": "changed  ",
    "relinked": "relinked ",
    "unchanged": "unchanged",
    "not_modified": "unchanged",
    "skipped": "skipped  ",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "fetch-links",
        help="fetch the pages and PDFs ingested documents link to, and ingest them",
        description=(
            "Collect the http(s) links of ingested documents, fetch each politely (robots.txt,"
            " a pause between requests to one host, timeouts and an overall deadline, a size"
            " cap; HTML and PDF only; public addresses only unless VIDENSBANK_FETCH_ALLOW_HOSTS"
            " allows an intranet host),"
            " keep the copy and a provenance record under <corpus>/linked/, and ingest what is"
            " new or changed. Re-running sends conditional requests."
        ),
    )
    parser.add_argument(
        "--domains",
        help="comma-separated hosts, e.g. almennet.dk,lbf.dk: fetch only these and their"
        " subdomains (redirects elsewhere are not followed)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(handler=run_fetch_links)


def _print_outcome(outcome: FetchOutcome) -> None:
    if outcome.status == "failed":
        print(f"FAILED    {outcome.url}: {outcome.reason}", file=sys.stderr)
        return
    line = f"{LABELS.get(outcome.status, outcome.status)} {outcome.url}"
    if outcome.status == "not_modified":
        line += " (304 Not Modified)"
    elif outcome.status == "skipped":
        line += f": {outcome.reason}"
    elif outcome.final_url and outcome.final_url != outcome.url:
        line += f" → {outcome.final_url}"
    print(line)


def _print_failure(failure: Failure) -> None:
    print(f"FAILED {failure.source}: {failure.reason}", file=sys.stderr)


def run_fetch_links(args: argparse.Namespace, settings: Settings) -> int:
    domains = parse_domains(args.domains)
    try:
        outcome = fetch_links(
            settings,
            domains=domains,
            progress=not args.quiet,
            on_outcome=_print_outcome,
            on_failure=_print_failure,
        )
    except LockBusy as err:
        print(f"error: {err.for_operator()}", file=sys.stderr)
        return 2
    report = outcome.report
    if not report.outcomes:
        where = f" within {', '.join(domains)}" if domains else ""
        print(f"No links to fetch{where}: ingest documents with http(s) links first.")
    print(report.summary())
    failed = bool(report.by_status("failed"))
    if outcome.ingest is None:
        return 1 if failed else 0
    if outcome.build:
        print(outcome.ingest.summary())
        build = outcome.build
        print(
            f"Index {build.version}: {build.passages} passages"
            f" ({build.embedded} embedded now) in {build.seconds:.1f} s"
        )
    else:
        print("Linked documents unchanged; index unchanged.")
    return 1 if failed or outcome.ingest.failed else 0
