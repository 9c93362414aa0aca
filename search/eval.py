"""Retrieval evaluation on the two query formats in eval/, for the engine's modes and the
plain reference's (:mod:`.reference`) in one run.

Span sets: {"id","kind","query","relevant":[span, ...]} — a hit is relevant when its
passage text contains a span (case-insensitive, whitespace collapsed, markdown emphasis
dropped, typographic quotes and no-break spaces made plain).
Page sets: {"id","query","relevant_pages":[path, ...]} — a hit is relevant when its
document's source path ends with one of the paths; pages are deduplicated (each page at its
best hit) before ranking. Relevant pages that are not in the index are dropped from a
query; a query left with none is skipped and counted in :attr:`EvalReport.skipped`.

Questions with no relevant item (kind ``none``) are kept out of the ranking metrics. With a
relevance floor they give the no-answer figures (:class:`NoAnswer`).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .reference import RefMode
from .types import WEAK_RELEVANCE, Mode

if TYPE_CHECKING:
    from .reference import Reference
    from .searcher import Searcher

CUTOFFS = (1, 5, 10)
METRICS = ("R@1", "R@5", "R@10", "MRR@10", "nDCG@10")
PAGE_DEPTH = 50  # engine hits fetched for a page set, so 10 distinct pages remain after dedup
ENGINE_MODES = tuple(m.value for m in Mode)
REFERENCE_MODES = tuple(m.value for m in RefMode)
_PLAIN = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "„": '"',
        "‘": "'",
        "’": "'",
        "«": '"',
        "»": '"',
        "\u00a0": " ",
        "\u202f": " ",
        "*": None,
        "_": None,
    }
)


def normalise(text: str) -> str:
    return " ".join(text.translate(_PLAIN).casefold().split())


@dataclass(frozen=True)
class Ranked:
    """What the metrics read from one ranked hit of the engine or the reference."""

    text: str
    document_id: str
    relevance: float | None = None  # the engine's calibrated relevance, when it has one


def as_ranked(hit: Any) -> Ranked:
    """A :class:`Ranked` from an engine :class:`~.types.Hit`, a reference hit or a Ranked."""
    if isinstance(hit, Ranked):
        return hit
    document_id = getattr(hit, "document_id", None)
    if document_id is None:
        document_id = hit.document.id
    relevance = getattr(hit, "relevance", None)
    return Ranked(hit.text, document_id, None if relevance is None else float(relevance))


@dataclass
class EvalQuery:
    id: str
    query: str
    kind: str
    spans: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    format: str = "spans"  # or "pages": which field the file used

    def judge(
        self, hits: Sequence[Any], source_of: Callable[[str], str]
    ) -> list[tuple[int, ...] | None]:
        """For each hit, the relevant items it covers that no earlier hit covered (empty if
        it only repeats covered ones), or None when it is not relevant. One passage can
        cover several gold spans."""
        covered: set[int] = set()
        marks: list[tuple[int, ...] | None] = []
        for hit in map(as_ranked, hits):
            if self.spans:
                text = normalise(hit.text)
                found = [i for i, s in enumerate(self.spans) if normalise(s) in text]
            else:
                source = source_of(hit.document_id).replace("\\", "/")
                found = [i for i, p in enumerate(self.pages) if source.endswith(p)]
            marks.append(tuple(i for i in found if i not in covered) if found else None)
            covered.update(found)
        return marks

    @property
    def relevant(self) -> int:
        return len(self.spans) or len(self.pages)


def read_queries(path: Path) -> list[EvalQuery]:
    queries = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        raw = json.loads(line)
        if "relevant" not in raw and "relevant_pages" not in raw:
            raise ValueError(f"{path}:{n}: expected 'relevant' (spans) or 'relevant_pages'")
        queries.append(
            EvalQuery(
                id=str(raw.get("id", n)),
                query=raw["query"],
                kind=str(raw.get("kind") or raw.get("app") or "all"),
                spans=list(raw.get("relevant", [])),
                pages=list(raw.get("relevant_pages", [])),
                format="pages" if "relevant_pages" in raw else "spans",
            )
        )
    return queries


def dedupe_pages(hits: Sequence[Any], source_of: Callable[[str], str]) -> list[Ranked]:
    """One hit per page (source), each at its best (first) position."""
    seen, unique = set(), []
    for hit in map(as_ranked, hits):
        source = source_of(hit.document_id)
        if source not in seen:
            seen.add(source)
            unique.append(hit)
    return unique


def score_query(marks: list[tuple[int, ...] | None], relevant: int) -> dict[str, float]:
    """Recall@1/5/10, MRR@10, nDCG@10 from per-rank judgements (see :meth:`EvalQuery.judge`).

    Recall@k is the share of relevant items covered by the first k hits; MRR@10 takes the
    first relevant hit; nDCG@10 gives a hit gain 1 when it covers a new item."""
    metrics = {}
    for k in CUTOFFS:
        covered = {item for mark in marks[:k] if mark for item in mark}
        metrics[f"R@{k}"] = len(covered) / relevant
    first = next((i for i, mark in enumerate(marks[:10]) if mark is not None), None)
    metrics["MRR@10"] = 0.0 if first is None else 1 / (first + 1)
    dcg = sum(1 / math.log2(i + 2) for i, mark in enumerate(marks[:10]) if mark)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(relevant, 10)))
    metrics["nDCG@10"] = dcg / ideal if ideal else 0.0
    return metrics


@dataclass
class NoAnswer:
    """What the relevance floor does, per mode; None where it cannot be told (no floor, or
    the mode's hits carry no relevance, as the reference's never do).

    ``rate``: share of no-answer questions whose top 10 holds no hit at or above the floor.
    ``kept``: share of answerable questions with a relevant hit in the top 10 whose first
    relevant hit is at or above the floor. ``weak``: share of no-answer questions that
    get nothing or are told their results are weak (best hit below
    :data:`~.types.WEAK_RELEVANCE`, as the search page does); ``answerable_weak``: share
    of all answerable questions that get the same (nothing, or only weak results). The
    reference's modes (``ref-*``) are never given figures: it has no relevance, and an
    empty result of BM25 is no judgement."""

    floor: float | None
    questions: int
    rate: dict[str, float | None] = field(default_factory=dict)
    kept: dict[str, float | None] = field(default_factory=dict)
    weak: dict[str, float | None] = field(default_factory=dict)
    answerable_weak: dict[str, float | None] = field(default_factory=dict)


@dataclass
class EvalReport:
    modes: list[str]
    # mode -> group ("all" or a kind) -> metric -> mean, over answerable questions only
    table: dict[str, dict[str, dict[str, float]]]
    counts: dict[str, int]  # answerable questions per group
    per_query: dict[str, dict[str, dict[str, float]]]
    skipped: int = 0  # page-set questions none of whose relevant pages is in the index
    no_answer: NoAnswer = field(default_factory=lambda: NoAnswer(None, 0))
    name: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "modes": self.modes,
            "table": self.table,
            "counts": self.counts,
            "skipped": self.skipped,
            "no_answer": asdict(self.no_answer),
        }


def in_index(queries: list[EvalQuery], sources: Collection[str] | None) -> list[EvalQuery]:
    """Page-set questions reduced to their relevant pages that are in the index."""
    if sources is None:
        return queries
    plain = [s.replace("\\", "/") for s in sources]
    kept = []
    for q in queries:
        if q.pages:
            pages = [p for p in q.pages if any(s.endswith(p) for s in plain)]
            if not pages:
                continue
            q = EvalQuery(q.id, q.query, q.kind, q.spans, pages, q.format)
        kept.append(q)
    return kept


def _floor_figures(
    hits: list[Ranked], marks: list[tuple[int, ...] | None] | None, floor: float
) -> bool | None:
    """For a no-answer question (``marks`` None): whether nothing reaches the floor. For an
    answerable one: whether its first relevant hit does (None when it has none). None
    also when a hit that matters carries no relevance."""
    if marks is None:
        if any(h.relevance is None for h in hits):
            return None
        return not any(h.relevance is not None and h.relevance >= floor for h in hits)
    first = next((i for i, mark in enumerate(marks) if mark is not None), None)
    relevance = hits[first].relevance if first is not None else None
    if relevance is None:
        return None
    return relevance >= floor


def _weak(hits: list[Ranked]) -> bool | None:
    """Whether the page would say nothing or only weak results (None: no relevance)."""
    if any(h.relevance is None for h in hits):
        return None
    return max((h.relevance or 0.0 for h in hits), default=0.0) < WEAK_RELEVANCE


def _share(values: list[bool | None], expected: int) -> float | None:
    known = [v for v in values if v is not None]
    if not known or (expected and len(known) < expected):
        return None
    return sum(known) / len(known)


def evaluate(
    queries: list[EvalQuery],
    search: Callable[[str, Any], Sequence[Any]],
    source_of: Callable[[str], str],
    modes: Iterable[Mode | str] = tuple(Mode),
    *,
    floor: float | None = None,
    indexed_sources: Collection[str] | None = None,
    name: str = "",
) -> EvalReport:
    """Metrics for every mode: ``search(query, mode)`` returns best-first hits (engine
    hits, reference hits or :class:`Ranked`). ``indexed_sources`` (the index's document
    sources) lets page-set questions whose pages are absent be skipped."""
    modes = [str(m) for m in modes]
    usable = in_index(queries, indexed_sources)
    answerable = [q for q in usable if q.relevant]
    unanswerable = [q for q in usable if not q.relevant]
    counts: dict[str, int] = defaultdict(int)
    for q in answerable:
        counts[q.kind] += 1
    counts["all"] = len(answerable)
    report = EvalReport(
        modes=modes,
        table={},
        counts=dict(counts),
        per_query={q.id: {} for q in answerable},
        skipped=len(queries) - len(usable),
        no_answer=NoAnswer(floor, len(unanswerable)),
        name=name,
    )
    for mode in modes:
        kept = _rank_mode(report, mode, answerable, search, source_of)
        answer = report.no_answer
        if floor is None or mode in REFERENCE_MODES:  # the reference has no relevance
            answer.rate[mode] = answer.kept[mode] = None
            answer.weak[mode] = answer.answerable_weak[mode] = None
            continue
        tops = [[as_ranked(h) for h in search(q.query, mode)][:10] for q in unanswerable]
        above = [[h for h in top if (h.relevance or 0.0) >= floor] for top in tops]
        answer.rate[mode] = _share([_floor_figures(t, None, floor) for t in tops], len(tops))
        answer.weak[mode] = _share([_weak(t) for t in above], len(tops))
        answer.kept[mode] = _share([_floor_figures(hits, marks, floor) for hits, marks in kept], 0)
        answer.answerable_weak[mode] = _share(
            [_weak([h for h in hits if (h.relevance or 0.0) >= floor]) for hits, _ in kept], 0
        )
    return report


Judged = tuple[list[Ranked], list[tuple[int, ...] | None]]


def _rank_mode(
    report: EvalReport,
    mode: str,
    answerable: list[EvalQuery],
    search: Callable[[str, Any], Sequence[Any]],
    source_of: Callable[[str], str],
) -> list[Judged]:
    """Fill ``report``'s table and per-query figures for ``mode``; return each question's
    top 10 with its judgements (for the floor figures)."""
    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    judged: list[Judged] = []
    for q in answerable:
        hits = [as_ranked(h) for h in search(q.query, mode)]
        if q.format == "pages":
            hits = dedupe_pages(hits, source_of)
        marks = q.judge(hits[:10], source_of)
        metrics = score_query(marks, q.relevant)
        report.per_query[q.id][mode] = metrics
        for group in ("all", q.kind):
            for metric, value in metrics.items():
                sums[group][metric] += value
        judged.append((hits[:10], marks))
    report.table[mode] = {
        g: {m: v / report.counts[g] for m, v in ms.items()} for g, ms in sums.items()
    }
    return judged


def default_modes(reference: Reference | None) -> list[str]:
    return [*ENGINE_MODES, *(REFERENCE_MODES if reference is not None else ())]


def evaluate_modes(
    searcher: Searcher,
    reference: Reference | None,
    queries: list[EvalQuery],
    modes: Iterable[Mode | RefMode | str] | None = None,
    *,
    floor: float | None = None,
    name: str = "",
) -> EvalReport:
    """The engine's modes and the reference's (``ref-*``) on ``queries``, over the
    searcher's snapshot. Engine hits are fetched without a floor (``min_relevance=0``), so ranking is judged whole and ``floor`` is applied here."""
    modes = [str(m) for m in modes] if modes is not None else default_modes(reference)
    documents = searcher.catalog.documents
    pages = any(q.format == "pages" for q in queries)
    depth = PAGE_DEPTH if pages else 10

    def search(query: str, mode: str) -> Sequence[Any]:
        if mode in REFERENCE_MODES:
            if reference is None:
                raise ValueError(f"Mode {mode} needs the plain reference; build one first")
            return reference.search(query, mode, k=10, pages=pages)
        return searcher.search(query, k=depth, mode=Mode(mode), min_relevance=0.0).results

    return evaluate(
        queries,
        search,
        lambda doc_id: documents[doc_id].source,
        modes,
        floor=floor,
        indexed_sources=[d.source for d in documents.values()],
        name=name,
    )


