"""`vidensbank fetch-links`: fetch the pages and PDFs that ingested documents link to,
keep them under corpus/linked/ with a provenance record, and ingest them."""

from __future__ import annotations

import argparse
import sys

from ..ingest.linked.fetcher import (
    FetchOptions,
    FetchOutcome,
    collect_links,
    fetch_links,
    parse_domains,
)
from ..ingest.pipeline import Failure, Ingestor
from ..lock import LockBusy, writer_lock
from ..services import build_index, open_store
from ..settings import Settings

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
            " a pause between requests to one host, timeouts, a size cap; HTML and PDF only),"
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
    options = FetchOptions(
        user_agent=settings.user_agent,
        delay_s=settings.fetch_delay_s,
        timeout_s=settings.fetch_timeout_s,
        max_bytes=int(settings.fetch_max_mb * 1024 * 1024),
        max_redirects=settings.fetch_max_redirects,
        domains=parse_domains(args.domains),
    )
    linked_dir = settings.corpus_dir / "linked"
    try:
        with writer_lock(settings.data_dir), open_store(settings) as store:
            targets, outside = collect_links(store, options)
            if not targets:
                where = f" within {', '.join(options.domains)}" if options.domains else ""
                print(f"No links to fetch{where}: ingest documents with http(s) links first.")
            report = fetch_links(targets, linked_dir, options, on_outcome=_print_outcome)
            report.outside_domains = outside
            print(report.summary())
            failed = bool(report.by_status("failed"))
            if not linked_dir.is_dir():
                return 1 if failed else 0
            # Ingest the linked folder: what was fetched now, and anything an interrupted
            # earlier run fetched but did not ingest; unchanged copies are skipped.
            ingest = Ingestor(
                store,
                gazetteer_path=settings.corpus_dir / "gazetteer.toml",
                max_bytes=int(settings.max_file_mb * 1024 * 1024),
                progress=not args.quiet,
            ).run([linked_dir], on_failure=_print_failure)
            if ingest.changed:
                print(ingest.summary())
                build = build_index(settings, store, progress=not args.quiet)
                print(
                    f"Index {build.version}: {build.passages} passages"
                    f" ({build.embedded} embedded now) in {build.seconds:.1f} s"
                )
            else:
                print("Linked documents unchanged; index unchanged.")
            return 1 if failed or ingest.failed else 0
    except LockBusy as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
