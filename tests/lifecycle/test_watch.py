"""`vidensbank ingest --watch`: files are ingested as they appear, partial files only
once they are complete."""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path

from tests.ingest.test_pipeline import GOOD_TEXT, make_pdf
from tests.lifecycle.conftest import CliProcess, make_corpus, settings_for
from vidensbank.ingest.watch import is_partial, is_relevant, watch_and_ingest
from vidensbank.search.snapshot import current_path
from vidensbank.writes import ingest_and_build


def test_partial_and_hidden_files_are_not_relevant() -> None:
    for name in ("rapport.pdf.part", "rapport.pdf.crdownload", ".rapport.pdf", "notat.md~"):
        assert is_partial(Path(name)) and not is_relevant(Path(name))
    for name in ("rapport.pdf", "side.html", "noter.md", "sources.toml", "x.provenance.json"):
        assert is_relevant(Path(name))
    assert not is_relevant(Path("billede.png"))


def test_batches_wait_for_files_to_be_complete(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    batches: list[dict[str, bytes]] = []
    stop = threading.Event()

    def on_batch(paths: list[Path]) -> bool:
        batches.append({p.name: p.read_bytes() for p in paths if p.exists()})
        return True

    thread = threading.Thread(
        target=watch_and_ingest,
        args=([folder], on_batch),
        kwargs={"debounce_ms": 200, "settle_s": 0.5, "retry_s": 0.2, "stop_event": stop},
        daemon=True,
    )
    thread.start()
    time.sleep(0.5)
    try:
        # a download in progress under a partial name: nothing happens
        pdf = make_pdf(tmp_path / "rapport.pdf", GOOD_TEXT)
        partial = folder / "rapport.pdf.crdownload"
        partial.write_bytes(pdf.read_bytes()[:200])
        time.sleep(1.0)
        assert batches == []
        # complete, renamed: one batch with the whole file
        partial.write_bytes(pdf.read_bytes())
        partial.rename(folder / "rapport.pdf")
        _wait(lambda: batches, 10)
        assert batches[0] == {"rapport.pdf": pdf.read_bytes()}

        # a text file written in pieces: ingested once, whole
        with (folder / "langsom.txt").open("w", encoding="utf-8") as handle:
            for line in GOOD_TEXT.splitlines(keepends=True):
                handle.write(line)
                handle.flush()
                time.sleep(0.25)
        _wait(lambda: len(batches) >= 2, 10)
        time.sleep(1.0)
        assert len(batches) == 2
        assert batches[1]["langsom.txt"].decode() == GOOD_TEXT
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


def test_a_file_written_as_soon_as_the_watcher_is_ready_is_seen(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    batches: list[list[str]] = []
    calls: list[float] = []
    stop = threading.Event()

    def on_ready() -> bool:
        calls.append(time.monotonic())
        if len(calls) == 1:
            return False  # e.g. another ingest holds the lock: asked again later
        (folder / "straks.txt").write_text(GOOD_TEXT, encoding="utf-8")
        return True

    def on_batch(paths: list[Path]) -> bool:
        batches.append([p.name for p in paths])
        return True

    thread = threading.Thread(
        target=watch_and_ingest,
        args=([folder], on_batch),
        kwargs={
            "on_ready": on_ready,
            "debounce_ms": 200,
            "settle_s": 0.3,
            "retry_s": 0.5,
            "tick_s": 0.1,
            "stop_event": stop,
        },
        daemon=True,
    )
    thread.start()
    try:
        _wait(lambda: batches, 10)
        assert batches[0] == ["straks.txt"]
        assert len(calls) == 2 and calls[1] - calls[0] >= 0.5
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


def _wait(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def test_ingest_watch_makes_new_files_searchable(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus", {"foerste.txt": GOOD_TEXT})
    settings = settings_for(tmp_path, corpus)
    ingest_and_build(settings, [corpus], progress=False)
    process = CliProcess(["ingest", "--watch", "--quiet", str(corpus)], settings)
    try:
        assert process.wait_for("Watching", 60, stream="stdout"), process.stderr
        (corpus / "ny.md").write_text(
            "# Vaskeriet\n\nVaskeriet i kælderen har fået nye maskiner med betaling via app,"
            " og beboerne booker tider fra telefonen.\n",
            encoding="utf-8",
        )
        assert process.wait_for("1 added", 120, stream="stdout"), process.stdout
        manifest = json.loads((current_path(settings.index_dir) / "manifest.json").read_text())
        assert manifest["counts"]["documents"] == 2
        assert "1 unchanged" in process.stdout.splitlines()[-1]
    finally:
        process.proc.send_signal(signal.SIGINT)
        rc = process.wait(30)
    assert rc == 0 and "Stopped watching." in process.stdout
