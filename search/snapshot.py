"""Versioned, immutable index snapshots and the atomic "current" pointer.

A snapshot directory holds everything search needs: ``manifest.json``, ``dense.faiss``,
``sentences/``, ``lexical/`` and ``catalog.sqlite3`` (documents, sections, cases, passages
and links as they were when it was built; passage ``row`` = FAISS row). It is written under
a temporary name, its files' sizes and sha256s go into the manifest (``search.manifest``
validates both on load), it is fsynced, renamed into place, and only then is ``current``
replaced (os.replace is atomic), so a reader sees either the old snapshot or the new one,
never half of one. The newest valid snapshots before it are kept as fallbacks.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sqlite3
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..store import Store
from .dense import DenseIndex
from .embed.base import Embedder
from .embedding import embed_with_cache
from .lexical import LexicalIndex
from .manifest import (
    FORMAT_VERSION,
    MANIFEST,
    DenseInfo,
    InvalidSnapshot,
    Manifest,
    OutdatedSnapshot,
    SentenceInfo,
    SnapshotError,
    digest_tree,
    new_manifest,
    read_manifest,
    verify_snapshot,
)
from .sentence_index import SentenceIndex, heading_of

__all__ = [
    "FORMAT_VERSION",
    "POINTER",
    "BuildResult",
    "InvalidSnapshot",
    "Manifest",
    "OutdatedSnapshot",
    "SnapshotError",
    "build_snapshot",
    "current_path",
    "prune_snapshots",
    "read_manifest",
    "remove_stale_builds",
    "snapshot_dirs",
    "store_corpus_hash",
    "switch_current",
    "verify_snapshot",
]

POINTER = "current"
TABLES = ("documents", "sections", "cases", "passages", "links")

log = logging.getLogger(__name__)

CATALOG_SQL = """
CREATE TABLE documents AS SELECT id, source, url, title, format, sha256, year, publisher,
    ingested_at, page_count, superseded_by, metadata FROM src.documents ORDER BY id;
CREATE TABLE sections AS SELECT * FROM src.sections ORDER BY document_id, idx;
CREATE TABLE cases AS SELECT * FROM src.cases ORDER BY document_id, ordinal;
CREATE TABLE links AS SELECT * FROM src.links ORDER BY document_id, ordinal;
CREATE TABLE passages AS SELECT ROW_NUMBER() OVER (ORDER BY p.document_id, p.ordinal) - 1 AS row,
    p.* FROM src.passages p ORDER BY p.document_id, p.ordinal;
CREATE UNIQUE INDEX passages_row ON passages(row);
CREATE UNIQUE INDEX passages_id ON passages(id);
CREATE INDEX passages_doc ON passages(document_id, ordinal);
CREATE UNIQUE INDEX cases_id ON cases(id);
CREATE INDEX sections_doc ON sections(document_id, idx);
"""


@dataclass
class BuildResult:
    version: str
    path: Path
    passages: int
    embedded: int  # passages embedded now (the rest came from the cache)
    seconds: float
    sentences: int = 0
    sentences_embedded: int = 0


@dataclass(frozen=True)
class CatalogRows:
    """What the build reads back from the catalog it wrote: passage texts in FAISS row order."""

    embed_texts: list[str]
    embed_hashes: list[str]
    texts: list[str]
    headings: list[str]
    counts: dict[str, int]


def corpus_hash(embed_hashes: list[str]) -> str:
    """Fingerprint of what an index holds: the embedded texts' hashes in row order."""
    return hashlib.sha256("\n".join(embed_hashes).encode()).hexdigest()


def store_corpus_hash(store: Store) -> str:
    """The fingerprint a snapshot built from ``store`` now would have."""
    rows = store.conn.execute("SELECT embed_sha256 FROM passages ORDER BY document_id, ordinal")
    return corpus_hash([r[0] for r in rows])


