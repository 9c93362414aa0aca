"""Token-protected upload and delete; uploads are searchable in the next request."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pypdf import PdfReader, PdfWriter

from tests.pdfs import one_page_pdf
from vidensbank.lock import writer_lock

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
    _, client = writable(admin_token=TOKEN, fetch_allow_hosts="127.0.0.1")
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


def test_a_local_address_is_refused_without_the_allow_list_like_an_unreachable_one(
    writable: Callable, local_site: str
) -> None:
    settings, client = writable(admin_token=TOKEN)
    refused = client.post("/api/documents", json={"url": f"{local_site}/side.html"}, headers=auth())
    decimal = f"http://2130706433:{local_site.rsplit(':', 1)[1]}/side.html"
    spelled = client.post("/api/documents", json={"url": decimal}, headers=auth())
    for response in (refused, spelled):
        error = assert_error(response, 502)
        assert "127.0.0.1" not in error["message"]
    assert not (settings.data_dir / "uploads").exists()


def test_a_busy_writer_gives_409_with_retry_after_and_leaves_no_trace(
    writable: Callable,
) -> None:
    settings, client = writable(admin_token=TOKEN, write_wait_s=0.3)
    with writer_lock(settings.data_dir):  # e.g. a `vidensbank ingest` in another process
        response = client.post(
            "/api/documents", files={"file": ("travl.md", NOTE.encode())}, headers=auth()
        )
        deleted = client.delete("/api/documents/vaerdiskabende-gentagelser-2023", headers=auth())
    for busy in (response, deleted):
        error = assert_error(busy, 409, "busy")
        assert int(busy.headers["retry-after"]) > 0
        assert str(os.getpid()) not in busy.text
        assert str(settings.data_dir) not in busy.text and "pid" not in error["message"]
    uploads = settings.data_dir / "uploads"
    assert not uploads.exists() or list(uploads.iterdir()) == []


def test_a_refused_replacement_leaves_the_previous_file_and_document(writable: Callable) -> None:
    settings, client = writable(admin_token=TOKEN)
    first = client.post(
        "/api/documents", files={"file": ("note.md", NOTE.encode())}, headers=auth()
    )
    assert first.status_code == 201, first.text
    broken = client.post(
        "/api/documents", files={"file": ("note.md", b"#\n\n   \n")}, headers=auth()
    )
    assert_error(broken, 422, "ingest_failed")
    folder = settings.data_dir / "uploads"
    assert sorted(p.name for p in folder.iterdir()) == ["note.md"]  # no staging, no backup
    assert (folder / "note.md").read_bytes() == NOTE.encode()
    hits = client.get("/api/search", params={"q": "booking af vasketider i vaskeriet", "k": 1})
    assert hits.json()["results"][0]["document"]["id"] == first.json()["document_id"]


def test_names_without_latin_letters_get_their_own_stable_file(writable: Callable) -> None:
    settings, client = writable(admin_token=TOKEN)
    names = ["Отчёт.md", "报告.md", "Αναφορά.md", "..md", ".."]
    saved = []
    for index, name in enumerate(names):
        text = NOTE.replace("Solgården", f"Solgården {index}").encode()
        upload = {"file": (name, text, "text/markdown")}
        response = client.post("/api/documents", files=upload, headers=auth())
        assert response.status_code == 201, response.text
        saved.append(response.json()["document_id"])
    assert len(set(saved)) == len(names)
    files = sorted(p.name for p in (settings.data_dir / "uploads").iterdir())
    assert len(files) == len(names) and "upload.md" not in files
    assert any(f.startswith("otchiot-") for f in files), files
    # the same name again replaces its own document (the name, not the content, is hashed)
    again = NOTE.replace("Solgården", "Solgården igen").encode()
    response = client.post("/api/documents", files={"file": ("Отчёт.md", again)}, headers=auth())
    assert response.json()["status"] == "updated" and response.json()["document_id"] == saved[0]


def _encrypted(data: bytes, user: str, algorithm: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user, owner_password="ejerens-kodeord", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("algorithm", ["AES-128", "AES-256"])
def test_encrypted_pdfs_open_with_an_owner_password_and_need_the_user_password(
    writable: Callable, algorithm: str
) -> None:
    _, client = writable(admin_token=TOKEN)
    text = (
        "Beboerhuset i Lindeparken blev renoveret med frivillige kræfter. Beboerne malede selv"
        " salen og byggede nye borde til fællesspisningen hver torsdag."
    )
    owner_only = _encrypted(one_page_pdf(text), "", algorithm)
    opened = client.post(
        "/api/documents", files={"file": ("beboerhus.pdf", owner_only)}, headers=auth()
    )
    assert opened.status_code == 201, opened.text
    assert opened.json()["passages"] > 0
    locked = _encrypted(one_page_pdf(text), "hemmelig", algorithm)
    refused = client.post("/api/documents", files={"file": ("laast.pdf", locked)}, headers=auth())
    error = assert_error(refused, 422, "ingest_failed")
    assert "encrypted PDF: a password is needed to read it" in error["message"]
