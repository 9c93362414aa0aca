"""A snapshot built outside the server (as by `vidensbank ingest`) is served within 2 s,
with no failed request and no response mixing two snapshots."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from vidensbank.services import ingest_and_build

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
