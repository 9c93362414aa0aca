"""The background writer of the query log: searches never wait for the store.

A search puts its entry on a bounded queue and goes on; one thread per server process
writes the entries with a short busy timeout. When the queue is full, the store is busy
or the disk is full, the entry is dropped and one line is logged: the log is a nicety and
must never slow or break a search. Judgements go through the same queue (so they see the
search they belong to) and their caller waits for the result.

Search-as-you-type: the page's script marks its requests as *live*. A live question is
held back, in memory, until the person has stopped typing for ``settle_s`` seconds; a newer
question from the same client replaces it, so "hvo", "hvordan u" … never reach the log, only
the question that was finally read. The client address is a key of that in-memory map and
nothing else; it is never written.

Retention: entries older than ``days`` are deleted when the writer starts and then every
``purge_every_s`` seconds."""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from . import querylog
from .querylog import FeedbackEntry, SearchEntry

log = logging.getLogger(__name__)

SETTLE_S = 4.0
PURGE_EVERY_S = 3600.0
MAX_QUEUE = 1000


class FeedbackNotStored(Exception):
    """The store could not take the judgement now (busy, full disk, writer stopped)."""


@dataclass
class _Search:
    entry: SearchEntry
    at: datetime
    client: str | None
    live: bool


@dataclass
class _Feedback:
    entry: FeedbackEntry
    at: datetime
    client: str | None
    done: Future[int]


@dataclass
class _Flush:
    done: threading.Event


_STOP = object()


class QueryLogWriter:
    def __init__(
        self,
        path: Path,
        *,
        enabled: bool = True,
        days: int = 180,
        settle_s: float = SETTLE_S,
        purge_every_s: float = PURGE_EVERY_S,
        max_queue: int = MAX_QUEUE,
    ) -> None:
        self.path = path
        self.enabled = enabled
        self.days = days
        self.settle_s = settle_s
        self.purge_every_s = purge_every_s
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max_queue)
        self._pending: dict[str, tuple[float, _Search]] = {}
        self._conn: sqlite3.Connection | None = None
        self._thread: threading.Thread | None = None
        self._next_purge = 0.0
        self._users = 0
        self._users_lock = threading.Lock()

    # ------------------------------------------------------------------ callers' side

    def start(self) -> None:
        """Start the thread; counted, so one app served twice (a test client and a
        server) keeps its writer until the last one stops."""
        with self._users_lock:
            self._users += 1
            self._ensure_thread()

    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="query-log", daemon=True)
            self._thread.start()

    def _started(self) -> bool:
        """Start on first use when no lifespan started the writer (an app driven without
        one, as some test clients do); the daemon thread then ends with the process."""
        if self._thread is None:
            with self._users_lock:
                self._ensure_thread()
        return True

    def stop(self, timeout: float = 5.0) -> None:
        """Write what is queued and held back, then end the thread (at the last stop)."""
        with self._users_lock:
            self._users = max(0, self._users - 1)
            if self._users or self._thread is None:
                return
            self._put(_STOP, block=True)
            self._thread.join(timeout)
            self._thread = None

    def log_search(
        self, entry: SearchEntry, *, client: str | None = None, live: bool = False
    ) -> None:
        """Queue a search (nothing when the log is off). Never raises, never blocks."""
        if self.enabled and self._started():
            self._put(_Search(entry, querylog.now(), client, live and client is not None))

    def add_feedback(
        self, entry: FeedbackEntry, *, client: str | None = None, timeout: float = 3.0
    ) -> int:
        """Store a judgement and return its row id; raises :class:`FeedbackNotStored`."""
        done: Future[int] = Future()
        if not (self._started() and self._put(_Feedback(entry, querylog.now(), client, done))):
            raise FeedbackNotStored("the query log writer is full")
        try:
            return done.result(timeout)
        except Exception as err:
            raise FeedbackNotStored(str(err)) from None

    def flush(self, timeout: float = 10.0) -> bool:
        """Write everything queued, held-back live questions included (tests, shutdown)."""
        done = threading.Event()
        return self._started() and self._put(_Flush(done), block=True) and done.wait(timeout)

    def _put(self, item: object, *, block: bool = False) -> bool:
        try:
            self._queue.put(item, block=block, timeout=5.0 if block else None)
        except queue.Full:
            log.warning("query log: queue full, an entry was dropped")
            return False
        return True

    # ------------------------------------------------------------------ writer thread

    def _run(self) -> None:
        while True:
            self._purge_if_due()
            try:
                item = self._queue.get(timeout=self._wait())
            except queue.Empty:
                item = None
            if item is _STOP:
                self._write_pending(all_of_them=True)
                break
            self._handle(item)
            self._write_pending()
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _wait(self) -> float:
        if not self._pending:
            return 1.0
        first = min(deadline for deadline, _ in self._pending.values())
        return max(0.05, min(1.0, first - time.monotonic()))

    def _handle(self, item: object) -> None:
        if isinstance(item, _Search):
            if item.client is not None:
                self._pending.pop(item.client, None)  # superseded by the newer question
            if item.live and item.client is not None:
                self._pending[item.client] = (time.monotonic() + self.settle_s, item)
            else:
                self._write_search(item)
        elif isinstance(item, _Feedback):
            if item.client is not None and item.client in self._pending:
                self._write_search(self._pending.pop(item.client)[1])
            self._write_feedback(item)
        elif isinstance(item, _Flush):
            self._write_pending(all_of_them=True)
            item.done.set()

    def _write_pending(self, *, all_of_them: bool = False) -> None:
        moment = time.monotonic()
        for client, (deadline, search) in list(self._pending.items()):
            if all_of_them or deadline <= moment:
                del self._pending[client]
                self._write_search(search)

    def _write_search(self, item: _Search) -> None:
        self._write(lambda conn: querylog.record_search(conn, item.entry, item.at), "search")

    def _write_feedback(self, item: _Feedback) -> None:
        def write(conn: sqlite3.Connection) -> int:
            link = self.enabled
            return querylog.record_feedback(conn, item.entry, item.at, link=link)

        row = self._write(write, "feedback")
        if row is None:
            item.done.set_exception(FeedbackNotStored("the store is busy or full"))
        else:
            item.done.set_result(row)

    def _purge_if_due(self) -> None:
        if time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + self.purge_every_s
        if self._conn is None and not self.path.exists():
            return  # no store yet (nothing ingested): nothing to purge, nothing to create
        gone = self._write(lambda conn: querylog.purge(conn, self.days, querylog.now()), "purge")
        if gone:
            log.info("query log: %d entries older than %d days deleted", gone, self.days)

    def _write(self, action: Callable[[sqlite3.Connection], int], what: str) -> int | None:
        """Run ``action(conn)`` in one transaction; on any store error log one line, drop
        the entry and return None."""
        try:
            if self._conn is None:
                self._conn = querylog.open_log(self.path)
            with self._conn:
                return int(action(self._conn))
        except (sqlite3.Error, OSError) as err:
            log.warning("query log: %s not written (%s)", what, err)
            if self._conn is not None and isinstance(err, sqlite3.DatabaseError):
                self._close_quietly()
            return None

    def _close_quietly(self) -> None:
        try:
            if self._conn is not None:
                self._conn.close()
        except sqlite3.Error:
            pass
        self._conn = None
