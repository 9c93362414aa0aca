"""`vidensbank bench`: search-core benchmark figures — the engine's modes and the plain
reference's side by side, latency and quality — written into docs/BENCHMARKS.md."""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
from pathlib import Path

from ..bench import bench_corpus, queries_from, render, write_doc_section
from ..services import ingest_embedder
from ..settings import Settings

SECTION = "## Search core"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="benchmark ingest, build, query latency and quality, beside the plain reference",
    )
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--queries", type=Path, default=Path("eval/dev.jsonl"))
    parser.add_argument(
        "--extra",
        nargs=3,
        metavar=("NAME", "CORPUS", "QUERIES"),
        action="append",
        default=[],
        help="another corpus to measure, e.g. libreoffice-help DIR libreoffice-dev.jsonl",
    )
    parser.add_argument("--max-queries", type=int, default=200)
    parser.add_argument(
        "--sample",
        type=int,
        metavar="FILES",
        help="ingest only the first FILES files of each --extra corpus (a cold ingest of a"
        " large corpus takes long at ~8 passages/s)",
    )
    parser.add_argument("--write", type=Path, default=Path("docs/BENCHMARKS.md"))
    parser.set_defaults(handler=run_bench)


def run_bench(args: argparse.Namespace, settings: Settings) -> int:
    embedder = ingest_embedder(settings)
    runs = [("seed", args.corpus, args.queries), *[(n, Path(c), Path(q)) for n, c, q in args.extra]]
    results = []
    with tempfile.TemporaryDirectory(prefix="vidensbank-bench-") as tmp:
        for name, corpus, queries in runs:
            print(f"Benchmarking {name} ({corpus}) …", flush=True)
            figures = bench_corpus(
                name,
                corpus,
                queries_from(queries, args.max_queries),
                embedder,
                Path(tmp) / name,
                repeat=3 if name == "seed" else 1,
                sample=None if name == "seed" else args.sample,
            )
            results.append(figures)
    command = " ".join(shlex.quote(a) for a in ["vidensbank", *sys.argv[1:]])
    body = f"Command: `{command}`\n\n" + render(results, embedder)
    print(body)
    write_doc_section(args.write, f"{SECTION}\n\nWritten by `vidensbank bench`.\n\n{body}\n")
    print(f"\nWritten to {args.write}")
    return 0
