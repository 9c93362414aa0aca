"""👍/👎 on results: POST /api/feedback and the page's plain form (POST /feedback), over a
private copy of the seed data (real store, real snapshot, real model)."""

from __future__ import annotations

import html
import re
import sqlite3
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.seeddata import empty_log
from vidensbank.settings import Settings

QUESTION = "hvordan kan økonomisk rådgivning forebygge udsættelser?"
USER_AGENT = "Mozilla/5.0 (X11) SpecialAgent-4711"
COOKIE_VALUE = "sid-secret-cookie-0815"


def first_hit(client: TestClient, q: str = QUESTION) -> dict:
    response = client.get("/api/search", params={"q": q, "k": 5})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert results, "the seed question should find something"
    return results[0]


def private(writable, **overrides: object) -> tuple[Settings, TestClient]:
    settings, client = writable(**overrides)
    empty_log(settings.store_path)
    return settings, client


def flush(client: TestClient) -> None:
    assert client.app.state.query_log.flush()


def rows(settings: Settings, sql: str) -> list[sqlite3.Row]:
    conn = sqlite3.connect(settings.store_path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_useful_judgement_is_stored_and_linked_to_its_search(writable) -> None:
    settings, client = private(writable)
    hit = first_hit(client)
    response = client.post(
        "/api/feedback",
        json={"query": f"  {QUESTION}  ", "passage_id": hit["passage_id"], "useful": True},
    )
    assert response.status_code == 201, response.text
    assert response.json() == {"stored": True}
    flush(client)
    [search] = rows(settings, "SELECT * FROM query_log")
    assert (search["query"], search["source"], search["mode"]) == (QUESTION, "api", "hybrid")
    assert search["hits"] > 0
    [judged] = rows(settings, "SELECT * FROM feedback")
    assert judged["query"] == QUESTION  # whitespace collapsed
    assert (judged["passage_id"], judged["useful"]) == (hit["passage_id"], 1)
    assert judged["document_title"] == hit["document"]["title"]
    assert judged["case_title"] == (hit["case"]["title"] if hit["case"] else None)
    assert judged["search_id"] == search["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"query": "", "passage_id": "x", "useful": True}, "query"),
        ({"query": "   ", "passage_id": "x", "useful": True}, "query"),
        ({"query": "a" * 501, "passage_id": "x", "useful": True}, "query"),
        ({"query": "udsættelser", "passage_id": "", "useful": True}, "passage_id"),
        ({"query": "udsættelser", "passage_id": "x", "useful": "ja"}, "useful"),
        ({"query": "udsættelser", "passage_id": "x"}, "useful"),
        ({"query": "udsættelser", "passage_id": "x", "useful": True, "ip": "1.2.3.4"}, "ip"),
    ],
)
def test_invalid_feedback_is_422_with_the_field_named(client: TestClient, body, field) -> None:
    response = client.post("/api/feedback", json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert field in {problem["field"] for problem in error["detail"]}


def test_passage_not_in_the_current_snapshot_is_422(client: TestClient) -> None:
    response = client.post(
        "/api/feedback",
        json={"query": "udsættelser", "passage_id": "0123456789abcdef0123", "useful": False},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["detail"][0]["field"] == "passage_id"
    assert "/api/search" in error["message"]


def test_more_than_30_judgements_a_minute_are_refused_with_retry_after(writable) -> None:
    settings, client = private(writable)
    hit = first_hit(client)
    body = {"query": QUESTION, "passage_id": hit["passage_id"], "useful": False}
    for _ in range(30):
        assert client.post("/api/feedback", json=body).status_code == 201
    refused = client.post("/api/feedback", json=body)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_requests"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # the page's form shares the limit, and says so in Danish
    form = client.post(
        "/feedback",
        data={"q": QUESTION, "passage_id": hit["passage_id"], "useful": "0"},
        follow_redirects=False,
    )
    assert form.status_code == 429 and "vurderinger på kort tid" in form.text
    flush(client)
    assert rows(settings, "SELECT COUNT(*) FROM feedback")[0][0] == 30


def test_nothing_personal_is_stored(writable) -> None:
    settings, client = private(writable)
    headers = {"User-Agent": USER_AGENT, "X-Forwarded-For": "203.0.113.77"}
    client.cookies.set("sid", COOKIE_VALUE)
    hit = client.get("/api/search", params={"q": QUESTION}, headers=headers).json()["results"][0]
    client.post(
        "/api/feedback",
        json={"query": QUESTION, "passage_id": hit["passage_id"], "useful": True},
        headers=headers,
    )
    client.get("/", params={"q": "grønne ambassadører"}, headers=headers)
    flush(client)
    client.cookies.clear()
    columns = {
        row["name"].lower()
        for table in ("query_log", "feedback")
        for row in rows(settings, f"PRAGMA table_info({table})")
    }
    assert columns == {
        "id", "asked_at", "query", "hits", "mode", "filters", "source", "best_relevance",
        "given_at", "passage_id", "useful", "document_id", "document_title",
        "case_id", "case_title", "search_id",
    }  # fmt: skip
    conn = sqlite3.connect(settings.store_path)
    dump = "\n".join(conn.iterdump())
    conn.close()
    assert "grønne ambassadører" in dump and QUESTION in dump  # the questions are there
    for trace in ("testclient", "SpecialAgent", COOKIE_VALUE, "203.0.113.77"):
        assert trace not in dump


def test_the_form_without_javascript_records_and_returns_to_the_results(writable) -> None:
    settings, client = private(writable)
    page = client.get("/", params={"q": QUESTION, "theme": "Vilde velfærdsproblemer"})
    assert page.status_code == 200
    assert 'action="/feedback"' in page.text
    assert 'aria-label="Nyttigt"' in page.text and 'aria-label="Ikke nyttigt"' in page.text
    passage_id = first_hit(client)["passage_id"]
    back = "/?q=" + QUESTION + "&theme=Vilde+velfærdsproblemer"
    response = client.post(
        "/feedback",
        data={"q": QUESTION, "passage_id": passage_id, "useful": "1", "back": back},
        follow_redirects=False,
    )
    assert response.status_code == 303
    target = urlsplit(response.headers["location"])
    assert target.path == "/" and target.fragment == f"vurdering-{passage_id}"
    params = parse_qs(target.query)
    assert params["q"] == [QUESTION] and params["theme"] == ["Vilde velfærdsproblemer"]
    assert params["vurderet"] == [passage_id]
    flush(client)
    [judged] = rows(settings, "SELECT * FROM feedback")
    assert (judged["passage_id"], judged["useful"]) == (passage_id, 1)


def test_the_form_never_redirects_to_another_site(writable) -> None:
    _, client = private(writable)
    passage_id = first_hit(client)["passage_id"]
    for back in ("https://evil.example/?q=x", "//evil.example/", "/admin?q=x", "/\\evil.example"):
        response = client.post(
            "/feedback",
            data={"q": "udsættelser", "passage_id": passage_id, "useful": "0", "back": back},
            follow_redirects=False,
        )
        assert response.status_code == 303
        location = response.headers["location"]
        assert location.startswith("/?q=uds") and "evil" not in location, location


def test_the_form_refuses_bad_input_with_a_danish_page(client: TestClient) -> None:
    response = client.post(
        "/feedback", data={"q": "udsættelser", "passage_id": "nope", "useful": "1"}
    )
    assert response.status_code == 400
    assert "Resultatet findes ikke længere" in response.text
    assert "Traceback" not in response.text
    too_long = client.post("/feedback", data={"q": "a" * 600, "passage_id": "x", "useful": "1"})
    assert too_long.status_code == 400 and "for lang" in too_long.text


def test_with_the_log_off_feedback_is_kept_without_a_search(writable) -> None:
    settings, client = private(writable, query_log=False)
    hit = first_hit(client)
    response = client.post(
        "/api/feedback", json={"query": QUESTION, "passage_id": hit["passage_id"], "useful": True}
    )
    assert response.status_code == 201
    flush(client)
    assert rows(settings, "SELECT COUNT(*) FROM query_log")[0][0] == 0
    [judged] = rows(settings, "SELECT * FROM feedback")
    assert judged["search_id"] is None


def test_each_result_judges_its_own_first_passage(client: TestClient, seed_searcher) -> None:
    page = client.get("/", params={"q": "biodiversitet og grønne områder i afdelingen"})
    assert page.status_code == 200
    blocks = page.text.split('<li class="result">')[1:]
    assert len(blocks) >= 3
    catalog = seed_searcher.catalog
    for block in blocks:
        [title] = re.findall(r'class="result-title"[^>]*><a [^>]*>([^<]+)</a>', block)
        [passage_id] = re.findall(r'name="passage_id" value="([0-9a-f]+)"', block)
        passage = catalog.passages[catalog.row_by_id[passage_id]]
        names = {catalog.documents[passage.document_id].title, passage.section_path}
        if passage.case_id:
            names.add(catalog.cases[passage.case_id].title)
        assert any(html.unescape(title) in name for name in names), (title, names)
