"""SIGKILL `vidensbank ingest` at several points: the previous snapshot keeps serving the
right results, the store stays consistent, and the next ingest completes unaided."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from tests.lifecycle.conftest import CliProcess, filler, make_corpus, settings_for
from vidensbank.ingest.pipeline import Ingestor
from vidensbank.lock import writer_lock
from vidensbank.search.searcher import Searcher, Snapshot
from vidensbank.search.snapshot import current_path, verify_snapshot
from vidensbank.services import query_embedder
from vidensbank.store import Store
from vidensbank.writes import ingest_and_build

ENERGI = (
    "# Varmepumper i Viborg\n\nBoligselskabet Viborg har installeret varmepumper i tre"
    " afdelinger. Projektet har sænket varmeregningen med omkring 20 procent, og beboerne"
    " får hvert kvartal en oversigt over deres forbrug.\n"
)
TRYGHED = (
    "# Nabohjælp i Vollsmose\n\nFrivillige beboere holder øje med tomme lejligheder i"
    " ferierne. Ordningen har givet færre indbrud og flere nye bekendtskaber på tværs af"
    " opgangene i Vollsmose.\n"
)

# (what to wait for on stderr, or None for "from the start"; then how long to wait more)
KILL_POINTS = [
    (None, 1.0),  # starting up
    ("Reading", 0.0),  # discovering, loading and writing documents
    ("Embedding", 0.0),  # embedding new passages
    ("Embedding", 0.7),
    ("Embedding: 100%", 0.0),  # writing the FAISS, lexical and catalog files of the snapshot
    ("Embedding: 100%", 0.15),
]


def check_consistent(settings) -> None:
    path = current_path(settings.index_dir)
    assert path is not None, "no current snapshot"
    verify_snapshot(path)  # manifest schema and every file's checksum as the build wrote them
    snapshot = Snapshot.load(path)
    try:
        searcher = Searcher(snapshot, query_embedder(settings))
        top = searcher.search("varmepumper sænker varmeregningen", k=1).results[0]
        assert top.document.id == "energi"
        top = searcher.search("nabohjælp mod indbrud i ferierne", k=1).results[0]
        assert top.document.id == "tryghed"
    finally:
        snapshot.close()
    conn = sqlite3.connect(settings.store_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        orphans = conn.execute(
            "SELECT COUNT(*) FROM passages WHERE document_id NOT IN (SELECT id FROM documents)"
        ).fetchone()[0]
        empty = conn.execute(
            "SELECT COUNT(*) FROM documents WHERE id NOT IN (SELECT document_id FROM passages)"
        ).fetchone()[0]
        assert orphans == 0 and empty == 0
    finally:
        conn.close()
    with writer_lock(settings.data_dir):  # the killed process held it; it is free again
        pass


@pytest.mark.slow
def test_sigkill_during_ingest_leaves_index_and_store_usable(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus", {"energi.md": ENERGI, "tryghed.md": TRYGHED})
    settings = settings_for(tmp_path, corpus)
    first = ingest_and_build(settings, [corpus], progress=False)
    assert first.build is not None
    check_consistent(settings)

    killed = 0
    for n, (marker, extra) in enumerate(KILL_POINTS):
        (corpus / f"ny-{n}.md").write_text(filler(f"runde{n}", 4), encoding="utf-8")
        process = CliProcess(["ingest", str(corpus)], settings)
        if marker is None or process.wait_for(marker, 60):
            time.sleep(extra)
        process.kill()
        rc = process.wait(60)
        killed += rc == -9
        check_consistent(settings)
    assert killed >= 4, "the ingest finished before most kill points: make it slower"

    final = CliProcess(["ingest", str(corpus), "--quiet"], settings)
    assert final.wait(300) == 0, final.stderr
    assert "Index " in final.stdout or "Index unchanged" in final.stdout
    check_consistent(settings)
    assert not list(settings.index_dir.glob(".tmp-*"))
    snapshot = Snapshot.load(current_path(settings.index_dir))
    try:
        assert set(snapshot.catalog.documents) == {
            "energi",
            "tryghed",
            *(f"ny-{n}" for n in range(len(KILL_POINTS))),
        }
    finally:
        snapshot.close()


def test_ingest_builds_what_a_killed_run_left_only_in_the_store(tmp_path: Path) -> None:
    """Killed after its documents were committed but before the snapshot switched: the next
    ingest finds every file unchanged, yet sees that the index lags the store and builds."""
    corpus = make_corpus(tmp_path / "corpus", {"energi.md": ENERGI})
    settings = settings_for(tmp_path, corpus)
    assert ingest_and_build(settings, [corpus], progress=False).build is not None
    (corpus / "tryghed.md").write_text(TRYGHED, encoding="utf-8")
    with Store(settings.store_path) as store:  # the store half of an ingest, no build
        assert Ingestor(store, progress=False).run([corpus]).added == ["tryghed"]
    (settings.index_dir / ".tmp-killed-build").mkdir()

    outcome = ingest_and_build(settings, [corpus], progress=False)
    assert not outcome.report.changed and outcome.build is not None
    assert not list(settings.index_dir.glob(".tmp-*"))
    snapshot = Snapshot.load(current_path(settings.index_dir))
    try:
        assert set(snapshot.catalog.documents) == {"energi", "tryghed"}
    finally:
        snapshot.close()
    assert ingest_and_build(settings, [corpus], progress=False).build is None  # now in step
