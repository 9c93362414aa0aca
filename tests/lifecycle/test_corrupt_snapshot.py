"""A current snapshot damaged on disk (garbage catalog.sqlite3, broken manifest.json,
truncated dense.faiss): the server keeps serving the previous snapshot and says so in
/readyz and its log, `vidensbank serve` does not exit, `vidensbank ingest` rebuilds it, and
`vidensbank search` prints one line instead of a traceback."""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.lifecycle.conftest import CliProcess, make_corpus, settings_for
from vidensbank.api.app import create_app
from vidensbank.api.holder import SnapshotHolder
from vidensbank.search.snapshot import current_path, snapshot_dirs, verify_snapshot
from vidensbank.settings import Settings
from vidensbank.writes import ingest_and_build

ENERGI = (
    "# Varmepumper i Viborg\n\nBoligselskabet Viborg har installeret varmepumper i tre"
    " afdelinger. Projektet har sænket varmeregningen med omkring 20 procent.\n"
)
TRYGHED = (
    "# Nabohjælp i Vollsmose\n\nFrivillige beboere holder øje med tomme lejligheder i"
    " ferierne. Ordningen har givet færre indbrud i Vollsmose.\n"
)


def garbage_catalog(snapshot: Path) -> str:
    catalog = snapshot / "catalog.sqlite3"
    size = catalog.stat().st_size
    catalog.write_bytes((b"garbage!" * (size // 8 + 1))[:size])
    return "catalog.sqlite3 does not match its checksum"


def broken_manifest(snapshot: Path) -> str:
    manifest = snapshot / "manifest.json"
    manifest.write_text(manifest.read_text()[:100])
    return "manifest.json is not valid JSON"


def truncated_dense(snapshot: Path) -> str:
    with (snapshot / "dense.faiss").open("r+b") as handle:
        handle.truncate(1000)
    return "dense.faiss has 1000 bytes"


CORRUPTIONS = [garbage_catalog, broken_manifest, truncated_dense]


@pytest.fixture(scope="module")
def two_snapshots(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A data dir with two valid snapshots ("energi" alone, then with "tryghed"), built in
    ``live`` and kept as ``template``. The store records absolute source paths, so a test
    restores the template into ``live`` rather than copying it elsewhere."""
    root = tmp_path_factory.mktemp("two-snapshots")
    live = root / "live"
    corpus = make_corpus(live / "corpus", {"energi.md": ENERGI})
    settings = settings_for(live, corpus)
    assert ingest_and_build(settings, [corpus], progress=False).build is not None
    (corpus / "tryghed.md").write_text(TRYGHED, encoding="utf-8")
    assert ingest_and_build(settings, [corpus], progress=False).build is not None
    shutil.copytree(live, root / "template")
    return live, root / "template"


@pytest.fixture
def damaged(two_snapshots: tuple[Path, Path]) -> Callable[[Callable[[Path], str]], tuple]:
    """The two snapshots, fresh from the template, with the current one damaged by
    ``corrupt``. Returns (settings, previous version, damaged version, expected reason)."""
    live, template = two_snapshots

    def make(corrupt: Callable[[Path], str]) -> tuple[Settings, str, str, str]:
        shutil.rmtree(live)
        shutil.copytree(template, live)
        settings = settings_for(live, live / "corpus")
        current = current_path(settings.index_dir)
        assert current is not None
        previous = next(p for p in snapshot_dirs(settings.index_dir) if p != current)
        reason = corrupt(current)
        return settings, previous.name, current.name, reason

    return make


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("corrupt", CORRUPTIONS)
def test_server_serves_the_previous_snapshot_and_readyz_says_degraded(
    damaged, corrupt, caplog: pytest.LogCaptureFixture
) -> None:
    settings, previous, broken, reason = damaged(corrupt)
    with caplog.at_level("ERROR", logger="vidensbank.api.holder"):
        client = TestClient(create_app(settings, holder=SnapshotHolder(settings)))
        with client:
            ready = client.get("/readyz")
            assert ready.status_code == 200
            body = ready.json()
            assert body["status"] == "degraded"
            assert (body["version"], body["fallback_from"]) == (previous, broken)
            assert body["reason"].startswith(reason)
            assert str(settings.data_dir) not in ready.text
            hits = client.get("/api/search", params={"q": "varmepumper i Viborg", "k": 3})
            assert hits.status_code == 200
            assert hits.headers["x-snapshot-version"] == previous
            assert hits.json()["results"][0]["document"]["id"] == "energi"
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert any(broken in r.getMessage() and reason in r.getMessage() for r in errors)
    assert all(r.exc_info is None for r in errors), "no traceback for a damaged snapshot"


@pytest.mark.parametrize("corrupt", CORRUPTIONS)
def test_ingest_rebuilds_a_damaged_current_snapshot(damaged, corrupt) -> None:
    settings, previous, broken, reason = damaged(corrupt)
    ingest = CliProcess(["ingest", "--quiet"], settings)
    assert ingest.wait(300) == 0, ingest.stderr
    assert "Index unchanged" not in ingest.stdout
    assert "Traceback" not in ingest.stderr
    assert f"The index snapshot {broken} cannot be used ({reason}" in ingest.stderr
    current = current_path(settings.index_dir)
    assert current is not None and current.name not in (previous, broken)
    assert verify_snapshot(current).counts.documents == 2
    # the damaged one is pruned; the previous valid one stays as the fallback
    assert {p.name for p in snapshot_dirs(settings.index_dir)} == {current.name, previous}

    again = CliProcess(["ingest", "--quiet"], settings)
    assert again.wait(300) == 0 and "Index unchanged" in again.stdout


@pytest.mark.parametrize("corrupt", CORRUPTIONS)
def test_search_prints_one_line_for_a_damaged_snapshot(damaged, corrupt) -> None:
    settings, _previous, broken, reason = damaged(corrupt)
    search = CliProcess(["search", "varmepumper"], settings)
    assert search.wait(120) == 2
    lines = search.stderr.strip().splitlines()
    assert len(lines) == 1, search.stderr
    assert lines[0].startswith(f"error: The index snapshot {broken} is damaged: {reason}")
    assert "vidensbank ingest" in lines[0]
    assert search.stdout == ""


def test_serve_keeps_running_on_the_previous_snapshot(damaged) -> None:
    """The issue's case: a garbage catalog made `serve` exit with code 3."""
    settings, previous, broken, _reason = damaged(garbage_catalog)
    port = _free_port()
    serve = CliProcess(["serve", "--port", str(port), "--log-level", "warning"], settings)
    try:
        deadline = time.monotonic() + 120
        body = None
        while time.monotonic() < deadline and serve.proc.poll() is None:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
                body = response.json()
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert serve.proc.poll() is None, f"serve exited: {serve.stderr}"
        assert body is not None, "serve did not answer"
        assert body["status"] == "degraded"
        assert (body["version"], body["fallback_from"]) == (previous, broken)
        search = httpx.get(
            f"http://127.0.0.1:{port}/api/search", params={"q": "nabohjælp"}, timeout=60
        )
        assert search.status_code == 200
        assert "ERROR" in serve.stderr and f"Snapshot {broken} is invalid" in serve.stderr
        assert "Traceback" not in serve.stderr
    finally:
        serve.proc.terminate()
        serve.wait(30)


def test_with_no_valid_snapshot_left_readyz_is_503_and_search_says_how_to_fix(
    damaged,
) -> None:
    settings, previous, _broken, _reason = damaged(truncated_dense)
    shutil.rmtree(settings.index_dir / previous)
    client = TestClient(create_app(settings, holder=SnapshotHolder(settings)))
    with client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.headers["retry-after"] == "5"
        search = client.get("/api/search", params={"q": "varmepumper"})
        assert search.status_code == 503
        error = search.json()["error"]
        assert error["code"] == "not_ready"
        assert error["message"].startswith("The search index is damaged")
        assert "vidensbank ingest" in error["message"]
        assert "not loaded yet" not in error["message"]
        assert str(settings.data_dir) not in search.text
        page = client.get("/", params={"q": "varmepumper"})
        assert page.status_code == 503
        assert "<title>Søgeindekset er beskadiget" in page.text
        assert "bygge indekset igen" in page.text
        assert "ikke klar endnu" not in page.text
        assert str(settings.data_dir) not in page.text
        # With the index folder gone too, it says there is none, not that it is damaged.
        shutil.rmtree(settings.index_dir)
        gone = client.get("/api/search", params={"q": "varmepumper"}).json()["error"]
        assert gone["message"].startswith("No search index is loaded yet")


def test_before_the_first_ingest_search_says_there_is_no_index_yet(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, tmp_path / "corpus")
    client = TestClient(create_app(settings, holder=SnapshotHolder(settings)))
    with client:
        search = client.get("/api/search", params={"q": "varmepumper"})
        assert search.status_code == 503
        assert search.json()["error"]["message"].startswith("No search index is loaded yet")
        page = client.get("/", params={"q": "varmepumper"})
        assert page.status_code == 503
        assert "endnu ikke et søgeindeks" in page.text
        assert "beskadiget" not in page.text
