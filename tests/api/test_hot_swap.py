"""A snapshot built outside the server (as by `vidensbank ingest`) is served within 2 s,
with no failed request and no response mixing two snapshots."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from vidensbank.writes import ingest_and_build

NOTE = """# Delebiler i Kærgården

## Fælles elbiler

Afdelingen Kærgården fik tre delte elbiler med ladestandere på parkeringspladsen.
Beboerne booker bilerne i en app, og flere har solgt deres egen bil.
"""
QUERY = "delte elbiler med ladestandere"


def test_new_snapshot_is_served_within_two_seconds_without_failures(
    writable: Callable, tmp_path
) -> None:
    settings, client = writable(reload_interval_s=0.5)
    old = client.get("/readyz").json()["version"]
    seen: list[tuple[str, int, set[str]]] = []
    failures: list[str] = []
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            response = client.get("/api/search", params={"q": QUERY, "k": 50, "mode": "lexical"})
            if response.status_code != 200:
                failures.append(f"{response.status_code} {response.text[:200]}")
                continue
            body = response.json()
            documents = {h["document"]["id"] for h in body["results"]}
            seen.append((response.headers["x-snapshot-version"], body["total"], documents))

    worker = threading.Thread(target=loop)
    worker.start()
    try:
        note = tmp_path / "delebiler.md"
        note.write_text(NOTE, encoding="utf-8")
        outcome = ingest_and_build(settings, [note], progress=False)
        built = time.monotonic()
        assert outcome.build is not None
        new = outcome.build.version
        while client.get("/readyz").json()["version"] != new:
            assert time.monotonic() - built < 2.0, "new snapshot not served within 2 s"
            time.sleep(0.05)
        served_after = time.monotonic() - built
        time.sleep(0.3)  # a few more requests on the new snapshot
    finally:
        stop.set()
        worker.join()

    assert not failures, failures
    assert served_after < 2.0
    versions = [v for v, *_ in seen]
    assert versions[0] == old and versions[-1] == new
    assert versions == sorted(versions, key=[old, new].index)  # never back to the old one
    for version, _, documents in seen:  # each response is wholly one snapshot
        has_new_doc = "delebiler" in documents
        assert has_new_doc == (version == new), (version, documents)
    totals = {v: {t for vv, t, *_ in seen if vv == v} for v in (old, new)}
    assert all(len(t) == 1 for t in totals.values()), totals


def test_a_damaged_new_snapshot_is_not_swapped_in_and_the_next_ingest_heals_it(
    writable: Callable, tmp_path
) -> None:
    settings, client = writable(reload_interval_s=60)  # refreshed by hand below
    holder = client.app.state.holder
    old = client.get("/readyz").json()["version"]
    note = tmp_path / "delebiler.md"
    note.write_text(NOTE, encoding="utf-8")
    damaged = ingest_and_build(settings, [note], progress=False).build
    assert damaged is not None
    with (damaged.path / "dense.faiss").open("r+b") as handle:
        handle.truncate(100)

    assert holder.refresh() is False  # nothing new is served
    ready = client.get("/readyz").json()
    assert ready["status"] == "degraded"
    assert (ready["version"], ready["fallback_from"]) == (old, damaged.version)
    assert ready["reason"].startswith("dense.faiss has 100 bytes")
    stats = client.get("/api/stats").json()
    assert (stats["status"], stats["version"]) == ("degraded", old)
    response = client.get("/api/search", params={"q": QUERY, "mode": "lexical"})
    assert response.status_code == 200 and response.headers["x-snapshot-version"] == old

    healed = ingest_and_build(settings, [note], progress=False).build  # nothing changed but
    assert healed is not None and healed.version != damaged.version  # the damage: rebuilt
    assert holder.refresh() is True
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["version"] == healed.version
    assert ready["fallback_from"] is None and ready["reason"] is None
    body = client.get("/api/search", params={"q": QUERY, "k": 50, "mode": "lexical"}).json()
    assert "delebiler" in {h["document"]["id"] for h in body["results"]}
