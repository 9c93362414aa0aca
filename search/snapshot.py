"""Versioned, immutable index snapshots and the atomic "current" pointer.

A snapshot directory holds everything search needs: ``manifest.json``, ``dense.faiss``,
``lexical/`` and ``catalog.sqlite3`` (documents, sections, cases, passages and links as
they were when it was built; passage ``row`` = FAISS row). It is written under a temporary
name, fsynced, renamed into place, and only then is ``current`` replaced (os.replace is
atomic), so a reader sees either the old snapshot or the new one, never half of one.
"""

from __future__ import annotations

import hashlib
import json
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
from .sentence_index import SentenceIndex, heading_of

FORMAT_VERSION = 4  # 2: sentence vectors; 3: heading vectors; 4: paragraph breaks end sentences
POINTER = "current"

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


class SnapshotError(Exception):
    """No usable snapshot, or one that does not fit the configured embedder."""


@dataclass
class BuildResult:
    version: str
    path: Path
    passages: int
    embedded: int  # passages embedded now (the rest came from the cache)
    seconds: float
    sentences: int = 0
    sentences_embedded: int = 0


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
    pointer = index_dir / POINTER
    try:
        name = pointer.read_text().strip()
    except FileNotFoundError:
        return None
    path = index_dir / name
    return path if (path / "manifest.json").exists() else None


def read_manifest(path: Path) -> dict[str, object]:
    return json.loads((path / "manifest.json").read_text())


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
    started = time.perf_counter()
    index_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_builds(index_dir)
    version = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    work = index_dir / f".tmp-{version}"
    work.mkdir()
    try:
        _write_catalog(store, work / "catalog.sqlite3")
        catalog = sqlite3.connect(work / "catalog.sqlite3")
        rows = catalog.execute(
            "SELECT embed_text, embed_sha256, text, section_path FROM passages ORDER BY row"
        ).fetchall()
        counts = {
            table: catalog.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("documents", "sections", "cases", "passages", "links")
        }
        catalog.close()
        texts = [r[0] for r in rows]
        hashes = [r[1] for r in rows]
        vectors, embedded = embed_with_cache(
            store, embedder, texts, hashes, batch_size=batch_size, progress=progress
        )
        DenseIndex.build(vectors, exact_limit).save(work / "dense.faiss")
        sentences, sentences_embedded = SentenceIndex.build(
            store,
            embedder,
            [r[2] for r in rows],
            [heading_of(r[3]) for r in rows],
            exact_limit=exact_limit,
            batch_size=batch_size,
            progress=progress,
        )
        sentences.save(work / "sentences")
        LexicalIndex.build(texts).save(work / "lexical")
        manifest = {
            "format_version": FORMAT_VERSION,
            "version": version,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "embedder": embedder.describe(),
            "dense": {"kind": "flat" if len(texts) <= exact_limit else "hnsw", "rows": len(texts)},
            "sentences": {"rows": len(sentences), "headings": int(sentences.headings.sum())},
            "counts": counts,
            "corpus_hash": corpus_hash(hashes),
        }
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        _fsync_tree(work)
        final = index_dir / version
        os.replace(work, final)
        switch_current(index_dir, version)
        prune_snapshots(index_dir, keep)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return BuildResult(
        version,
        final,
        len(texts),
        embedded,
        time.perf_counter() - started,
        len(sentences),
        sentences_embedded,
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
    """Remove snapshots beyond the newest ``keep``, never the current one."""
    current = current_path(index_dir)
    versions = sorted(
        (p for p in index_dir.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.name,
        reverse=True,
    )
    removed = []
    for path in versions[keep:]:
        if current is not None and path.resolve() == current.resolve():
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path.name)
    return removed
