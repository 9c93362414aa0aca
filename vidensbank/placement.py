"""Putting files in place for a write: staged under a unique hidden name, renamed into
place, and undone when the write fails before the store took the new files."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .ingest.linked.provenance import write_atomic


class Placement:
    """Files put in place by :func:`placed`; ``keep()`` once the store holds them."""

    def __init__(self) -> None:
        self.backups: dict[Path, Path | None] = {}
        self.kept = False

    def keep(self) -> None:
        """From here on the new files stay, whatever happens: the store has them."""
        self.kept = True
        for backup in self.backups.values():
            if backup is not None:
                backup.unlink(missing_ok=True)


@contextmanager
def placed(files: dict[Path, bytes]) -> Iterator[Placement]:
    """Put each file in place atomically (unique staging name, fsync, rename), keeping
    the file it replaces as a hidden hard link. If the block raises before ``keep()``,
    every previous file is put back and every new one removed."""
    placement = Placement()
    try:
        for path, data in files.items():
            placement.backups[path] = _backup(path)
            write_atomic(path, data)
        yield placement
    except BaseException:
        if not placement.kept:
            for path, backup in placement.backups.items():
                if backup is not None:
                    os.replace(backup, path)
                else:
                    path.unlink(missing_ok=True)
        raise
    placement.keep()


def _backup(path: Path) -> Path | None:
    if not path.exists():
        return None
    backup = path.with_name(f".{path.name}.{secrets.token_hex(4)}.previous")
    try:
        os.link(path, backup)
    except OSError:  # a file system without hard links
        shutil.copy2(path, backup)
    return backup