def remove_stale_builds(index_dir: Path) -> None:
    """Remove the temporary directories of builds that were killed. Callers hold the ingest
    lock, so no build is running; such a directory was never current."""
    for stale in index_dir.glob(".tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)


def current_path(index_dir: Path) -> Path | None:
    """The snapshot folder the ``current`` pointer names, if that folder exists. It may
    still be invalid: ``verify_snapshot`` (or loading it) tells."""
    try:
        name = (index_dir / POINTER).read_text().strip()
    except FileNotFoundError:
        return None
    path = index_dir / name
    return path if name and path.is_dir() else None


def snapshot_dirs(index_dir: Path) -> list[Path]:
    """Every snapshot folder in ``index_dir``, newest first (versions sort by build time)."""
    if not index_dir.is_dir():
        return []
    return sorted(
        (p for p in index_dir.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.name,
        reverse=True,
    )


def _write_catalog(store: Store, target: Path) -> None:
    conn = sqlite3.connect(target)
    try:
        conn.execute("ATTACH DATABASE ? AS src", (f"file:{store.path}?mode=ro",))
    except sqlite3.OperationalError:
        conn.execute("ATTACH DATABASE ? AS src", (str(store.path),))
    conn.executescript(CATALOG_SQL)
    conn.commit()
    conn.execute("DETACH DATABASE src")
    conn.close()


def _fsync_tree(path: Path) -> None:
    for item in [*path.rglob("*"), path]:
        fd = os.open(item, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _read_back(catalog_path: Path) -> CatalogRows:
    catalog = sqlite3.connect(catalog_path)
    try:
        rows = catalog.execute(
            "SELECT embed_text, embed_sha256, text, section_path FROM passages ORDER BY row"
        ).fetchall()
        counts = {
            table: catalog.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in TABLES
        }
    finally:
        catalog.close()
    return CatalogRows(
        embed_texts=[r[0] for r in rows],
        embed_hashes=[r[1] for r in rows],
        texts=[r[2] for r in rows],
        headings=[heading_of(r[3]) for r in rows],
        counts=counts,
    )


def _write_indexes(
    store: Store,
    embedder: Embedder,
    work: Path,
    rows: CatalogRows,
    *,
    exact_limit: int,
    batch_size: int,
    progress: bool,
) -> tuple[int, SentenceIndex, int]:
    """Write dense.faiss, sentences/ and lexical/; returns (passages embedded now, the
    sentence index, sentences embedded now)."""
    vectors, embedded = embed_with_cache(
        store,
        embedder,
        rows.embed_texts,
        rows.embed_hashes,
        batch_size=batch_size,
        progress=progress,
    )
    DenseIndex.build(vectors, exact_limit).save(work / "dense.faiss")
    sentences, sentences_embedded = SentenceIndex.build(
        store,
        embedder,
        rows.texts,
        rows.headings,
        exact_limit=exact_limit,
        batch_size=batch_size,
        progress=progress,
    )
    sentences.save(work / "sentences")
    LexicalIndex.build(rows.embed_texts).save(work / "lexical")
    return embedded, sentences, sentences_embedded


def build_snapshot(
    store: Store,
    embedder: Embedder,
    index_dir: Path,
    *,
    exact_limit: int = 50_000,
    batch_size: int = 32,
    keep: int = 2,
    progress: bool = True,
) -> BuildResult:
    """Build a snapshot of ``store`` under a temporary name, record every file's size and
    sha256 in its manifest, fsync, rename it into place and make it current; then keep
    the newest ``keep`` valid snapshots. A failure at any point removes the temporary
    folder and leaves ``current`` as it was."""
    started = time.perf_counter()
    index_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_builds(index_dir)
    version = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    work = index_dir / f".tmp-{version}"
    work.mkdir()
    try:
        _write_catalog(store, work / "catalog.sqlite3")
        rows = _read_back(work / "catalog.sqlite3")
        embedded, sentences, sentences_embedded = _write_indexes(
            store,
            embedder,
            work,
            rows,
            exact_limit=exact_limit,
            batch_size=batch_size,
            progress=progress,
        )
        rows_total = len(rows.embed_texts)
        manifest = new_manifest(
            version=version,
            created_at=datetime.now(UTC).replace(microsecond=0),
            embedder=embedder.describe(),
            dense=DenseInfo(kind="flat" if rows_total <= exact_limit else "hnsw", rows=rows_total),
            sentences=SentenceInfo(rows=len(sentences), headings=int(sentences.headings.sum())),
            counts=rows.counts,
            corpus_hash=corpus_hash(rows.embed_hashes),
            files=digest_tree(work),
        )
        (work / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
        _fsync_tree(work)
        final = index_dir / version
        os.replace(work, final)
        switch_current(index_dir, version)
        prune_snapshots(index_dir, keep)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    seconds = time.perf_counter() - started
    return BuildResult(
        version, final, rows_total, embedded, seconds, len(sentences), sentences_embedded
    )


def switch_current(index_dir: Path, version: str) -> None:
    tmp = index_dir / f".{POINTER}.{uuid.uuid4().hex[:6]}"
    with tmp.open("w") as handle:
        handle.write(version + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, index_dir / POINTER)
    fd = os.open(index_dir, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def prune_snapshots(index_dir: Path, keep: int) -> list[str]:
    """Keep the current snapshot and the newest valid others, ``keep`` in all; remove the
    rest, invalid ones included (a damaged snapshot is never worth keeping as a fallback)."""
    current = current_path(index_dir)
    kept = 1 if current is not None else 0
    removed = []
    for path in snapshot_dirs(index_dir):
        if current is not None and path.resolve() == current.resolve():
            continue
        if kept < keep and _is_valid(path):
            kept += 1
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path.name)
    return removed


def _is_valid(path: Path) -> bool:
    try:
        verify_snapshot(path)
    except InvalidSnapshot as err:
        log.warning("removing snapshot %s: %s", path.name, err.reason)
        return False
    return True
