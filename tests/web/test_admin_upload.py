"""The admin upload over HTTP: metadata checked in Danish, a preview that writes nothing,
commit through the real write, and removal — on a private copy of the seed data."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import time
import tomllib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.seeddata import seed_copy
from tests.wordfiles import DOCX_TYPE, word_file

pytestmark = pytest.mark.slow

TOKEN = "admin-token-0123456789abcdef"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ingest" / "tryghed-og-energi.md"
SEED_ID = "vaerdiskabende-gentagelser-2023"
METADATA = {
    "title": "",  # detected from the file
    "publisher": "Landsbyggefonden",
    "year": "2024",
    "edition": "2. udgave",
    "url": "https://example.org/tryghed-og-energi",
    "rights": 'Må deles med kildeangivelse "LBF 2024" \\ intern brug',
    "supersedes": SEED_ID,
}


@pytest.fixture(scope="module")
def admin(seed_settings, seed_searcher, tmp_path_factory):
    """A logged-in client over a private copy of the seed data dir, and its settings."""
    from vidensbank.api.app import create_app
    from vidensbank.api.holder import SnapshotHolder

    settings = seed_copy(seed_settings, tmp_path_factory.mktemp("admin"), admin_token=TOKEN)
    app = create_app(settings, holder=SnapshotHolder(settings, embedder=seed_searcher.embedder))
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        page = client.get("/admin/login")
        csrf = CSRF.search(page.text).group(1)
        logged = client.post("/admin/login", data={"token": TOKEN, "csrf": csrf, "next": "/admin"})
        assert logged.status_code == 303
        yield client, settings


def csrf_of(client: TestClient, path: str = "/admin") -> str:
    return CSRF.search(client.get(path).text).group(1)


def post_upload(client, fields=None, file=None, csrf: str | None = "fresh"):
    data = dict(METADATA if fields is None else fields)
    if csrf == "fresh":
        data["csrf"] = csrf_of(client)
    elif csrf is not None:
        data["csrf"] = csrf
    upload = file or ("Tryghed og energi.md", FIXTURE.read_bytes(), "text/markdown")
    return client.post("/admin/upload", data=data, files={"file": upload})


def staged_tokens(settings) -> list[str]:
    folder = settings.data_dir / "staging"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def store_row(settings, document_id: str):
    conn = sqlite3.connect(settings.store_path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("SELECT * FROM documents WHERE id = ?", (document_id,)).fetchone()
    finally:
        conn.close()


def search_ids(client, q: str) -> list[str]:
    body = client.get("/api/search", params={"q": q, "k": 10}).json()
    return [hit["document"]["id"] for hit in body["results"]]


def test_upload_preview_commit_and_remove(admin):
    client, settings = admin
    before = staged_tokens(settings)
    response = post_upload(client)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/admin/upload/")
    assert len(staged_tokens(settings)) == len(before) + 1

    preview = client.get(location)
    assert preview.status_code == 200
    text = preview.text
    for expected in ("Tryghed", "Energi", "Lys på stierne i Gellerup", "Brabrand Boligforening"):
        assert expected in text, expected
    assert "Forhåndsvisning" in text and "Gem og indeksér" in text
    assert store_row(settings, "tryghed-og-energi") is None  # nothing committed yet

    csrf = CSRF.search(text).group(1)
    done = client.post(f"{location}/gem", data={"csrf": csrf})
    assert done.status_code == 200, done.text
    assert "kan nu findes i søgningen" in done.text
    assert staged_tokens(settings) == before

    row = store_row(settings, "tryghed-og-energi")
    assert row["title"] == "Tryghed og energi i almene boligområder"
    assert row["publisher"] == "Landsbyggefonden" and row["year"] == 2024
    assert row["url"] == METADATA["url"]
    meta = json.loads(row["metadata"])
    assert meta["rights"] == METADATA["rights"] and meta["edition"] == "2. udgave"
    assert store_row(settings, SEED_ID)["superseded_by"] == "tryghed-og-energi"
    assert "tryghed-og-energi" in search_ids(client, "varmepumper i Viborg")

    confirm = client.get("/admin/documents/tryghed-og-energi/fjern")
    assert confirm.status_code == 200 and "Ja, fjern" in confirm.text
    removed = client.post(
        "/admin/documents/tryghed-og-energi/fjern",
        data={"csrf": CSRF.search(confirm.text).group(1)},
    )
    assert removed.status_code == 200
    assert "er fjernet" in removed.text
    assert store_row(settings, "tryghed-og-energi") is None
    assert store_row(settings, SEED_ID)["superseded_by"] is None
    assert "tryghed-og-energi" not in search_ids(client, "varmepumper i Viborg")
    manifest = tomllib.loads((settings.data_dir / "uploads" / "sources.toml").read_text())
    assert manifest.get("publications", []) == []


def test_invalid_metadata_is_explained_in_danish_and_nothing_is_staged(admin):
    client, settings = admin
    before = staged_tokens(settings)
    fields = {
        **METADATA,
        "year": "1850",
        "url": "ftp://example.org/x",
        "title": "x" * 301,
        "supersedes": "findes-ikke",
    }
    response = post_upload(client, fields)
    assert response.status_code == 422
    text = response.text
    assert "Skriv året med fire cifre mellem 1900" in text
    assert "Webadressen skal begynde med http:// eller https://" in text
    assert "Titel er for lang: skriv højst 300 tegn." in text
    assert "Vælg en af publikationerne på listen" in text
    assert 'value="Landsbyggefonden"' in text  # what was typed is kept
    assert 'aria-invalid="true"' in text
    assert staged_tokens(settings) == before


def test_unsupported_or_empty_files_are_refused_in_danish(admin):
    client, settings = admin
    before = staged_tokens(settings)
    exe = post_upload(client, {}, file=("program.exe", b"MZ\x90\x00", "application/octet-stream"))
    assert exe.status_code == 422 and "Filtypen kan ikke bruges" in exe.text
    empty = post_upload(client, {}, file=("tom.md", b"   \n", "text/markdown"))
    assert empty.status_code == 422 and "Filen er tom" in empty.text
    for response in (exe, empty):
        assert str(settings.data_dir) not in response.text
    assert staged_tokens(settings) == before


def test_posts_without_csrf_are_refused_and_write_nothing(admin):
    client, settings = admin
    before = staged_tokens(settings)
    assert post_upload(client, csrf=None).status_code == 403
    assert post_upload(client, csrf="forged-token").status_code == 403
    assert staged_tokens(settings) == before

    location = post_upload(client).headers["location"]
    assert client.post(f"{location}/gem", data={}).status_code == 403
    assert store_row(settings, "tryghed-og-energi") is None
    assert client.post(f"/admin/documents/{SEED_ID}/fjern", data={}).status_code == 403
    assert store_row(settings, SEED_ID) is not None

    cancelled = client.post(f"{location}/annuller", data={"csrf": csrf_of(client, location)})
    assert cancelled.status_code == 303
    assert staged_tokens(settings) == before
    gone = client.get(location)
    assert gone.status_code == 404 and "Upload filen igen" in gone.text


def test_stale_staging_is_removed_and_tokens_never_reach_outside(admin):
    from vidensbank.web.admin import staging

    client, settings = admin
    location = post_upload(client).headers["location"]
    token = location.rsplit("/", 1)[1]
    folder = settings.data_dir / "staging" / token
    old = time.time() - staging.MAX_AGE_S - 60
    os.utime(folder, (old, old))
    assert client.get("/admin").status_code == 200  # opening the admin page cleans up
    assert not folder.exists()
    for bad in ("..", "../../etc", "a" * 10, "x/../y"):
        assert staging.load(settings, bad) is None
    assert client.get("/admin/upload/..%2F..%2Fetc").status_code == 404


def test_admin_pages_require_login(admin):
    _, settings = admin
    client = TestClient(admin[0].app, follow_redirects=False)
    for path in ("/admin", f"/admin/documents/{SEED_ID}/fjern", "/admin/upload/abc"):
        response = client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/admin/login?next=")
    posted = client.post(f"/admin/documents/{SEED_ID}/fjern", data={})
    assert posted.status_code == 303
    assert store_row(settings, SEED_ID) is not None


def test_a_stated_title_replaces_the_detected_one(admin):
    client, settings = admin
    note = "# Vaskeri\n\nAfdelingen Solgården booker vasketider i en app; konflikterne er væk.\n"
    fields = {"title": "Vaskeri-appen i Solgården", "year": "2025"}
    response = post_upload(client, fields, file=("vaskeri.md", note.encode(), "text/markdown"))
    location = response.headers["location"]
    preview = client.get(location)
    assert "Vaskeri-appen i Solgården" in preview.text
    done = client.post(f"{location}/gem", data={"csrf": CSRF.search(preview.text).group(1)})
    assert done.status_code == 200
    row = store_row(settings, "vaskeri")
    assert row["title"] == "Vaskeri-appen i Solgården" and row["year"] == 2025

    again = post_upload(client, {}, file=("vaskeri.md", note.encode(), "text/markdown"))
    notice = client.get(again.headers["location"]).text
    assert "Der er allerede uploadet en fil med navnet vaskeri.md" in notice


def test_a_word_file_is_previewed_with_its_headings_and_committed(admin):
    client, settings = admin
    upload = ("Fugt og indeklima.docx", word_file(), DOCX_TYPE)
    response = post_upload(client, {"publisher": "Boligselskabet Sjælland"}, file=upload)
    assert response.status_code == 303, response.text
    preview = client.get(response.headers["location"])
    for heading in ("Indeklima", "Fugtmålere i Solbakken"):  # Word heading styles
        assert heading in preview.text, heading
    done = client.post(
        f"{response.headers['location']}/gem", data={"csrf": CSRF.search(preview.text).group(1)}
    )
    assert done.status_code == 200, done.text
    row = store_row(settings, "fugt-og-indeklima")
    assert row["title"] == "Fugt og indeklima" and row["publisher"] == "Boligselskabet Sjælland"
    assert "fugt-og-indeklima" in search_ids(client, "fugtmålere mod skimmel i lejlighederne")
