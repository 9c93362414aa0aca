"""Private copies of the seed data dir (store, embedding cache, snapshot) for tests that
write: shared by the tests that need one."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from vidensbank.settings import Settings


def seed_copy(seed_settings: Settings, folder: Path, **overrides: object) -> Settings:
    """Settings over a copy of the seed data dir in ``folder/data`` (lock files left out)."""
    data = Path(folder) / "data"
    shutil.copytree(seed_settings.data_dir, data, ignore=shutil.ignore_patterns("*.lock"))
    return Settings(**{**seed_settings.model_dump(), "data_dir": data, **overrides})


def empty_log(store_path: Path) -> None:
    """The copied seed store may hold other tests' log entries: start from none."""
    conn = sqlite3.connect(store_path)
    with conn:
        conn.execute("DELETE FROM feedback")
        conn.execute("DELETE FROM query_log")
    conn.close()
