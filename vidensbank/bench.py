"""Benchmark of the search core: ingest throughput (cold and warm embedding cache), snapshot
build time, query latency per mode and peak memory. Prints figures; timing is never asserted."""

from __future__ import annotations

import os
import platform
import re
import resource
import shutil
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from .ingest.loaders import SUPPORTED_SUFFIXES
from .ingest.pipeline import Ingestor
from .search.embed.base import Embedder
from .search.eval import read_queries
from .search.searcher import Searcher, Snapshot
from .search.snapshot import build_snapshot
from .search.types import Mode
from .store import Store


@dataclass
class CorpusFigures:
    name: str
    documents: int = 0
    passages: int = 0
    read_s: float = 0.0
    cold_build_s: float = 0.0
    warm_build_s: float = 0.0
    latency_ms: dict[str, tuple[float, float]] = field(default_factory=dict)  # mode -> (p50, p95)
    queries: int = 0
    sentences: int = 0
    sample_of: int | None = None  # files in the whole corpus, when only a sample was ingested

    @property
    def cold_rate(self) -> float:
        return self.passages / (self.read_s + self.cold_build_s)

    @property
    def warm_rate(self) -> float:
        return self.passages / (self.read_s + self.warm_build_s)


def cpu_description() -> str:
    """The CPU model and core count, e.g. "AMD EPYC, 2 cores"."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores"


def machine() -> str:
    return f"{cpu_description()}, Python {platform.python_version()}, {platform.system()}"


def write_doc_section(path: Path, section: str) -> None:
    """Replace the section of ``path`` that starts with ``section``'s own "## " heading
    line, up to the next "## " heading, or append it; the rest of the file is kept."""
    heading = section.split("\n", 1)[0]
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section.rstrip("\n") + "\n\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def corpus_files(corpus: Path) -> list[Path]:
    if corpus.is_file():
        return [corpus]
    return sorted(
        p for p in corpus.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
    )


def bench_corpus(
    name: str,
    corpus: Path,
    queries: list[str],
    embedder: Embedder,
    work: Path,
    repeat: int = 1,
    sample: int | None = None,
) -> CorpusFigures:
    """Ingest ``corpus`` (or its first ``sample`` files) into a new store, build cold and
    warm, and time the queries in every mode."""
    figures = CorpusFigures(name)
    shutil.rmtree(work, ignore_errors=True)
    store = Store(work / "store.sqlite3")
    paths: list[Path] = [corpus]
    if sample is not None:
        files = corpus_files(corpus)
        paths, figures.sample_of = files[:sample], len(files)
    started = time.perf_counter()
    report = Ingestor(store, progress=False).run(paths)
    figures.read_s = time.perf_counter() - started
    figures.documents = len(report.added)
    cold = build_snapshot(store, embedder, work / "index", progress=True)
    figures.cold_build_s, figures.passages = cold.seconds, cold.passages
    figures.sentences = cold.sentences
    shutil.rmtree(work / "index")
    warm = build_snapshot(store, embedder, work / "index", progress=False)
    figures.warm_build_s = warm.seconds
    searcher = Searcher(Snapshot.load(warm.path), embedder)
    figures.queries = len(queries)
    for mode in Mode:
        searcher.search(queries[0], mode=mode)  # warm-up
        times = []
        for _ in range(repeat):
            for query in queries:
                t = time.perf_counter()
                searcher.search(query, k=10, mode=mode)
                times.append((time.perf_counter() - t) * 1000)
        figures.latency_ms[mode.value] = (statistics.median(times), percentile(times, 0.95))
    store.close()
    return figures


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def render(results: list[CorpusFigures], embedder: Embedder) -> str:
    lines = [
        f"Machine: {machine()}. Embedder: `{embedder.model_id}`. "
        f"Peak memory (max RSS) of the run: {peak_memory_mb():.0f} MB.",
        "",
        "| corpus | docs | passages | heading + sentence vectors | cold ingest passages/s |"
        " warm-cache passages/s | warm/cold | cold build s | warm build s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for f in results:
        docs = f"{f.documents} (first of {f.sample_of})" if f.sample_of else str(f.documents)
        lines.append(
            f"| {f.name} | {docs} | {f.passages} | {f.sentences} | {f.cold_rate:.1f} |"
            f" {f.warm_rate:.1f} | {f.warm_rate / f.cold_rate:.1f}× | {f.cold_build_s:.1f} |"
            f" {f.warm_build_s:.1f} |"
        )
    lines += [
        "",
        "| corpus | queries | mode | p50 ms | p95 ms | p50 vs lexical |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for f in results:
        base = f.latency_ms["lexical"][0]
        for mode, (p50, p95) in f.latency_ms.items():
            lines.append(
                f"| {f.name} | {f.queries} | {mode} | {p50:.1f} | {p95:.1f} | {p50 / base:.1f}× |"
            )
    return "\n".join(lines)


def queries_from(path: Path, limit: int) -> list[str]:
    return [q.query for q in read_queries(path)][:limit]
