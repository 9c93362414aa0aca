"""The query log and the feedback, in the store's ``query_log`` and ``feedback`` tables.

What is kept, and nothing more: the question (whitespace collapsed), when it was asked (UTC,
to the second), how many hits reached the relevance floor and the best hit's relevance, the
mode, the filters and whether it came from the page or the API; for a judgement, the
question, the passage with its document and case titles (so the insights page can name
them after the document is gone), useful or not, and the search it belongs to. No address, user agent, cookie or any
other trace of who asked.

The tables are not part of the corpus: ingest, remove and snapshot switches never touch
them. Entries older than ``VIDENSBANK_QUERY_LOG_DAYS`` are deleted by :func:`purge`.

Writes happen on the background writer (:mod:`vidensbank.querylog_writer`), never in a
search request."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .store import connect, create_schema

BUSY_TIMEOUT_MS = 500  # a log write waits at most this long for the store; then it is dropped
FEEDBACK_LINK_WINDOW = timedelta(hours=24)  # a judgement belongs to a search this recent


@dataclass(frozen=True)
class SearchEntry:
    query: str
    hits: int  # hits at or above the relevance floor
    mode: str
    filters: dict[str, object] = field(default_factory=dict)
    source: str = "api"  # "page" or "api"
    best_relevance: float | None = None  # of the best hit returned (None: no hit)


@dataclass(frozen=True)
class FeedbackEntry:
    query: str
    passage_id: str
    useful: bool
    document_id: str
    document_title: str
    case_id: str | None = None
    case_title: str | None = None


def normalise_query(text: str) -> str:
    """The question as it is logged and grouped: whitespace collapsed."""
    return " ".join(text.split())


def timestamp(moment: datetime) -> str:
    """UTC, to the second, in a form that sorts as text: ``2026-12-01T11:07:42Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now() -> datetime:
    return datetime.now(UTC)


def open_log(path: Path) -> sqlite3.Connection:
    """A connection to the store for the log, with a short busy timeout; creates the
    tables and columns an older store lacks (:func:`~vidensbank.store.create_schema`)."""
    conn = connect(path)
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    create_schema(conn)
    return conn


def record_search(conn: sqlite3.Connection, entry: SearchEntry, at: datetime) -> int:
    cursor = conn.execute(
        "INSERT INTO query_log(asked_at, query, hits, mode, filters, source, best_relevance)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            timestamp(at),
            normalise_query(entry.query),
            entry.hits,
            entry.mode,
            json.dumps(entry.filters, ensure_ascii=False, sort_keys=True),
            entry.source,
            entry.best_relevance,
        ),
    )
    return int(cursor.lastrowid or 0)


def _search_id(conn: sqlite3.Connection, query: str, at: datetime) -> int | None:
    """The latest logged search for ``query`` in the day before ``at`` (None if none)."""
    row = conn.execute(
        "SELECT id FROM query_log WHERE query = ? AND asked_at BETWEEN ? AND ?"
        " ORDER BY asked_at DESC, id DESC LIMIT 1",
        (query, timestamp(at - FEEDBACK_LINK_WINDOW), timestamp(at)),
    ).fetchone()
    return None if row is None else int(row[0])


def record_feedback(
    conn: sqlite3.Connection, entry: FeedbackEntry, at: datetime, *, link: bool = True
) -> int:
    """Store a judgement, linked to its search when ``link`` (the log is on)."""
    query = normalise_query(entry.query)
    search_id = _search_id(conn, query, at) if link else None
    cursor = conn.execute(
        "INSERT INTO feedback(given_at, query, passage_id, useful, document_id,"
        " document_title, case_id, case_title, search_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            timestamp(at),
            query,
            entry.passage_id,
            int(entry.useful),
            entry.document_id,
            entry.document_title,
            entry.case_id,
            entry.case_title,
            search_id,
        ),
    )
    return int(cursor.lastrowid or 0)


def purge(conn: sqlite3.Connection, days: int, at: datetime) -> int:
    """Delete log entries and judgements older than ``days``; returns how many."""
    cutoff = timestamp(at - timedelta(days=days))
    with conn:
        gone = conn.execute("DELETE FROM feedback WHERE given_at < ?", (cutoff,)).rowcount
        gone += conn.execute("DELETE FROM query_log WHERE asked_at < ?", (cutoff,)).rowcount
    return gone
