"""Every error has one JSON shape, with a message that says how to fix the problem."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from vidensbank.api.app import create_app
from vidensbank.api.holder import SnapshotHolder

from .conftest import TOKEN, auth


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "detail"}
    assert isinstance(body["error"]["code"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code
    assert "Traceback" not in response.text
    assert response.headers["cache-control"] == "no-store"
    return body["error"]


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/api/nothing-here", "not_found"),
        ("/api/documents/no-such-document", "not_found"),
        ("/api/cases/no-such-case", "not_found"),
        ("/api/cases/no-such-case/similar", "not_found"),
        ("/api/passages/no-such-passage", "not_found"),
    ],
)
def test_404(client: TestClient, path: str, code: str) -> None:
    assert_error(client.get(path), 404, code)


def test_405(client: TestClient) -> None:
    response = client.put("/api/search")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": ""},
        {"q": "   "},
        {"q": "\x00\x01\u200b"},  # control and invisible characters only
        {"q": "x" * 501},
        {"q": "udsættelser", "k": 0},
        {"q": "udsættelser", "k": 51},
        {"q": "udsættelser", "offset": 1001},
        {"q": "udsættelser", "offset": -1},
        {"q": "udsættelser", "mode": "magic"},
        {"q": "udsættelser", "year": "tyve"},
    ],
)
def test_422_for_invalid_parameters(client: TestClient, params: dict) -> None:
    error = assert_error(client.get("/api/search", params=params), 422, "invalid_request")
    assert "/docs" in error["message"]
    assert error["detail"][0]["field"]


def test_control_and_invisible_characters_are_not_part_of_the_question(
    client: TestClient,
) -> None:
    """A soft hyphen or zero-width space pasted inside a word, or a stray NUL, does not
    change the question: the word reads as typed."""
    plain = client.get("/api/search", params={"q": "udsættelser", "k": 3}).json()
    pasted = client.get("/api/search", params={"q": "udsæt\u00adtel\u200bser\x00", "k": 3}).json()
    assert pasted["query"] == "udsættelser"
    assert [r["passage_id"] for r in pasted["results"]] == [
        r["passage_id"] for r in plain["results"]
    ]


def test_an_unknown_search_parameter_is_named_not_ignored(client: TestClient) -> None:
    """A misspelt filter ("them" for "theme") would otherwise widen the search unnoticed."""
    for response, where in (
        (client.get("/api/search", params={"q": "udsættelser", "them": "Biodiversitet"}), "query"),
        (client.post("/api/search", json={"q": "udsættelser", "them": "Biodiversitet"}), "body"),
    ):
        error = assert_error(response, 422, "invalid_request")
        assert error["detail"] == [
            {
                "field": "them",
                "in": where,
                "message": "not a parameter of this endpoint (misspelt?)",
            }
        ]
        assert "them: not a parameter" in error["message"]


def test_500_char_query_after_trimming_is_accepted(client: TestClient) -> None:
    q = "  " + "a" * 500 + "  "
    assert client.get("/api/search", params={"q": q, "k": 1, "mode": "lexical"}).status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [("theme", "Rumfart"), ("organisation", "NASA"), ("document", "nope"), ("year", 1999)],
)
def test_unknown_filter_values_list_the_valid_ones(client: TestClient, field: str, value) -> None:
    error = assert_error(
        client.get("/api/search", params={"q": "udsættelser", field: value}), 422, "invalid_filter"
    )
    assert "/api/facets" in error["message"]
    assert error["detail"]["field"] == field and error["detail"]["valid"]


def test_unknown_case_filter(client: TestClient) -> None:
    assert_error(client.get("/api/cases", params={"theme": "Rumfart"}), 422, "invalid_filter")


def test_413_415_422_on_upload(writable: Callable) -> None:
    _, client = writable(admin_token=TOKEN, max_upload_mb=0.01)
    big = b"Stor fil. " * 2000  # 20 kB > 0.01 MB
    assert_error(
        client.post("/api/documents", files={"file": ("stor.txt", big)}, headers=auth()),
        413,
        "payload_too_large",
    )
    assert_error(
        client.post("/api/documents", files={"file": ("regneark.xlsx", b"PK..")}, headers=auth()),
        415,
        "unsupported_media_type",
    )
    assert_error(
        client.post(
            "/api/documents", content=b"hej", headers={**auth(), "Content-Type": "text/plain"}
        ),
        415,
    )
    error = assert_error(
        client.post(
            "/api/documents",
            files={"file": ("rapport.pdf", b"%PDF-1.4 not really")},
            headers=auth(),
        ),
        422,
        "ingest_failed",
    )
    assert error["detail"]["reason"]
    assert_error(client.post("/api/documents", json={"address": "x"}, headers=auth()), 422)
    assert_error(
        client.post("/api/documents", json={"url": "ftp://x.dk/a.pdf"}, headers=auth()), 422
    )


def test_503_until_a_snapshot_exists(seed_settings, seed_searcher, tmp_path) -> None:
    settings = seed_settings.model_copy(update={"data_dir": tmp_path / "empty"})
    app = create_app(settings, holder=SnapshotHolder(settings, embedder=seed_searcher.embedder))
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        error = assert_error(client.get("/readyz"), 503, "not_ready")
        assert "vidensbank ingest" in error["message"]
        assert_error(client.get("/api/search", params={"q": "udsættelser"}), 503, "not_ready")


def test_unexpected_errors_are_500_without_details(
    read_app: FastAPI, seed_settings, seed_searcher
) -> None:
    app = create_app(
        seed_settings, holder=SnapshotHolder(seed_settings, embedder=seed_searcher.embedder)
    )

    def boom() -> None:
        raise RuntimeError("secret internal detail")

    app.add_api_route("/api/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        error = assert_error(client.get("/api/boom"), 500, "internal_error")
        assert "secret" not in error["message"]


def test_5xx_bodies_are_generic_and_name_the_request_id(
    seed_settings, seed_searcher, tmp_path
) -> None:
    empty = tmp_path / "hemmelig-mappe"
    settings = seed_settings.model_copy(update={"data_dir": empty})
    app = create_app(settings, holder=SnapshotHolder(settings, embedder=seed_searcher.embedder))

    def boom() -> None:
        raise RuntimeError(f"faiss/impl/index_read.cpp:42 in {empty} pid 4242")

    app.add_api_route("/api/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        for path in ("/readyz", "/api/search?q=udsættelser", "/api/boom", "/?q=x"):
            response = client.get(path)
            assert response.status_code >= 500, path
            request_id = response.headers["x-request-id"]
            assert request_id and request_id in response.text, path
            for leak in (str(empty), "hemmelig", "faiss", ".cpp", "4242", "Traceback"):
                assert leak not in response.text, (path, leak)
        error = assert_error(client.get("/api/boom"), 500, "internal_error")
        assert error["detail"]["request_id"] in error["message"]


def test_409_busy_names_no_pid_or_data_dir(read_app: FastAPI, seed_settings, seed_searcher):
    from pathlib import Path

    from vidensbank.lock import LockBusy

    app = create_app(
        seed_settings, holder=SnapshotHolder(seed_settings, embedder=seed_searcher.embedder)
    )

    def busy() -> None:
        raise LockBusy("98765", Path("/srv/hemmelig/data"))

    app.add_api_route("/api/busy", busy, methods=["POST"])
    with TestClient(app) as client:
        response = client.post("/api/busy")
        assert_error(response, 409, "busy")
        assert response.headers["retry-after"]
        assert "98765" not in response.text and "hemmelig" not in response.text


@pytest.mark.parametrize(
    "path", ["/", "/api/facets", "/api/nothing", "/docs", "/openapi.json", "/static/vidensbank.css"]
)
def test_every_response_is_nosniff_with_a_request_id(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert len(response.headers["x-request-id"]) >= 8


def test_head_is_answered_for_get_routes(client: TestClient) -> None:
    for path in ("/", "/api/facets", "/api/search?q=udsættelser&k=1", "/healthz"):
        head, get = client.head(path), client.get(path)
        assert head.status_code == get.status_code == 200, path
        assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"]


def test_trailing_slash_redirect_does_not_echo_the_host(client: TestClient) -> None:
    response = client.get(
        "/api/facets/?x=1", headers={"Host": "evil.example"}, follow_redirects=False
    )
    assert response.status_code == 307
    assert response.headers["location"] == "/api/facets?x=1"
    assert "evil" not in response.text + response.headers["location"]
    assert client.get("/ingen-side/", follow_redirects=False).status_code == 404


def test_slash_redirect_never_points_off_site(read_app: FastAPI) -> None:
    from vidensbank.api.middleware import slash_redirect

    scope = {"type": "http", "method": "GET", "query_string": b"", "app": read_app}
    assert slash_redirect({**scope, "path": "//api/facets/"}) == "/api/facets"
    assert slash_redirect({**scope, "path": "//evil.example/"}) is None
    assert slash_redirect({**scope, "path": "/"}) is None


def test_access_log_redacts_secrets(client: TestClient, caplog) -> None:
    with caplog.at_level("INFO", logger="vidensbank.access"):
        client.get("/api/facets?token=hemmelig1&api_key=hemmelig2&Password=hemmelig3&x=synlig")
    lines = [r.getMessage() for r in caplog.records if r.name == "vidensbank.access"]
    assert lines and "synlig" in lines[-1] and "[redacted]" in lines[-1]
    assert "hemmelig" not in lines[-1]


def test_uvicorn_access_log_filter_redacts_secrets() -> None:
    import logging
    import logging.config

    from vidensbank.api.middleware import RedactSecrets
    from vidensbank.commands.serve import log_config

    logging.config.dictConfig(log_config("info"))  # the config `vidensbank serve` uses
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", "/api/facets?secret_key=hemmelig&q=ok", "1.1", 200),
        None,
    )
    assert RedactSecrets().filter(record)
    line = record.getMessage()
    assert "hemmelig" not in line and "q=ok" in line and "[redacted]" in line
