"""SQLite store in WAL mode: the single source of truth for documents, sections,
cases, passages, links and the embedding cache. One document = one transaction."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL UNIQUE,
    url TEXT,
    title TEXT NOT NULL,
    format TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    year INTEGER,
    publisher TEXT,
    ingested_at TEXT NOT NULL,
    page_count INTEGER,
    superseded_by TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    cleaned_text TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS sections (
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    parent_idx INTEGER,
    level INTEGER NOT NULL,
    title TEXT NOT NULL,
    path TEXT NOT NULL,
    theme TEXT,
    page INTEGER,
    case_id TEXT,
    PRIMARY KEY (document_id, idx)
);
CREATE TABLE IF NOT EXISTS cases (
    id TEXT PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    parent_id TEXT,
    title TEXT NOT NULL,
    theme TEXT,
    section_idx INTEGER NOT NULL,
    section_path TEXT NOT NULL,
    text TEXT NOT NULL,
    organisations TEXT NOT NULL DEFAULT '[]',
    places TEXT NOT NULL DEFAULT '[]',
    page_start INTEGER,
    page_end INTEGER
);
CREATE TABLE IF NOT EXISTS passages (
    id TEXT PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    section_idx INTEGER NOT NULL,
    section_path TEXT NOT NULL,
    theme TEXT,
    case_id TEXT,
    page_start INTEGER,
    page_end INTEGER,
    char_start INTEGER NOT NULL,
    char_end INTEGER NOT NULL,
    text TEXT NOT NULL,
    embed_text TEXT NOT NULL,
    embed_sha256 TEXT NOT NULL,
    organisations TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS passages_document ON passages(document_id, ordinal);
CREATE TABLE IF NOT EXISTS links (
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    url TEXT NOT NULL,
    text TEXT NOT NULL DEFAULT '',
    section_idx INTEGER,
    case_id TEXT,
    PRIMARY KEY (document_id, ordinal)
);
CREATE TABLE IF NOT EXISTS embeddings (
    model_id TEXT NOT NULL,
    text_sha256 TEXT NOT NULL,
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model_id, text_sha256)
);
-- The staff loop (vidensbank/querylog.py): questions asked and results judged. No personal
-- data: no address, user agent or cookie id. Not part of the corpus, so ingest, remove and
-- snapshot switches leave these tables alone; retention is VIDENSBANK_QUERY_LOG_DAYS.
CREATE TABLE IF NOT EXISTS query_log (
    id INTEGER PRIMARY KEY,
    asked_at TEXT NOT NULL,
    query TEXT NOT NULL,
    hits INTEGER NOT NULL,
    mode TEXT NOT NULL,
    filters TEXT NOT NULL DEFAULT '{}',
    source TEXT NOT NULL,
    best_relevance REAL  -- the best hit's relevance (NULL: no hit, or logged before it was kept)
);
CREATE INDEX IF NOT EXISTS query_log_asked ON query_log(asked_at);
CREATE INDEX IF NOT EXISTS query_log_query ON query_log(query, asked_at);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    given_at TEXT NOT NULL,
    query TEXT NOT NULL,
    passage_id TEXT NOT NULL,
    useful INTEGER NOT NULL CHECK (useful IN (0, 1)),
    document_id TEXT NOT NULL,
    document_title TEXT NOT NULL,
    case_id TEXT,
    case_title TEXT,
    search_id INTEGER REFERENCES query_log(id) ON DELETE SET NULL
);
CREATE INDEX IF NOT EXISTS feedback_given ON feedback(given_at);
"""


@dataclass
class DocumentRecord:
    id: str
    source: str
    title: str
    format: str
    sha256: str
    ingested_at: str
    url: str | None = None
    year: int | None = None
    publisher: str | None = None
    page_count: int | None = None
    superseded_by: str | None = None
    metadata: dict[str, object] = field(default_factory=dict)
    cleaned_text: str = ""


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


# Columns added to a table after stores with it were made: SCHEMA gives new stores them,
# create_schema adds them to an older store's table.
ADDED_COLUMNS = (("query_log", "best_relevance", "REAL"),)


def create_schema(conn: sqlite3.Connection) -> None:
    """The tables a store lacks, and the :data:`ADDED_COLUMNS` its tables lack."""
    conn.executescript(SCHEMA)
    for table, column, declaration in ADDED_COLUMNS:
        if column not in table_columns(conn, table):
            try:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
            except sqlite3.OperationalError as err:  # another process added it first
                if "duplicate column" not in str(err):
                    raise


def table_columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = connect(path)
        create_schema(self.conn)
        self.conn.execute(
            "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)",
            (str(SCHEMA_VERSION),),
        )
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any error."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()

    # --- documents -----------------------------------------------------------------

    def document_by_source(self, source: str) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM documents WHERE source = ?", (source,)).fetchone()

    def document(self, document_id: str) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM documents WHERE id = ?", (document_id,)).fetchone()

    def documents(self) -> list[sqlite3.Row]:
        return self.conn.execute("SELECT * FROM documents ORDER BY id").fetchall()

    def document_ids(self) -> set[str]:
        return {row[0] for row in self.conn.execute("SELECT id FROM documents")}

    def delete_document(self, document_id: str) -> bool:
        with self.transaction() as conn:
            return _delete(conn, document_id) > 0

    def counts(self) -> dict[str, int]:
        return {
            table: self.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("documents", "sections", "cases", "passages", "links", "embeddings")
        }

    # --- embedding cache ---------------------------------------------------------------

    def cached_embeddings(self, model_id: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(hashes), 500):
            chunk = list(hashes[i : i + 500])
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT text_sha256, vector FROM embeddings WHERE model_id = ? AND text_sha256 IN ({marks})",
                (model_id, *chunk),
            )
            for digest, blob in rows:
                found[digest] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_embeddings(self, model_id: str, items: Iterable[tuple[str, np.ndarray]]) -> None:
        with self.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO embeddings(model_id, text_sha256, dim, vector) VALUES (?,?,?,?)",
                [
                    (model_id, digest, int(v.shape[0]), np.asarray(v, np.float32).tobytes())
                    for digest, v in items
                ],
            )


def _delete(conn: sqlite3.Connection, document_id: str) -> int:
    for table in ("links", "passages", "cases", "sections"):
        conn.execute(f"DELETE FROM {table} WHERE document_id = ?", (document_id,))
    return conn.execute("DELETE FROM documents WHERE id = ?", (document_id,)).rowcount


def to_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
