"""Token-protected upload and delete; uploads are searchable in the next request."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .conftest import TOKEN, auth
from .test_errors import assert_error

NOTE = """# Vaskeri-appen i Solgården

## Digital booking af vaskeriet

Afdelingen Solgården indførte en app til booking af vasketider i fælles­vaskeriet.
Beboerne kan nu se ledige tider fra mobilen, og konflikterne om vasketider er næsten
forsvundet. Ejendomsfunktionærerne bruger mindre tid på at mægle mellem naboer.
"""


def test_writes_disabled_without_configured_token(client) -> None:
    error = assert_error(
        client.post("/api/documents", files={"file": ("a.txt", b"tekst")}, headers=auth()),
        403,
        "writes_disabled",
    )
    assert "VIDENSBANK_ADMIN_TOKEN" in error["message"]
    assert_error(client.delete("/api/documents/x", headers=auth()), 403)


def test_missing_or_wrong_token_is_401(writable: Callable) -> None:
    _, client = writable(admin_token=TOKEN)
    upload = {"file": ("a.txt", b"tekst")}
    missing = client.post("/api/documents", files=upload)
    assert_error(missing, 401, "unauthorized")
    assert missing.headers["www-authenticate"] == "Bearer"
    assert_error(client.post("/api/documents", files=upload, headers=auth("wrong" * 5)), 401)
    assert_error(client.delete("/api/documents/x", headers=auth("wrong" * 5)), 401)


def test_upload_is_searchable_in_the_next_request_then_delete(writable: Callable) -> None:
    settings, client = writable(admin_token=TOKEN)
    before = client.get("/readyz").json()["version"]
    response = client.post(
        "/api/documents",
        files={"file": ("../../etc/Vaskeri app.md", NOTE.encode(), "text/markdown")},
        headers=auth(),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "added" and body["passages"] > 0 and body["version"] != before
    document_id = body["document_id"]
    assert (settings.data_dir / "uploads" / "vaskeri-app.md").exists()  # path trick defused

    hits = client.get("/api/search", params={"q": "booking af vasketider i vaskeriet", "k": 3})
    assert hits.json()["results"][0]["document"]["id"] == document_id
    assert hits.headers["x-snapshot-version"] == body["version"]

    again = client.post(
        "/api/documents", files={"file": ("Vaskeri app.md", NOTE.encode())}, headers=auth()
    )
    assert again.status_code == 200 and again.json()["status"] == "unchanged"

    deleted = client.delete(f"/api/documents/{document_id}", headers=auth())
    assert deleted.status_code == 200, deleted.text
    assert_error(client.get(f"/api/documents/{document_id}"), 404)
    assert not (settings.data_dir / "uploads" / "vaskeri-app.md").exists()
    assert_error(client.delete(f"/api/documents/{document_id}", headers=auth()), 404)


@pytest.fixture
def local_site() -> Iterator[str]:
    pages = {
        "/side.html": (
            "text/html; charset=utf-8",
            "<html><head><title>Grønne tage</title></head><body><main><h1>Grønne tage"
            " på Bakkegården</h1><p>Afdelingen Bakkegården anlagde grønne tage med sedum på"
            " cykelskurene. Regnvandet forsinkes, og sommerfuglene kom tilbage til"
            " gården allerede første sommer.</p></main></body></html>".encode(),
        ),
        "/data.json": ("application/json", b"{}"),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path not in pages:
                self.send_error(404)
                return
            kind, data = pages[self.path]
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_upload_by_url(writable: Callable, local_site: str) -> None:
    _, client = writable(admin_token=TOKEN)
    response = client.post(
        "/api/documents", json={"url": f"{local_site}/side.html"}, headers=auth()
    )
    assert response.status_code == 201, response.text
    document_id = response.json()["document_id"]
    document = client.get(f"/api/documents/{document_id}").json()
    assert document["url"] == f"{local_site}/side.html"
    hits = client.get("/api/search", params={"q": "sedum på cykelskurene", "k": 1}).json()
    assert hits["results"][0]["document"]["id"] == document_id
    assert_error(
        client.post("/api/documents", json={"url": f"{local_site}/data.json"}, headers=auth()), 415
    )
    assert_error(
        client.post("/api/documents", json={"url": f"{local_site}/mangler.html"}, headers=auth()),
        502,
    )
