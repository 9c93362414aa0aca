"""`vidensbank eval FILE.jsonl [--mode …]`: retrieval metrics for every mode side by side."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..search.eval import evaluate, format_report, read_queries
from ..search.types import Mode
from ..services import load_searcher
from ..settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("eval", help="Recall@1/5/10, MRR@10, nDCG@10 on a query file")
    parser.add_argument("file", type=Path)
    parser.add_argument(
        "--mode",
        action="append",
        choices=[m.value for m in Mode],
        help="mode(s) to evaluate (default: all)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=run_eval)


def run_eval(args: argparse.Namespace, settings: Settings) -> int:
    searcher = load_searcher(settings)
    queries = read_queries(args.file)
    documents = searcher.catalog.documents
    modes = [Mode(m) for m in args.mode] if args.mode else list(Mode)
    report = evaluate(
        queries,
        lambda q, mode: searcher.search(q, k=10, mode=mode).results,
        lambda doc_id: documents[doc_id].source,
        modes,
    )
    if args.json:
        print(json.dumps({"table": report.table, "counts": report.counts}, indent=2))
    else:
        print(f"{len(queries)} queries from {args.file}\n")
        print(format_report(report))
    return 0
