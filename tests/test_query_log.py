"""The query log: what is logged, retention, the off switch, and that it outlives re-ingest,
remove and snapshot switches (real store, real snapshots, the real model)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.seeddata import empty_log, seed_copy
from vidensbank import querylog
from vidensbank.api.app import create_app
from vidensbank.api.holder import SnapshotHolder
from vidensbank.cli import main
from vidensbank.querylog import FeedbackEntry, SearchEntry
from vidensbank.querylog_writer import QueryLogWriter
from vidensbank.settings import Settings
from vidensbank.store import Store

QUESTION = "hvordan kan vi forebygge udsættelser?"
NEW_DOC = """# Vaskeri og fællesrum

## Booking af vaskeriet

Afdelingen indførte elektronisk booking af vaskeriet, så beboerne kan se ledige tider.
"""


def count(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def queries(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT query FROM query_log ORDER BY id")]
    finally:
        conn.close()


@pytest.fixture
def data_copy(seed_settings: Settings, tmp_path: Path) -> Settings:
    """A private copy of the seed data dir (store, embedding cache, snapshot)."""
    settings = seed_copy(seed_settings, tmp_path, reload_interval_s=0.2)
    empty_log(settings.store_path)
    return settings


@pytest.fixture
def served(seed_searcher, data_copy: Settings):
    """``served(**settings)``: a started app (lifespan, writer) over the private copy."""
    clients: list[TestClient] = []

    def make(**overrides: object) -> TestClient:
        settings = data_copy.model_copy(update=overrides)
        holder = SnapshotHolder(settings, embedder=seed_searcher.embedder)
        client = TestClient(create_app(settings, holder=holder))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[QueryLogWriter]:
    Store(tmp_path / "store.sqlite3").close()
    log = QueryLogWriter(tmp_path / "store.sqlite3", days=30, settle_s=0.3)
    yield log
    log.stop()


# ---------------------------------------------------------------- retention, off switch


def test_retention_deletes_entries_older_than_the_setting_on_start(writer) -> None:
    conn = querylog.open_log(writer.path)
    moment = querylog.now()
    with conn:
        for days_ago in (400, 31, 29, 0):
            at = moment - timedelta(days=days_ago)
            search = querylog.record_search(conn, SearchEntry(f"q{days_ago}", 1, "hybrid"), at)
            entry = FeedbackEntry(f"q{days_ago}", "p1", True, "doc", "Doc")
            querylog.record_feedback(conn, entry, at + timedelta(seconds=1))
            assert search
    conn.close()
    writer.start()
    assert writer.flush()
    assert queries(writer.path) == ["q29", "q0"]
    assert count(writer.path, "feedback") == 2


def test_retention_runs_again_while_serving(writer) -> None:
    writer.purge_every_s = 0.2
    writer.start()
    assert writer.flush()
    conn = querylog.open_log(writer.path)
    with conn:
        old = querylog.now() - timedelta(days=31)
        querylog.record_search(conn, SearchEntry("gammel", 0, "hybrid"), old)
    conn.close()
    deadline = time.monotonic() + 5
    while count(writer.path, "query_log") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert count(writer.path, "query_log") == 0


def test_log_off_writes_nothing(served, data_copy: Settings) -> None:
    client = served(query_log=False)
    assert client.get("/api/search", params={"q": QUESTION}).status_code == 200
    assert client.get("/", params={"q": QUESTION}).status_code == 200
    assert client.app.state.query_log.flush()
    assert count(data_copy.store_path, "query_log") == 0


def test_a_full_or_busy_store_drops_the_entry_and_search_goes_on(served, data_copy) -> None:
    client = served()
    # waits for the server's own start-up writes (log tables, retention), then holds the
    # store for longer than the log waits
    blocker = sqlite3.connect(data_copy.store_path, timeout=30)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        started = time.perf_counter()
        response = client.get("/api/search", params={"q": QUESTION})
        assert response.status_code == 200
        assert time.perf_counter() - started < 5
        assert client.app.state.query_log.flush()
    finally:
        blocker.rollback()
        blocker.close()
    assert count(data_copy.store_path, "query_log") == 0  # dropped, not queued forever
    client.get("/api/search", params={"q": "grønne ambassadører"})
    assert client.app.state.query_log.flush()
    assert queries(data_copy.store_path) == ["grønne ambassadører"]


# ---------------------------------------------------------------- what counts as a search


def test_the_best_hits_relevance_is_logged_with_the_search(served, data_copy) -> None:
    """What the insights page needs to tell a question with only weak results from one with
    a sure answer: the best returned hit's relevance (none for a question with no hit)."""
    client = served()
    answered = client.get("/api/search", params={"q": QUESTION}).json()
    nothing = client.get("/api/search", params={"q": "qwxzyvbnmqwxz"}).json()
    assert answered["results"] and nothing["total"] == 0
    assert client.app.state.query_log.flush()
    conn = sqlite3.connect(data_copy.store_path)
    logged = conn.execute("SELECT query, best_relevance FROM query_log ORDER BY id").fetchall()
    conn.close()
    best = max(hit["relevance"] for hit in answered["results"])
    assert logged == [(QUESTION, pytest.approx(best)), ("qwxzyvbnmqwxz", None)]


