"""Fusing ranked candidate lists from several retrievers into one ranking.

Each retriever contributes a best-first list of ``(id, score)`` pairs, e.g.
``{"dense": [(12, 0.83), ...], "lexical": [(40, 7.1), ...]}``; feed deeper lists than the
page shows (top 100 each), since fusion can promote items ranked low by one retriever.

Strategies (see :data:`STRATEGIES`):

* ``rrf``: reciprocal rank fusion, ``sum_r w_r / (k + rank_r)`` with 1-based ranks;
  ``k`` (default 60) damps the head of each list. Scores are ignored, only ranks count.
* ``convex``: min-max normalise each list's scores to [0, 1] (a list whose scores are all
  equal normalises to 1), then ``sum_r w_r * norm_r / sum_r w_r``; a missing item counts 0.
* ``learned`` (the searcher's default): every item's score is its calibrated relevance,
  given as ``relevance={id: probability}`` (see :mod:`.relevance`); list scores and weights
  are ignored, lists only supply the items and break ties. Unlike min-max normalisation it
  keeps absolute evidence, so the best item of a query with no answer scores low.

Weights default to 1.0 per retriever; weights for retrievers absent from ``lists`` are
ignored (a mode may run only some retrievers). Ties in the fused score are broken by the
best rank an item got in any list, then by first appearance (lists in mapping order).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Candidates = Sequence[tuple[Hashable, float]]


@dataclass(frozen=True)
class FusedResult:
    """One fused item: its id, fused score, and its 1-based rank in each list it was in."""

    id: Hashable
    score: float
    ranks: dict[str, int] = field(default_factory=dict)


Strategy = Callable[..., list[FusedResult]]


@dataclass
class _Entry:
    first_seen: int
    ranks: dict[str, int] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)


def _collect(lists: Mapping[str, Candidates]) -> dict[Hashable, _Entry]:
    """Rank and score per retriever for every id; a repeated id keeps its best rank."""
    entries: dict[Hashable, _Entry] = {}
    for name, candidates in lists.items():
        for position, (item, score) in enumerate(candidates, start=1):
            entry = entries.setdefault(item, _Entry(first_seen=len(entries)))
            if name not in entry.ranks:
                entry.ranks[name] = position
                entry.scores[name] = float(score)
    return entries


def _weights(
    lists: Mapping[str, Candidates], weights: Mapping[str, float] | None
) -> dict[str, float]:
    resolved = {name: 1.0 for name in lists}
    for name, weight in (weights or {}).items():
        if weight < 0:
            raise ValueError(f"Fusion weight for {name!r} must be >= 0, got {weight}")
        if name in resolved:
            resolved[name] = float(weight)
    return resolved


def _ranked(entries: dict[Hashable, _Entry], scores: dict[Hashable, float]) -> list[FusedResult]:
    order = sorted(
        entries,
        key=lambda item: (
            -scores[item],
            min(entries[item].ranks.values()),
            entries[item].first_seen,
        ),
    )
    return [FusedResult(item, scores[item], dict(entries[item].ranks)) for item in order]


def rrf(
    lists: Mapping[str, Candidates],
    weights: Mapping[str, float] | None = None,
    *,
    k: float = 60,
) -> list[FusedResult]:
    """Reciprocal rank fusion: ``sum_r w_r / (k + rank_r)``."""
    if k < 0:
        raise ValueError(f"RRF constant k must be >= 0, got {k}")
    resolved = _weights(lists, weights)
    entries = _collect(lists)
    scores = {
        item: sum(resolved[name] / (k + rank) for name, rank in entry.ranks.items())
        for item, entry in entries.items()
    }
    return _ranked(entries, scores)


def convex(
    lists: Mapping[str, Candidates],
    weights: Mapping[str, float] | None = None,
) -> list[FusedResult]:
    """Weighted mean of min-max normalised scores (missing from a list counts 0)."""
    resolved = _weights(lists, weights)
    total = sum(resolved.values())
    entries = _collect(lists)
    bounds: dict[str, tuple[float, float]] = {}
    for name in lists:
        values = [e.scores[name] for e in entries.values() if name in e.scores]
        if values:
            bounds[name] = (min(values), max(values))

    def normalised(name: str, score: float) -> float:
        low, high = bounds[name]
        return 1.0 if high == low else (score - low) / (high - low)

    scores = {
        item: (
            sum(resolved[name] * normalised(name, s) for name, s in entry.scores.items()) / total
            if total > 0
            else 0.0
        )
        for item, entry in entries.items()
    }
    return _ranked(entries, scores)


def learned(
    lists: Mapping[str, Candidates],
    weights: Mapping[str, float] | None = None,
    *,
    relevance: Mapping[Hashable, float],
) -> list[FusedResult]:
    """Rank by a relevance computed outside (an item missing from ``relevance`` scores 0)."""
    entries = _collect(lists)
    scores = {item: float(relevance.get(item, 0.0)) for item in entries}
    return _ranked(entries, scores)


STRATEGIES: dict[str, Strategy] = {"rrf": rrf, "convex": convex, "learned": learned}


def fuse(
    lists: Mapping[str, Candidates],
    strategy: str = "rrf",
    weights: Mapping[str, float] | None = None,
    **params: Any,
) -> list[FusedResult]:
    """Fuse ``lists`` with the named strategy; ``params`` go to it (e.g. ``k`` for rrf)."""
    try:
        function = STRATEGIES[strategy]
    except KeyError:
        known = ", ".join(sorted(STRATEGIES))
        raise ValueError(f"Unknown fusion strategy {strategy!r}; known: {known}") from None
    return function(lists, weights, **params)
