"""Benchmark of the search core: ingest throughput (cold and warm embedding cache), snapshot
build time, query latency and quality per mode — the engine's and the plain reference's
(:mod:`vidensbank.search.reference`) side by side — and peak memory. Prints figures; timing
is never asserted."""

from __future__ import annotations

import os
import platform
import re
import resource
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .ingest.loaders import SUPPORTED_SUFFIXES
from .ingest.pipeline import Ingestor
from .search.embed.base import Embedder
from .search.embed.query_cache import QueryCachingEmbedder
from .search.eval import METRICS, EvalQuery, evaluate_modes, read_queries
from .search.reference import Reference, RefMode, reference_documents
from .search.searcher import RankingCache, Searcher, Snapshot
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
    reference_chunks: int = 0
    reference_cold_s: float = 0.0  # chunking, BM25 and embedding every chunk
    reference_warm_s: float = 0.0  # the same with every chunk vector in the cache
    answerable: int = 0
    skipped: int = 0  # page questions with no relevant page in the (sampled) index
    quality: dict[str, dict[str, float]] = field(default_factory=dict)  # mode -> metric -> mean
    no_answer: dict[str, float | None] = field(default_factory=dict)  # mode -> share
    floor: float | None = None

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
    queries: list[EvalQuery],
    embedder: Embedder,
    work: Path,
    repeat: int = 1,
    sample: int | None = None,
) -> CorpusFigures:
    """Ingest ``corpus`` (or its first ``sample`` files) into a new store, build cold and
    warm, build the plain reference cold and warm, then time the queries and measure
    quality in every mode of both."""
    figures = CorpusFigures(name)
    shutil.rmtree(work, ignore_errors=True)
    store = Store(work / "store.sqlite3")
    try:
        searcher = _ingest_and_build(figures, corpus, store, embedder, work, sample)
        reference = _reference(figures, searcher, store, embedder)
    finally:
        store.close()
    texts = [q.query for q in queries]
    figures.queries = len(texts)
    engine = {m.value: _engine_search(searcher, m) for m in Mode}
    plain = {m.value: _reference_search(reference, m) for m in RefMode}

    def forget() -> None:
        """Make the next search a question asked for the first time: no ranking, page or
        query vector kept from an earlier one."""
        searcher.rankings = RankingCache()
        if isinstance(embedder, QueryCachingEmbedder):
            embedder.clear()

    for mode, search in {**engine, **plain}.items():
        figures.latency_ms[mode] = _latency(search, texts, repeat, forget)
    report = evaluate_modes(searcher, reference, queries, floor=searcher_floor(searcher))
    figures.answerable, figures.skipped = report.counts.get("all", 0), report.skipped
    figures.quality = {mode: report.table[mode].get("all", {}) for mode in report.modes}
    figures.no_answer = dict(report.no_answer.rate) if report.no_answer.questions else {}
    figures.floor = report.no_answer.floor
    return figures


def searcher_floor(searcher: Searcher) -> float | None:
    """The searcher's default relevance floor, when it has one."""
    floor = getattr(searcher, "min_relevance", None)
    return float(floor) if isinstance(floor, int | float) else None


def _ingest_and_build(
    figures: CorpusFigures,
    corpus: Path,
    store: Store,
    embedder: Embedder,
    work: Path,
    sample: int | None,
) -> Searcher:
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
    return Searcher(Snapshot.load(warm.path), embedder)


def _reference(
    figures: CorpusFigures, searcher: Searcher, store: Store, embedder: Embedder
) -> Reference:
    documents = reference_documents(searcher.catalog, store)
    cold = Reference.build(documents, embedder, store, progress=True)
    warm = Reference.build(documents, embedder, store, progress=False)
    figures.reference_chunks = warm.stats.chunks
    figures.reference_cold_s, figures.reference_warm_s = cold.stats.seconds, warm.stats.seconds
    return warm


def _engine_search(searcher: Searcher, mode: Mode) -> Callable[[str], object]:
    return lambda query: searcher.search(query, k=10, mode=mode)


def _reference_search(reference: Reference, mode: RefMode) -> Callable[[str], object]:
    return lambda query: reference.search(query, mode, k=10)


def _latency(
    search: Callable[[str], object],
    queries: list[str],
    repeat: int,
    forget: Callable[[], None] = lambda: None,
) -> tuple[float, float]:
    """(p50, p95) in ms of ``search`` over ``queries``, ``repeat`` times, after a warm-up;
    ``forget`` runs (untimed) before each search, so that no cache answers it."""
    if not queries:
        return (0.0, 0.0)
    search(queries[0])
    times = []
    for _ in range(repeat):
        for query in queries:
            forget()
            started = time.perf_counter()
            search(query)
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), percentile(times, 0.95)


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def render(results: list[CorpusFigures], embedder: Embedder) -> str:
    return "\n".join(
        [
            f"Machine: {machine()}. Embedder: `{embedder.model_id}`. "
            f"Peak memory (max RSS) of the run: {peak_memory_mb():.0f} MB.",
            "",
            *_render_builds(results),
            "",
            *_render_latency(results),
            "",
            *_render_quality(results),
        ]
    )


def _render_builds(results: list[CorpusFigures]) -> list[str]:
    lines = [
        "| corpus | docs | passages | heading + sentence vectors | cold ingest passages/s |"
        " warm-cache passages/s | warm/cold | cold build s | warm build s |"
        " reference chunks | reference cold s | reference warm s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for f in results:
        docs = f"{f.documents} (first of {f.sample_of})" if f.sample_of else str(f.documents)
        lines.append(
            f"| {f.name} | {docs} | {f.passages} | {f.sentences} | {f.cold_rate:.1f} |"
            f" {f.warm_rate:.1f} | {f.warm_rate / f.cold_rate:.1f}× | {f.cold_build_s:.1f} |"
            f" {f.warm_build_s:.1f} | {f.reference_chunks} | {f.reference_cold_s:.1f} |"
            f" {f.reference_warm_s:.1f} |"
        )
    return lines


def _render_latency(results: list[CorpusFigures]) -> list[str]:
    lines = [
        "Query latency; `ref-*` is the plain reference (150-word chunks, stemmed BM25, the same"
        " embedder, RRF k=60).",
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
    return lines


def _render_quality(results: list[CorpusFigures]) -> list[str]:
    lines = [
        "Quality on the benchmark queries (answerable questions; no-answer = share of `none`"
        " questions with nothing at or above the relevance floor).",
        "",
        "| corpus | questions | mode | " + " | ".join(METRICS) + " | no-answer |",
        "|---|---:|---|" + "---:|" * (len(METRICS) + 1),
    ]
    for f in results:
        count = f"{f.answerable}" + (f" ({f.skipped} skipped)" if f.skipped else "")
        for mode, values in f.quality.items():
            cells = " | ".join(f"{values.get(m, 0.0):.3f}" for m in METRICS)
            rate = f.no_answer.get(mode)
            answer = "–" if not f.no_answer else "n/a" if rate is None else f"{rate:.3f}"
            lines.append(f"| {f.name} | {count} | {mode} | {cells} | {answer} |")
    return lines


def queries_from(path: Path, limit: int) -> list[EvalQuery]:
    return read_queries(path)[:limit]
