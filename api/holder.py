"""Hot snapshot swap: one reference to the current searcher, replaced atomically.

A poller thread (one per worker process) reads the ``current`` pointer every
``reload_interval_s``; when it names another snapshot, the new one is loaded completely
and only then swapped in with a single assignment. A request takes the reference once at
its start (the ``SearcherDep`` dependency), so it never sees a mix of two snapshots, and
in-flight requests finish on the snapshot they started with (it is garbage-collected
when the last of them is done; no file of it is needed after loading)."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from ..search.embed.base import Embedder
from ..search.searcher import Searcher, Snapshot
from ..search.snapshot import SnapshotError, current_path
from ..services import query_embedder
from ..settings import Settings

log = logging.getLogger(__name__)


class NotReady(Exception):
    """No snapshot is loaded (none built yet, or the current one could not be loaded)."""


class SnapshotHolder:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self._searcher: Searcher | None = None
        self._loaded_path: Path | None = None
        self._load_lock = threading.Lock()
        self._last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.loaded_at: float | None = None

    # ------------------------------------------------------------------ reading

    @property
    def searcher(self) -> Searcher | None:
        return self._searcher

    def get(self) -> Searcher:
        """The current searcher; tries one load when none is loaded yet."""
        searcher = self._searcher
        if searcher is None:
            self.refresh()
            searcher = self._searcher
        if searcher is None:
            raise NotReady(
                self._last_error
                or f"No search index in {self.settings.index_dir}: run `vidensbank ingest`."
            )
        return searcher

    @property
    def last_error(self) -> str | None:
        return self._last_error

    # ------------------------------------------------------------------ loading

    def _embedder_for_queries(self) -> Embedder:
        if self._embedder is None:  # loaded once per process, shared by all snapshots
            self._embedder = query_embedder(self.settings)
        return self._embedder

    def refresh(self) -> bool:
        """Load and swap in the snapshot ``current`` points to, if it is not the loaded one.
        Returns True when a new snapshot was swapped in. Safe to call from any thread."""
        path = current_path(self.settings.index_dir)
        if path is None or path == self._loaded_path:
            if path is None and self._searcher is None:
                self._last_error = (
                    f"No search index in {self.settings.index_dir}: run `vidensbank ingest`"
                    " (or set VIDENSBANK_DATA_DIR to the folder you ingested into)."
                )
            return False
        with self._load_lock:
            if path == self._loaded_path:  # another thread loaded it meanwhile
                return False
            try:
                searcher = Searcher(
                    Snapshot.load(path), self._embedder_for_queries(), fusion=self.settings.fusion
                )
            except (SnapshotError, OSError, ValueError, RuntimeError) as err:
                # e.g. the snapshot was pruned between reading the pointer and loading it;
                # keep serving the old one and try again on the next poll
                self._last_error = f"Could not load snapshot {path.name}: {err}"
                log.warning(self._last_error)
                return False
            previous = self._searcher
            self._searcher = searcher  # the swap: one reference assignment
            self._loaded_path = path
            self._last_error = None
            self.loaded_at = time.time()
        log.info(
            "serving snapshot %s%s",
            searcher.snapshot.version,
            f" (was {previous.snapshot.version})" if previous else "",
        )
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
