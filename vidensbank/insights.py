"""What the query log says about a period: the questions asked most, the questions with
no sure answer or only weak results, and the results judged not useful. Read by the
``/indsigt`` page.

Questions are counted together when they differ only in case and spacing ("Udsættelser"
and "udsættelser "); the wording asked most often is the one shown. A question has "no
sure answer" when no hit reached the relevance floor (``hits`` = 0 in the log), and "only
weak results" when hits did but the best was below
:data:`~vidensbank.search.types.WEAK_RELEVANCE` (searches logged before the best
relevance was kept count as neither)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from .querylog import timestamp
from .search.types import WEAK_RELEVANCE
from .store import connect, table_columns

TOP = 25  # rows per table


@dataclass(frozen=True)
class Period:
    start: datetime  # inclusive, UTC
    end: datetime  # exclusive, UTC

    @classmethod
    def last_days(cls, days: int, now: datetime) -> Period:
        return cls(now - timedelta(days=days), now + timedelta(seconds=1))

    @classmethod
    def dates(cls, first: date, last: date) -> Period:
        """From the start of ``first`` to the end of ``last`` (UTC days)."""
        start = datetime.combine(first, time.min, tzinfo=UTC)
        return cls(start, datetime.combine(last, time.min, tzinfo=UTC) + timedelta(days=1))

    @property
    def bounds(self) -> tuple[str, str]:
        return timestamp(self.start), timestamp(self.end)


@dataclass
class Question:
    query: str
    count: int
    no_answer: int = 0
    weak: int = 0  # asked with hits above the floor, but only weak ones
    last_asked: str = ""

    @property
    def no_answer_share(self) -> float:
        return self.no_answer / self.count if self.count else 0.0


@dataclass
class NotUseful:
    query: str
    passage_id: str
    document_title: str
    case_title: str | None
    count: int
    last_given: str


@dataclass
class Insights:
    period: Period
    searches: int = 0
    searches_no_answer: int = 0
    searches_weak: int = 0
    useful: int = 0
    not_useful: int = 0
    top: list[Question] = field(default_factory=list)
    no_answer: list[Question] = field(default_factory=list)
    not_useful_results: list[NotUseful] = field(default_factory=list)


def group_key(query: str) -> str:
    return " ".join(query.casefold().split())


def _merge(rows: Iterable[sqlite3.Row]) -> list[Question]:
    """Rows of (query, n, none, weak, last) merged by :func:`group_key`; the most asked
    wording names the group. Sorted by count, then by last asked."""
    groups: dict[str, Question] = {}
    wording: dict[str, int] = {}
    for query, n, none, weak, last in rows:
        key = group_key(query)
        group = groups.setdefault(key, Question(query, 0))
        if n > wording.get(key, 0):
            wording[key] = n
            group.query = query
        group.count += n
        group.no_answer += none
        group.weak += weak
        group.last_asked = max(group.last_asked, last)
    recent_first = sorted(groups.values(), key=lambda q: q.last_asked, reverse=True)
    return sorted(recent_first, key=lambda q: q.count, reverse=True)


def _weak(conn: sqlite3.Connection) -> str:
    """SQL that is 1 for a logged search with only weak results (0 in a store whose log
    predates the best relevance)."""
    if "best_relevance" not in table_columns(conn, "query_log"):
        return "0"
    return f"COALESCE(hits > 0 AND best_relevance < {WEAK_RELEVANCE!r}, 0)"


def _questions(
    conn: sqlite3.Connection, period: Period, weak: str, *, unanswered_only: bool
) -> list[Question]:
    """Every question of the period, or only those asked with no sure answer or only weak
    results (counted as often as they were asked so); ``weak`` is :func:`_weak`'s SQL."""
    where = "asked_at >= ? AND asked_at < ?"
    if unanswered_only:
        where += f" AND (hits = 0 OR {weak})"
    rows = conn.execute(
        f"SELECT query, COUNT(*), SUM(hits = 0), SUM({weak}), MAX(asked_at) FROM query_log"
        f" WHERE {where} GROUP BY query",
        period.bounds,
    )
    return _merge(rows)


def _not_useful(conn: sqlite3.Connection, period: Period) -> list[NotUseful]:
    rows = conn.execute(
        "SELECT query, passage_id, MAX(document_title), MAX(case_title), COUNT(*),"
        " MAX(given_at) FROM feedback WHERE useful = 0 AND given_at >= ? AND given_at < ?"
        " GROUP BY query, passage_id",
        period.bounds,
    )
    merged: dict[tuple[str, str], NotUseful] = {}
    for query, passage_id, document, case, n, last in rows:
        key = (group_key(query), passage_id)
        item = merged.setdefault(key, NotUseful(query, passage_id, document, case, 0, last))
        item.count += n
        item.last_given = max(item.last_given, last)
    recent_first = sorted(merged.values(), key=lambda r: r.last_given, reverse=True)
    return sorted(recent_first, key=lambda r: r.count, reverse=True)


def _totals(conn: sqlite3.Connection, period: Period, weak_sql: str, report: Insights) -> None:
    searches, none, weak = conn.execute(
        f"SELECT COUNT(*), COALESCE(SUM(hits = 0), 0), COALESCE(SUM({weak_sql}), 0)"
        " FROM query_log WHERE asked_at >= ? AND asked_at < ?",
        period.bounds,
    ).fetchone()
    useful, not_useful = conn.execute(
        "SELECT COALESCE(SUM(useful = 1), 0), COALESCE(SUM(useful = 0), 0) FROM feedback"
        " WHERE given_at >= ? AND given_at < ?",
        period.bounds,
    ).fetchone()
    report.searches, report.searches_no_answer = int(searches), int(none)
    report.searches_weak = int(weak)
    report.useful, report.not_useful = int(useful), int(not_useful)


def read_insights(conn: sqlite3.Connection, period: Period, top: int = TOP) -> Insights:
    report = Insights(period)
    weak = _weak(conn)  # the log's columns are read once
    _totals(conn, period, weak, report)
    report.top = _questions(conn, period, weak, unanswered_only=False)[:top]
    report.no_answer = _questions(conn, period, weak, unanswered_only=True)[:top]
    report.not_useful_results = _not_useful(conn, period)[:top]
    return report


def insights_for(store_path: Path, period: Period, top: int = TOP) -> Insights:
    """The insights of ``period`` from the store at ``store_path`` (empty without one, or
    in a store from before the query log)."""
    if not store_path.exists():
        return Insights(period)
    conn = connect(store_path, readonly=True)
    try:
        conn.execute("PRAGMA busy_timeout=2000")
        return read_insights(conn, period, top)
    except sqlite3.OperationalError as err:
        if "no such table" in str(err):
            return Insights(period)
        raise
    finally:
        conn.close()
