"""`vidensbank insights export FILE.jsonl [--since YYYY-MM-DD]`: the questions staff
judged, as evaluation cases for `vidensbank eval` (rules in `vidensbank/insights_export.py`)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path

from ..insights_export import export_judged, write_jsonl
from ..querylog import open_log
from ..settings import Settings


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-01-31"
        ) from None


def register(subparsers: argparse._SubParsersAction) -> None:
    insights = subparsers.add_parser(
        "insights", help="the query log and the staff's judgements (see also /indsigt)"
    )
    actions = insights.add_subparsers(dest="insights_command", required=True)
    export = actions.add_parser(
        "export",
        help="write the judged questions as an eval file for `vidensbank eval`",
        description="Questions with a result judged useful (👍 more often than 👎) become span"
        " cases of kind 'feedback'. Questions with only 👎, or with no sure answer, are counted"
        " but not written: neither shows that the publications hold no answer.",
    )
    export.add_argument("file", type=Path, metavar="FILE.jsonl", help="file to write")
    export.add_argument(
        "--since",
        type=_day,
        metavar="YYYY-MM-DD",
        help="only judgements given on or after this day (UTC; default: all that are kept)",
    )
    export.set_defaults(handler=run_export)


def run_export(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.store_path.exists():
        print(
            f"error: no store in {settings.data_dir}: run `vidensbank ingest` first (or set"
            " VIDENSBANK_DATA_DIR to the data folder the server uses)",
            file=sys.stderr,
        )
        return 2
    since = datetime.combine(args.since, time.min, tzinfo=UTC) if args.since else None
    conn = open_log(settings.store_path)
    try:
        report = export_judged(conn, since)
    finally:
        conn.close()
    write_jsonl(args.file, report.records)
    print(f"{report.written} judged questions written to {args.file}")
    left_out = {
        "with only 👎 judgements": report.only_not_useful,
        "with no sure answer and no 👍": report.no_sure_answer,
    }
    for what, count in left_out.items():
        if count:
            print(f"left out: {count} questions {what} (judge them by hand; see /indsigt)")
    if report.missing_passages:
        print(f"skipped: {report.missing_passages} useful results no longer in the store")
    return 0
