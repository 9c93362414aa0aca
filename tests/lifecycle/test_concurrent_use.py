"""Searching keeps working while an ingest runs in another process; a second writer is
refused with a clear message."""

from __future__ import annotations

import importlib.util
import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.lifecycle.conftest import CliProcess, closed_port, filler, make_corpus, settings_for
from tests.lifecycle.test_crash_safety import ENERGI, TRYGHED
from vidensbank.lock import writer_lock
from vidensbank.search.searcher import Searcher, Snapshot
from vidensbank.search.snapshot import current_path
from vidensbank.services import query_embedder
from vidensbank.writes import ingest_and_build

NEW = (
    "# Legepladsen\n\nBørnene i afdelingen har selv tegnet den nye legeplads med klatrenet,"
    " sandkasse og en bakke til kælkning om vinteren.\n"
)


def _corpus(tmp_path: Path):
    corpus = make_corpus(tmp_path / "corpus", {"energi.md": ENERGI, "tryghed.md": TRYGHED})
    settings = settings_for(tmp_path, corpus)
    assert ingest_and_build(settings, [corpus], progress=False).build is not None
    (corpus / "legeplads.md").write_text(NEW, encoding="utf-8")
    (corpus / "notat.md").write_text(filler("samtidig", 3), encoding="utf-8")
    return corpus, settings


@pytest.mark.slow
def test_a_searcher_reloading_current_keeps_answering_during_an_ingest(tmp_path: Path) -> None:
    corpus, settings = _corpus(tmp_path)
    embedder = query_embedder(settings)
    loaded = current_path(settings.index_dir)
    searcher = Searcher(Snapshot.load(loaded), embedder)
    versions = {loaded.name}
    searches = 0
    ingest = CliProcess(["ingest", "--quiet", str(corpus)], settings)
    while ingest.proc.poll() is None or searches == 0 or len(versions) == 1:
        path = current_path(settings.index_dir)
        if path != loaded:  # what the API does: load the new snapshot, swap, close the old
            old, searcher, loaded = searcher, Searcher(Snapshot.load(path), embedder), path
            old.snapshot.close()
            versions.add(path.name)
        top = searcher.search("varmepumper sænker varmeregningen", k=1).results[0]
        assert top.document.id == "energi"
        searches += 1
        if ingest.proc.poll() is not None and len(versions) == 1:
            assert ingest.wait() == 0, ingest.stderr
            path = current_path(settings.index_dir)
            assert path != loaded, "ingest finished without a new snapshot"
    assert ingest.wait() == 0, ingest.stderr
    assert searches > 3 and len(versions) == 2
    assert searcher.search("klatrenet og sandkasse", k=1).results[0].document.id == "legeplads"
    searcher.snapshot.close()


@pytest.mark.skipif(
    importlib.util.find_spec("vidensbank.commands.serve") is None, reason="no `vidensbank serve`"
)
@pytest.mark.slow
def test_the_search_server_answers_without_errors_during_an_ingest(tmp_path: Path) -> None:
    corpus, settings = _corpus(tmp_path)
    port = closed_port()
    base = f"http://127.0.0.1:{port}"
    server = CliProcess(["serve", "--port", str(port), "--log-level", "warning"], settings)
    try:
        with httpx.Client(base_url=base, timeout=30, trust_env=False) as client:
            version = _ready(client, server)
            ingest = CliProcess(["ingest", "--quiet", str(corpus)], settings)
            statuses: list[int] = []
            while ingest.proc.poll() is None:
                response = client.get(
                    "/api/search", params={"q": "varmepumper sænker varmeregningen", "k": 1}
                )
                statuses.append(response.status_code)
                assert response.status_code == 200, response.text
                assert response.json()["results"][0]["document"]["id"] == "energi"
            assert ingest.wait() == 0, ingest.stderr
            assert len(statuses) > 3
            deadline = time.monotonic() + 30
            while client.get("/readyz").json()["version"] == version:
                assert time.monotonic() < deadline, "the server did not pick up the new snapshot"
                time.sleep(0.2)
            top = client.get("/api/search", params={"q": "klatrenet og sandkasse", "k": 1})
            assert top.json()["results"][0]["document"]["id"] == "legeplads"
    finally:
        server.proc.send_signal(signal.SIGTERM)
        server.wait(30)


def _ready(client: httpx.Client, server: CliProcess) -> str:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert server.proc.poll() is None, server.stderr
        try:
            response = client.get("/readyz")
            if response.status_code == 200:
                return response.json()["version"]
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"server not ready: {server.stderr}")


def test_a_second_writer_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus", {"energi.md": ENERGI})
    settings = settings_for(tmp_path, corpus)
    with writer_lock(settings.data_dir):  # an ingest in progress (this process)
        for args in (["ingest", str(corpus)], ["fetch-links"]):
            process = CliProcess(args, settings)
            assert process.wait(120) == 2
            assert f"Another ingest is running (pid {os.getpid()})" in process.stderr
            assert "wait for it to finish" in process.stderr
    assert not settings.store_path.exists()  # refused before touching the store
