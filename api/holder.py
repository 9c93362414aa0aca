"""Hot snapshot swap: one reference to what is served, replaced atomically.

A poller thread (one per worker process) reads the ``current`` pointer every
``reload_interval_s``; when it names another snapshot, the new one is validated and loaded
completely and only then swapped in with a single assignment. A request takes the reference
once at its start (the ``SearcherDep`` dependency), so it never sees a mix of two snapshots,
and in-flight requests finish on the snapshot they started with (it is garbage-collected
when the last of them is done; no file of it is needed after loading).

When the current snapshot fails validation (``Snapshot.load`` checks the manifest and every
file's checksum), the newest valid snapshot is served instead: the one already loaded, or
the newest other folder on disk that loads. The log says so at ERROR level and ``/readyz``
reports ``degraded`` with the reason. A failed pointer target is not retried until the
pointer changes (``vidensbank ingest`` rebuilds it and moves the pointer)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..search.embed.base import Embedder
from ..search.searcher import Searcher, Snapshot
from ..search.snapshot import InvalidSnapshot, SnapshotError, current_path, snapshot_dirs
from ..services import query_embedder
from ..settings import Settings

log = logging.getLogger(__name__)

NO_INDEX = (
    "No search index yet: run `vidensbank ingest` (or set VIDENSBANK_DATA_DIR to the folder"
    " you ingested into)."
)


class NotReady(Exception):
    """No snapshot is loaded: none built yet, or (``damaged``) none that loads."""

    def __init__(self, message: str, *, damaged: bool = False) -> None:
        super().__init__(message)
        self.damaged = damaged


@dataclass(frozen=True)
class Fallback:
    """Why the served snapshot is not the current one."""

    failed: str  # version (folder name) of the current snapshot that failed
    reason: str  # path-free, e.g. "dense.faiss has 12 bytes, the build wrote 4141 (…)"


@dataclass(frozen=True)
class Serving:
    """What a worker serves: swapped as one reference, so readers never see a searcher with
    another snapshot's fallback state."""

    searcher: Searcher
    path: Path
    fallback: Fallback | None = None


class SnapshotHolder:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self._serving: Serving | None = None
        self._attempted: Path | None = None  # the pointer target last acted on
        self._load_lock = threading.Lock()
        # Why nothing is served (None while a snapshot is): no index yet, or (damaged) none
        # that loads. One value, so the message and the kind cannot disagree.
        self._unavailable: NotReady | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.loaded_at: float | None = None

    # ------------------------------------------------------------------ reading

    @property
    def serving(self) -> Serving | None:
        return self._serving

    @property
    def searcher(self) -> Searcher | None:
        serving = self._serving
        return serving.searcher if serving else None

    def get(self) -> Searcher:
        """The current searcher; tries one load when none is loaded yet."""
        serving = self._serving
        if serving is None:
            self.refresh()
            serving = self._serving
        if serving is None:
            problem = self._unavailable or NotReady(NO_INDEX)
            raise NotReady(str(problem), damaged=problem.damaged)
        return serving.searcher

    @property
    def last_error(self) -> str | None:
        problem = self._unavailable
        return str(problem) if problem else None

    # ------------------------------------------------------------------ loading

    def _embedder_for_queries(self) -> Embedder:
        if self._embedder is None:  # loaded once per process, shared by all snapshots
            self._embedder = query_embedder(self.settings)
        return self._embedder

    def _open(self, path: Path) -> Searcher:
        searcher = Searcher(
            Snapshot.load(path),
            self._embedder_for_queries(),
            fusion=self.settings.fusion,
            min_relevance=self.settings.min_relevance,
        )
        searcher.warm_up()  # before the swap, so no request waits for it
        return searcher

    def refresh(self) -> bool:
        """Serve the snapshot ``current`` points to, or the newest valid one when it fails
        validation. Returns True when another snapshot was swapped in. Safe to call from
        any thread."""
        path = current_path(self.settings.index_dir)
        if path is None:
            if self._serving is None:
                self._unavailable = NotReady(NO_INDEX)
            return False
        if path == self._attempted:
            return False
        with self._load_lock:
            if path == self._attempted:  # another thread acted on it meanwhile
                return False
            serving: Serving | None
            try:
                serving = Serving(self._open(path), path)
            except SnapshotError as err:
                if current_path(self.settings.index_dir) != path:
                    return False  # replaced (and maybe pruned) while loading: next poll
                serving = self._fall_back(path, err)
            self._attempted = path
            return self._swap(serving)

    def _fall_back(self, failed: Path, err: SnapshotError) -> Serving | None:
        """The newest valid snapshot other than ``failed``: the loaded one when nothing newer
        loads (it stays valid in memory even if its folder was pruned)."""
        reason = err.reason if isinstance(err, InvalidSnapshot) else str(err)
        fallback = Fallback(failed.name, reason)
        loaded = self._serving
        for candidate in snapshot_dirs(self.settings.index_dir):
            if candidate == failed:
                continue
            if loaded is not None and candidate == loaded.path:
                break  # nothing newer loads: keep what is served
            try:
                return Serving(self._open(candidate), candidate, fallback)
            except SnapshotError as other:
                log.warning("fallback snapshot %s cannot be used either: %s", candidate.name, other)
        if loaded is not None:
            return Serving(loaded.searcher, loaded.path, fallback)
        log.error(
            "Snapshot %s cannot be served (%s) and no valid snapshot is left: run"
            " `vidensbank ingest` to rebuild it.",
            failed.name,
            reason,
        )
        self._unavailable = NotReady(f"{err}", damaged=True)
        return None

    def _swap(self, serving: Serving | None) -> bool:
        if serving is None:
            return False
        previous = self._serving
        self._serving = serving  # the swap: one reference assignment
        self._unavailable = None
        fallback = serving.fallback
        if fallback is not None:
            log.error(
                "Snapshot %s is invalid (%s); serving %s instead. Run `vidensbank ingest` to"
                " rebuild it.",
                fallback.failed,
                fallback.reason,
                serving.searcher.snapshot.version,
            )
        if previous is not None and previous.searcher is serving.searcher:
            return False
        self.loaded_at = time.time()
        version = serving.searcher.snapshot.version
        was = f" (was {previous.searcher.snapshot.version})" if previous else ""
        log.info("serving snapshot %s%s", version, was)
        return True

    # ------------------------------------------------------------------ polling

    def start(self) -> None:
        """Start the poller thread (idempotent)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._poll, name="snapshot-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _poll(self) -> None:
        while not self._stop.wait(self.settings.reload_interval_s):
            try:
                self.refresh()
            except Exception:  # never let the poller die
                log.exception("snapshot poll failed")
