"""`vidensbank ingest` and `vidensbank remove`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..ingest.pipeline import Failure
from ..lock import LockBusy
from ..settings import Settings
from ..writes import ingest_and_build, remove_documents


def register(subparsers: argparse._SubParsersAction) -> None:
    ingest = subparsers.add_parser(
        "ingest", help="ingest publications (files or folders) and rebuild the search index"
    )
    ingest.add_argument("paths", nargs="*", type=Path, help="files or folders (default: corpus/)")
    ingest.add_argument("--prune", action="store_true", help="remove documents whose file is gone")
    ingest.add_argument("--strict", action="store_true", help="any failure aborts before writing")
    ingest.add_argument(
        "--rebuild", action="store_true", help="build a new index even if unchanged"
    )
    ingest.add_argument("--quiet", action="store_true", help="no progress bars")
    ingest.add_argument(
        "--watch",
        action="store_true",
        help="after ingesting, keep watching the folders and ingest files as they appear or"
        " change (debounced; partial files are ignored until complete); Ctrl-C stops",
    )
    ingest.set_defaults(handler=run_ingest)

    remove = subparsers.add_parser("remove", help="remove a document and rebuild the index")
    remove.add_argument("document_ids", nargs="+")
    remove.set_defaults(handler=run_remove)


def _print_failure(failure: Failure) -> None:
    print(f"FAILED {failure.source}: {failure.reason}", file=sys.stderr)


def run_ingest(args: argparse.Namespace, settings: Settings) -> int:
    paths = args.paths or [settings.corpus_dir]
    if getattr(args, "watch", False):
        return run_watch(args, settings, paths)
    try:
        outcome = ingest_and_build(
            settings,
            paths,
            prune=args.prune,
            strict=args.strict,
            progress=not args.quiet,
            rebuild=args.rebuild,
            on_failure=_print_failure,
        )
    except LockBusy as err:
        print(f"error: {err.for_operator()}", file=sys.stderr)
        return 2
    report = outcome.report
    if args.strict and report.failed:
        print(
            f"--strict: {len(report.failed)} file(s) failed; nothing was written.", file=sys.stderr
        )
        return 1
    print(report.summary())
    if outcome.build:
        b = outcome.build
        print(
            f"Index {b.version}: {b.passages} passages ({b.embedded} embedded now),"
            f" {b.sentences} heading and sentence vectors ({b.sentences_embedded} embedded now)"
            f" in {b.seconds:.1f} s"
        )
    else:
        print("Index unchanged.")
    return 1 if report.failed else 0


def run_watch(args: argparse.Namespace, settings: Settings, paths: list[Path]) -> int:
    from ..ingest.watch import watch_and_ingest

    missing = [p for p in paths if not p.exists()]
    if missing:
        print(f"error: cannot watch {missing[0]}: no such file or folder", file=sys.stderr)
        return 2

    def batch(changed: list[Path]) -> bool:
        try:
            outcome = ingest_and_build(
                settings,
                paths,
                prune=args.prune,
                progress=not args.quiet,
                on_failure=_print_failure,
            )
        except LockBusy as err:
            print(f"waiting: {err.for_operator()}", file=sys.stderr, flush=True)
            return False
        line = outcome.report.summary()
        if outcome.build:
            line += f"; index {outcome.build.version} ({outcome.build.embedded} embedded now)"
        print(line, flush=True)
        return True

    def ready() -> bool:
        # the watcher is registered: catch up on what changed while nothing watched
        if not batch([]):
            return False
        print(
            f"Watching {', '.join(str(p) for p in paths)} for new or changed files (Ctrl-C stops).",
            flush=True,
        )
        return True

    try:
        watch_and_ingest(paths, batch, on_ready=ready)
    except KeyboardInterrupt:
        print("Stopped watching.")
    return 0


def run_remove(args: argparse.Namespace, settings: Settings) -> int:
    try:
        outcome = remove_documents(settings, args.document_ids, progress=True)
    except LockBusy as err:
        print(f"error: {err.for_operator()}", file=sys.stderr)
        return 2
    for document_id in outcome.missing:
        print(
            f"error: no document with id {document_id!r}; the ids are listed by"
            " GET /api/documents (or see `vidensbank search`'s results)",
            file=sys.stderr,
        )
    if outcome.removed:
        print(f"Removed {len(outcome.removed)} document(s); index {outcome.version}")
    return 1 if outcome.missing else 0