def test_an_older_stores_log_gains_the_new_column_and_keeps_its_rows(tmp_path: Path) -> None:
    """A store whose query_log predates best_relevance: the log adds the column when it
    opens, the old rows stay (counted as neither weak nor sure), new ones carry it."""
    from vidensbank.insights import Period, insights_for

    path = tmp_path / "old.sqlite3"
    Store(path).close()
    old = sqlite3.connect(path)
    old.execute("ALTER TABLE query_log DROP COLUMN best_relevance")  # as the log was before
    moment = querylog.now()
    old.execute(
        "INSERT INTO query_log(asked_at, query, hits, mode, source) VALUES (?, ?, 3, 'hybrid', 'api')",
        (querylog.timestamp(moment - timedelta(days=1)), "gammelt spørgsmål"),
    )
    old.commit()
    old.close()
    period = Period.last_days(7, moment + timedelta(seconds=5))
    before = insights_for(path, period)  # read-only, column missing: no error, nothing weak
    assert (before.searches, before.searches_weak) == (1, 0)
    conn = querylog.open_log(path)
    with conn:
        querylog.record_search(conn, SearchEntry("svag", 2, "hybrid", best_relevance=0.03), moment)
    conn.close()
    after = insights_for(path, period)
    assert (after.searches, after.searches_no_answer, after.searches_weak) == (2, 0, 1)
    assert [q.query for q in after.no_answer] == ["svag"]


def test_page_logs_a_question_once_not_its_later_pages_or_reloads(served, data_copy) -> None:
    client = served()
    for params in (
        {"q": "  biodiversitet   i boligområdet "},
        {"q": "biodiversitet i boligområdet", "page": "2"},
        {"q": "biodiversitet i boligområdet", "alle": "1"},
        {"q": "biodiversitet i boligområdet", "vurderet": "abc"},
    ):
        assert client.get("/", params=params).status_code == 200
    client.get("/api/search", params={"q": "udsættelser", "offset": 10})
    client.get("/api/search", params={"q": "udsættelser", "theme": "Biodiversitet"})
    client.get("/api/cases/x/similar")  # read-side calls are not questions
    assert client.app.state.query_log.flush()
    conn = sqlite3.connect(data_copy.store_path)
    logged = conn.execute("SELECT query, source, filters FROM query_log ORDER BY id").fetchall()
    conn.close()
    assert logged == [
        ("biodiversitet i boligområdet", "page", "{}"),
        ("udsættelser", "api", '{"theme": ["Biodiversitet"]}'),
    ]


def test_search_as_you_type_logs_only_the_question_typing_settled_on(served, data_copy) -> None:
    client = served()
    live = {"X-Vidensbank-Live": "1"}
    for typed in ("hvo", "hvordan und", QUESTION):
        assert client.get("/", params={"q": typed}, headers=live).status_code == 200
    deadline = time.monotonic() + 15  # settles after a few quiet seconds, without a flush
    while not queries(data_copy.store_path) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert queries(data_copy.store_path) == [QUESTION]


# ---------------------------------------------------------------- survives the corpus


def test_log_survives_ingest_remove_and_a_snapshot_switch(served, data_copy, tmp_path) -> None:
    client = served()
    hit = client.get("/api/search", params={"q": QUESTION}).json()["results"][0]
    feedback = {"query": QUESTION, "passage_id": hit["passage_id"], "useful": True}
    assert client.post("/api/feedback", json=feedback).status_code == 201
    assert client.app.state.query_log.flush()
    version = client.get("/readyz").json()["version"]

    folder = tmp_path / "nyt"
    folder.mkdir()
    (folder / "vaskeri.md").write_text(NEW_DOC, encoding="utf-8")
    env = pytest.MonkeyPatch()
    env.setenv("VIDENSBANK_DATA_DIR", str(data_copy.data_dir))
    try:
        assert main(["ingest", "--quiet", str(folder)]) == 0
        switched = _wait_for_new_snapshot(client, version)
        assert client.get("/api/search", params={"q": "booking af vaskeriet"}).status_code == 200
        with Store(data_copy.store_path) as store:
            [added] = [d["id"] for d in store.documents() if d["source"].endswith("vaskeri.md")]
        assert main(["remove", added]) == 0
    finally:
        env.undo()
    assert switched
    assert client.app.state.query_log.flush()
    assert queries(data_copy.store_path) == [QUESTION, "booking af vaskeriet"]
    assert count(data_copy.store_path, "feedback") == 1


def _wait_for_new_snapshot(client: TestClient, version: str) -> bool:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if client.get("/readyz").json()["version"] != version:
            return True
        time.sleep(0.2)
    return False
