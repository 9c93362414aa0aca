"""`vidensbank eval FILE.jsonl… [--mode …]`: retrieval metrics for the engine's modes and the
plain reference's, side by side, one table per file (e.g. a dev and a heldout half)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from ..search.eval import (
    ENGINE_MODES,
    REFERENCE_MODES,
    EvalReport,
    evaluate_modes,
    format_report,
    format_side_by_side,
    read_queries,
)
from ..search.reference import Reference, reference_documents
from ..search.searcher import Searcher
from ..services import load_searcher, open_store
from ..settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="Recall@1/5/10, MRR@10, nDCG@10 of the engine and the plain reference on query files",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument(
        "--mode",
        action="append",
        choices=[*ENGINE_MODES, *REFERENCE_MODES],
        help="mode(s) to evaluate (default: the engine's three and the reference's three)",
    )
    parser.add_argument(
        "--no-reference", action="store_true", help="skip the plain reference (ref-* modes)"
    )
    parser.add_argument(
        "--min-relevance",
        type=float,
        metavar="FLOOR",
        help="relevance floor for the no-answer figures (default: the configured floor)",
    )
    parser.add_argument("--json", action="store_true", help="print the reports as JSON")
    parser.set_defaults(handler=run_eval)


def configured_floor(settings: Settings, searcher: Searcher) -> float | None:
    """The relevance floor in force: the setting, else the searcher's, else none."""
    for owner in (settings, searcher):
        floor = getattr(owner, "min_relevance", None)
        if isinstance(floor, int | float):
            return float(floor)
    return None


def build_reference(settings: Settings, searcher: Searcher, *, progress: bool) -> Reference:
    """The plain reference over the snapshot's documents; chunk vectors come from (and go
    to) the store's embedding cache, so only the first run embeds."""
    with open_store(settings) as store:
        return Reference.build(
            reference_documents(searcher.catalog, store),
            searcher.embedder,
            store,
            batch_size=settings.embed_batch_size,
            progress=progress,
        )


def run_eval(args: argparse.Namespace, settings: Settings) -> int:
    missing = [str(f) for f in args.files if not f.is_file()]
    if missing:
        print(f"error: no such query file: {', '.join(missing)}", file=sys.stderr)
        return 2
    searcher = load_searcher(settings)
    modes = args.mode or [*ENGINE_MODES, *([] if args.no_reference else REFERENCE_MODES)]
    reference = None
    if any(m in REFERENCE_MODES for m in modes):
        reference = build_reference(settings, searcher, progress=not args.json)
        s = reference.stats
        print(
            f"Plain reference: {s.documents} documents, {s.chunks} chunks of 150 words,"
            f" {s.embedded} embedded now (the rest from the cache), {s.seconds:.1f} s",
            file=sys.stderr,
        )
    floor = args.min_relevance
    if floor is None:
        floor = configured_floor(settings, searcher)
    reports = [
        evaluate_modes(searcher, reference, read_queries(f), modes, floor=floor, name=f.stem)
        for f in args.files
    ]
    if args.json:
        print(json.dumps(_json(reports, reference, args.files), indent=2, ensure_ascii=False))
    else:
        print(_text(reports, args.files))
    return 0


def _json(reports: list[EvalReport], reference: Reference | None, files: list[Path]) -> dict:
    return {
        "reference": asdict(reference.stats) if reference is not None else None,
        "files": {str(f): r.to_json() for f, r in zip(files, reports, strict=True)},
    }


def _text(reports: list[EvalReport], files: list[Path]) -> str:
    parts = []
    for f, r in zip(files, reports, strict=True):
        head = f"{f}: {r.counts.get('all', 0)} answerable questions"
        if r.no_answer.questions:
            head += f", {r.no_answer.questions} no-answer"
        parts.append(f"{head}\n\n{format_report(r)}")
    if len(reports) > 1:
        parts.append("Overall, side by side:\n\n" + format_side_by_side(reports))
    return "\n\n".join(parts)
