"""/indsigt without a browser: protection, periods, bad dates, the tables' figures."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.seeddata import seed_copy
from vidensbank import querylog
from vidensbank.querylog import FeedbackEntry, SearchEntry

TOKEN = "insights-test-token-0123456789"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def insights_client(seed_settings, seed_searcher, tmp_path_factory):
    from vidensbank.api.app import create_app
    from vidensbank.api.holder import SnapshotHolder

    settings = seed_copy(seed_settings, tmp_path_factory.mktemp("insights-data"), admin_token=TOKEN)
    _fill_log(settings.store_path)
    holder = SnapshotHolder(settings, embedder=seed_searcher.embedder)
    with TestClient(create_app(settings, holder=holder), raise_server_exceptions=False) as c:
        yield c


def _fill_log(path: Path) -> None:
    """Questions at known ages: 3× "Udsættelser" (one spelt with a capital and spaces), one
    with only weak results and one with a sure answer, 2 days ago; one with no sure answer
    40 days ago; a 👎 20 days ago."""
    conn = querylog.open_log(path)
    moment = querylog.now()
    with conn:
        conn.execute("DELETE FROM feedback")
        conn.execute("DELETE FROM query_log")
        for text in ("udsættelser", "udsættelser", "  Udsættelser "):
            entry = SearchEntry(text, 4, "hybrid")
            querylog.record_search(conn, entry, moment - timedelta(days=2))
        weak = SearchEntry("vaskeri om natten", 2, "hybrid", best_relevance=0.04)
        querylog.record_search(conn, weak, moment - timedelta(days=2))
        sure = SearchEntry("grønne ambassadører", 3, "hybrid", best_relevance=0.6)
        querylog.record_search(conn, sure, moment - timedelta(days=2))
        old = SearchEntry("råderet over haven", 0, "hybrid")
        querylog.record_search(conn, old, moment - timedelta(days=40))
        judged = FeedbackEntry("udsættelser", "p1", False, "d1", "Værdiskabende gentagelser")
        querylog.record_feedback(conn, judged, moment - timedelta(days=20))
    conn.close()


def test_needs_an_admin_session_or_the_token(insights_client: TestClient) -> None:
    response = insights_client.get("/indsigt", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/admin/login")
    wrong = insights_client.get(
        "/indsigt", headers={"Authorization": "Bearer nope"}, follow_redirects=False
    )
    assert wrong.status_code == 303


def test_periods_count_what_happened_in_them(insights_client: TestClient) -> None:
    week = insights_client.get("/indsigt?periode=7", headers=BEARER)
    assert week.status_code == 200 and week.headers["Cache-Control"] == "no-store"
    top = _table(week.text, "hyppigste")
    assert 'udsættelser</th><td class="num">3</td>' in top.replace("\n", "")
    assert "råderet" not in week.text  # 40 days ago
    unanswered = _table(week.text, "uden-svar").replace("\n", "")
    assert 'vaskeri om natten</th><td class="num">1</td><td class="num">1</td>' in unanswered
    assert "grønne ambassadører" not in unanswered and "udsættelser" not in unanswered
    assert "<strong>1</strong> kun med svage resultater" in week.text
    assert "Ingen resultater er vurderet ikke nyttige" in week.text  # the 👎 is 20 days old
    quarter = insights_client.get("/indsigt?periode=90", headers=BEARER).text
    assert "råderet over haven" in _table(quarter, "uden-svar")
    assert "Værdiskabende gentagelser" in _table(quarter, "ikke-nyttige")
    assert quarter.count("<caption>") == 3 and 'scope="col"' in quarter


def test_dates_choose_the_period(insights_client: TestClient) -> None:
    today = querylog.now().date()
    first = (today - timedelta(days=45)).isoformat()
    last = (today - timedelta(days=30)).isoformat()
    page = insights_client.get(f"/indsigt?fra={first}&til={last}", headers=BEARER).text
    assert "råderet over haven" in page and "udsættelser" not in _table(page, "hyppigste")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("fra=i+går", "kan ikke læses"),
        ("fra=2026-05-02&til=2026-05-01", "efter til-datoen"),
        ("periode=365", "7, 30 eller 90"),
    ],
)
def test_bad_periods_get_a_danish_page(insights_client: TestClient, query, message) -> None:
    response = insights_client.get(f"/indsigt?{query}", headers=BEARER)
    assert response.status_code == 400
    assert message in response.text and "Traceback" not in response.text


def test_without_an_admin_token_the_page_is_refused(client: TestClient) -> None:
    response = client.get("/indsigt", follow_redirects=False)
    assert response.status_code == 403
    assert "VIDENSBANK_ADMIN_TOKEN" in response.text


def _table(page: str, table_id: str) -> str:
    start = page.index(f'<table id="{table_id}">')
    return page[start : page.index("</table>", start)]


def test_store_without_log_tables_shows_empty_insights(tmp_path: Path) -> None:
    from vidensbank.insights import Period, insights_for

    old_store = tmp_path / "old.sqlite3"
    sqlite3.connect(old_store).execute("CREATE TABLE documents (id TEXT)").connection.close()
    report = insights_for(old_store, Period.last_days(30, querylog.now()))
    assert (report.searches, report.top) == (0, [])
