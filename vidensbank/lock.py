"""One writer at a time: an exclusive lock on ``<data dir>/ingest.lock`` (``filelock``).

The lock is an OS lock on an open file, so it is released when the holder exits, also
when it is killed. Who holds it is kept in ``ingest.owner`` next to it (the pid), for the
CLI's message; the lock file itself is never read, because some filelock versions
truncate it when they open it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

LOCK_NAME = "ingest.lock"
OWNER_NAME = "ingest.owner"


class LockBusy(Exception):
    """Another write (an ingest, an upload, a removal) holds the lock.

    ``str(err)`` is safe to show to anyone (no pid, no path); ``holder`` and
    ``data_dir`` are for the operator's command line."""

    def __init__(self, holder: str, data_dir: Path) -> None:
        super().__init__(
            "Another ingest or upload is running; wait for it to finish and try again."
        )
        self.holder = holder
        self.data_dir = data_dir

    def for_operator(self) -> str:
        """The message with the holder's pid and the data dir, for the CLI."""
        return (
            f"Another ingest is running (pid {self.holder}) on {self.data_dir}; wait for it"
            " to finish and run this again."
        )


@contextmanager
def writer_lock(data_dir: Path, *, wait_s: float | None = 0.0) -> Iterator[None]:
    """Hold the writer lock of ``data_dir``. Waits up to ``wait_s`` seconds for another
    holder (``None``: as long as it takes), then raises :class:`LockBusy`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(data_dir / LOCK_NAME, thread_local=False)
    try:
        lock.acquire(timeout=-1 if wait_s is None else max(wait_s, 0.0), poll_interval=0.02)
    except Timeout:
        raise LockBusy(_holder(data_dir), data_dir) from None
    try:
        (data_dir / OWNER_NAME).write_text(str(os.getpid()), encoding="utf-8")
        yield
    finally:
        lock.release()


def _holder(data_dir: Path) -> str:
    try:
        return (data_dir / OWNER_NAME).read_text(encoding="utf-8").strip() or "unknown"
    except OSError:
        return "unknown"
