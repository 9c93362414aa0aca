"""Retrieval evaluation on the two query formats in eval/.

Span sets: {"id","kind","query","relevant":[span, ...]} — a hit is relevant when its
passage text contains a span (case-insensitive, whitespace collapsed, markdown emphasis
dropped, typographic quotes and no-break spaces made plain).
Page sets: {"id","query","relevant_pages":[path, ...]} — a hit is relevant when its
document's source path ends with one of the paths; pages are deduplicated before ranking.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .types import Hit, Mode

CUTOFFS = (1, 5, 10)
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


@dataclass
class EvalQuery:
    id: str
    query: str
    kind: str
    spans: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)

    def judge(
        self, hits: list[Hit], source_of: Callable[[str], str]
    ) -> list[tuple[int, ...] | None]:
        """For each hit, the relevant items it covers that no earlier hit covered (empty if
        it only repeats covered ones), or None when it is not relevant. One passage can
        cover several gold spans."""
        covered: set[int] = set()
        marks: list[tuple[int, ...] | None] = []
        for hit in hits:
            if self.spans:
                text = normalise(hit.text)
                found = [i for i, s in enumerate(self.spans) if normalise(s) in text]
            else:
                source = source_of(hit.document.id).replace("\\", "/")
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
            )
        )
    return queries


def dedupe_pages(hits: list[Hit], source_of: Callable[[str], str]) -> list[Hit]:
    seen, unique = set(), []
    for hit in hits:
        source = source_of(hit.document.id)
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
class EvalReport:
    modes: list[str]
    # mode -> group ("all" or a kind) -> metric -> mean
    table: dict[str, dict[str, dict[str, float]]]
    counts: dict[str, int]
    per_query: dict[str, dict[str, dict[str, float]]]


def evaluate(
    queries: list[EvalQuery],
    search: Callable[[str, Mode], list[Hit]],
    source_of: Callable[[str], str],
    modes: Iterable[Mode] = tuple(Mode),
) -> EvalReport:
    modes = list(modes)
    table: dict[str, dict[str, dict[str, float]]] = {}
    per_query: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    counts: dict[str, int] = defaultdict(int)
    for q in queries:
        counts[q.kind] += 1
    counts["all"] = len(queries)
    for mode in modes:
        sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for q in queries:
            hits = search(q.query, mode)
            if q.pages:
                hits = dedupe_pages(hits, source_of)
            metrics = score_query(q.judge(hits[:10], source_of), q.relevant)
            per_query[q.id][mode.value] = metrics
            for group in ("all", q.kind):
                for name, value in metrics.items():
                    sums[group][name] += value
        table[mode.value] = {g: {m: v / counts[g] for m, v in ms.items()} for g, ms in sums.items()}
    return EvalReport([m.value for m in modes], table, dict(counts), dict(per_query))


def format_report(report: EvalReport) -> str:
    """One row per (group, mode), one column per metric; modes of a group side by side."""
    metrics = ["R@1", "R@5", "R@10", "MRR@10", "nDCG@10"]
    groups = ["all", *sorted(g for g in report.counts if g != "all")]
    width = max(len(g) for g in groups) + 2
    lines = [f"{'group':<{width}}{'n':>5}  {'mode':<8}" + "".join(f"{m:>9}" for m in metrics)]
    for group in groups:
        for mode in report.modes:
            values = report.table[mode].get(group, {})
            cells = "".join(f"{values.get(m, 0.0):>9.3f}" for m in metrics)
            lines.append(f"{group:<{width}}{report.counts[group]:>5}  {mode:<8}{cells}")
    return "\n".join(lines)
