"""Out of disk space as one domain error.

A write that runs out of space surfaces in three shapes: ``OSError`` (ENOSPC, EFBIG when a
file-size limit is hit, EDQUOT), ``sqlite3.OperationalError`` ("database or disk is full")
and faiss's ``RuntimeError`` (whose message ends in the C library's text, e.g. "(No space
left on device)"). ``disk_full_errors`` turns each into ``DiskFull``, so the edges (CLI,
API) catch one type. Nothing needs repairing afterwards: store writes are SQLite
transactions, and a snapshot build that fails removes its temporary folder and leaves
``current`` as it was."""

from __future__ import annotations

import errno
import os
import resource
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})
FULL_TEXTS = tuple(os.strerror(code) for code in sorted(FULL_ERRNOS))
# SQLite reports some out-of-space writes as I/O errors (Python does not expose the errno):
# growing the WAL index (-shm) always means space ran out; a failed write or truncate does
# when the disk has (almost) no room left, or when a file-size limit is set (EFBIG).
SQLITE_SHM_FULL = sqlite3.SQLITE_IOERR_SHMSIZE
SQLITE_WRITE_ERRORS = frozenset({sqlite3.SQLITE_IOERR_WRITE, sqlite3.SQLITE_IOERR_TRUNCATE})
NEARLY_FULL_BYTES = 1 << 20


class DiskFull(Exception):
    """A write failed for lack of space (or a file-size limit); the message says how to
    fix it."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(
            f"Out of disk space ({detail}); the store and the search index are as they were"
            " before the failed write. Free space on the disk that holds VIDENSBANK_DATA_DIR"
            " (or move it to a larger disk) and run the command again."
        )


def full_disk_detail(err: BaseException, where: Path | None = None) -> str | None:
    """A short description when ``err`` (or an exception it was raised from) means the disk
    or a file-size limit is full, else None. ``where`` (a folder on the disk written to)
    lets an SQLite write error count as full when that disk has under 1 MiB free."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        detail = _own_detail(current, where)
        if detail:
            return detail
        current = current.__cause__ or current.__context__
    return None


def _own_detail(err: BaseException, where: Path | None) -> str | None:
    if isinstance(err, OSError) and err.errno in FULL_ERRNOS:
        return os.strerror(err.errno)
    if isinstance(err, sqlite3.Error):
        code = getattr(err, "sqlite_errorcode", None)
        if code == sqlite3.SQLITE_FULL or "database or disk is full" in str(err):
            return "database or disk is full"
        if code == SQLITE_SHM_FULL or (code in SQLITE_WRITE_ERRORS and _nearly_full(where)):
            return "database or disk is full"
        if code in SQLITE_WRITE_ERRORS and _file_size_limited():
            return f"{os.strerror(errno.EFBIG)}: a file-size limit (ulimit -f) is set"
    if isinstance(err, RuntimeError):  # faiss: "... (No space left on device)"
        return next((text for text in FULL_TEXTS if text in str(err)), None)
    return None


def _nearly_full(where: Path | None) -> bool:
    if where is None:
        return False
    try:
        stats = os.statvfs(where)
    except OSError:
        return False
    return stats.f_bavail * stats.f_frsize < NEARLY_FULL_BYTES


def _file_size_limited() -> bool:
    soft, _hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    return soft != resource.RLIM_INFINITY


@contextmanager
def disk_full_errors(where: Path | None = None) -> Iterator[None]:
    """Raise DiskFull for a full-disk error inside the block; other errors pass unchanged.
    ``where``: a folder on the disk the block writes to (see ``full_disk_detail``)."""
    try:
        yield
    except (OSError, sqlite3.Error, RuntimeError) as err:
        detail = full_disk_detail(err, where)
        if detail is None:
            raise
        raise DiskFull(detail) from err