def _cell(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def format_report(report: EvalReport) -> str:
    """One row per (group, mode), one column per metric; modes of a group side by side;
    then the skipped and no-answer figures."""
    groups = ["all", *sorted(g for g in report.counts if g != "all")]
    width = max(len(g) for g in groups) + 2
    mode_width = max(8, *(len(m) + 2 for m in report.modes))
    if not report.counts["all"]:  # only no-answer questions: nothing to rank
        groups = []
    header = f"{'group':<{width}}{'n':>5}  {'mode':<{mode_width}}" + "".join(
        f"{m:>9}" for m in METRICS
    )
    lines = [header] if groups else []
    for group in groups:
        for mode in report.modes:
            values = report.table[mode].get(group, {})
            cells = "".join(f"{values.get(m, 0.0):>9.3f}" for m in METRICS)
            lines.append(f"{group:<{width}}{report.counts[group]:>5}  {mode:<{mode_width}}{cells}")
    if report.skipped:
        lines.append(f"skipped: {report.skipped} questions with no relevant page in the index")
    answer = report.no_answer
    if answer.questions:
        floor = "n/a (no relevance floor set)" if answer.floor is None else f"{answer.floor:g}"
        lines.append(f"no-answer questions: {answer.questions}; floor: {floor}")
        for mode in report.modes:
            lines.append(
                f"  {mode:<{mode_width}}nothing above the floor: {_cell(answer.rate.get(mode))}"
                f"   answerable keeping their first relevant hit: {_cell(answer.kept.get(mode))}"
            )
            if answer.weak.get(mode) is not None:
                lines.append(
                    f"  {'':<{mode_width}}nothing or only weak results: {_cell(answer.weak[mode])}"
                    "   answerable getting the same:"
                    f" {_cell(answer.answerable_weak.get(mode))}"
                )
    return "\n".join(lines)


def format_side_by_side(
    reports: Sequence[EvalReport], metrics: Sequence[str] = ("R@1", "MRR@10", "nDCG@10")
) -> str:
    """Overall figures of several files (e.g. dev and heldout), one column block per file."""
    modes = list(dict.fromkeys(m for r in reports for m in r.modes))
    heads = [f"{r.name} (n={r.counts.get('all', 0)})" for r in reports]
    cell = max(8, *(-(-(len(h) + 1) // len(metrics)) for h in heads))  # a head fits its block
    mode_width = max(12, *(len(m) + 2 for m in modes))
    lines = [" " * mode_width + "".join(f"{h:>{cell * len(metrics) + 3}}" for h in heads)]
    lines.append(
        f"{'mode':<{mode_width}}"
        + ("   " + "".join(f"{m:>{cell}}" for m in metrics)) * len(reports)
    )
    for mode in modes:
        row = f"{mode:<{mode_width}}"
        for r in reports:
            values = r.table.get(mode, {}).get("all")
            row += "   " + "".join(
                f"{values[m]:>{cell}.3f}" if values else f"{'-':>{cell}}" for m in metrics
            )
        lines.append(row)
    return "\n".join(lines)
