"""The write service on its own: upload names, file placement, recovery after a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from vidensbank.ingest.linked.provenance import Provenance, write_record
from vidensbank.lock import LockBusy, writer_lock
from vidensbank.placement import placed
from vidensbank.settings import load_settings
from vidensbank.writes import WriteError, remove_documents, upload_name


def test_upload_names_keep_readable_latin_names_as_before() -> None:
    assert upload_name("../../etc/Vaskeri app.md", None, b"x") == "vaskeri-app.md"
    assert upload_name("Bæredygtig drift.PDF", None, b"x") == "baeredygtig-drift.pdf"
    assert upload_name("notat", "text/markdown", b"x") == "notat.md"


def test_names_without_latin_letters_are_transliterated_unique_and_stable() -> None:
    cyrillic = upload_name("Отчёт.md", None, b"one")
    assert cyrillic.startswith("otchiot-") and cyrillic.endswith(".md")
    assert upload_name("Отчёт.md", None, b"other content") == cyrillic  # same name, same file
    assert upload_name("Отчет.md", None, b"one") != cyrillic  # another name, another file
    assert upload_name("报告.md", None, b"x").startswith("bao-gao-")
    assert upload_name("Αναφορά.md", None, b"x").startswith("anaphora-")
    nameless = {upload_name(name, "text/plain", b"text") for name in ("..", "", "...")}
    assert nameless == {upload_name("..", "text/plain", b"text")}  # content decides
    assert nameless.pop().startswith("upload-")
    assert upload_name("..", "text/plain", b"a") != upload_name("..", "text/plain", b"b")


def test_unsupported_or_nul_names_are_refused() -> None:
    with pytest.raises(WriteError) as err:
        upload_name("tabel.xlsx", None, b"x")
    assert err.value.status == 415
    with pytest.raises(WriteError) as err:
        upload_name("a\x00.md", None, b"x")
    assert err.value.status == 422


def test_a_failed_placement_puts_the_previous_file_back(tmp_path: Path) -> None:
    old, new = tmp_path / "a.md", tmp_path / "ny.md"
    old.write_bytes(b"old")
    with pytest.raises(RuntimeError), placed({old: b"new", new: b"new"}):
        assert old.read_bytes() == b"new" and new.read_bytes() == b"new"
        raise RuntimeError("ingest failed")
    assert old.read_bytes() == b"old" and not new.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md"]
    with placed({old: b"newer"}) as placement:
        placement.keep()
    assert old.read_bytes() == b"newer"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md"]


def test_leftovers_of_an_interrupted_write_are_removed_at_the_next_write(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data", corpus_dir=tmp_path / "corpus")
    uploads = settings.data_dir / "uploads"
    linked = settings.corpus_dir / "linked" / "example-org"
    uploads.mkdir(parents=True)
    linked.mkdir(parents=True)
    (uploads / "note.md").write_text("# Note\n", encoding="utf-8")
    leftovers = [
        uploads / ".note.md.1a2b3c4d.previous",
        uploads / ".note.md.x8y7z6.part",
        uploads / ".rapport.pdf.k2j3.staging",
        linked / ".side-1234abcd.html.q1w2e3.part",
    ]
    for path in leftovers:
        path.write_bytes(b"half")
    kept = _record(linked, "side-1234abcd", "side-1234abcd.html", with_copy=True)
    orphan = _record(linked, "gone-5678abcd", "gone-5678abcd.pdf", with_copy=False)
    assert remove_documents(settings, ["no-such-document"]).missing == ["no-such-document"]
    assert not any(path.exists() for path in [*leftovers, orphan])
    assert (uploads / "note.md").exists() and kept.exists()


def _record(folder: Path, base: str, file: str, *, with_copy: bool) -> Path:
    if with_copy:
        (folder / file).write_text("<html><body>side</body></html>", encoding="utf-8")
    record = Provenance(
        url="https://example.org/" + base,
        final_url="https://example.org/" + base,
        fetched_at="2025-01-01T00:00:00+00:00",
        checked_at="2025-01-01T00:00:00+00:00",
        status=200,
        content_type="text/html",
        sha256="0" * 64,
        bytes=10,
        file=file,
    )
    write_record(folder / base, record)
    return folder / f"{base}.provenance.json"


def test_a_write_waits_a_bounded_time_for_the_lock(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data", corpus_dir=tmp_path / "corpus")
    with writer_lock(settings.data_dir), pytest.raises(LockBusy) as err:
        remove_documents(settings, ["x"], wait_s=0.2)
    assert "pid" not in str(err.value) and str(tmp_path) not in str(err.value)
    assert "pid" in err.value.for_operator()


def _cases(settings) -> int:
    import sqlite3

    conn = sqlite3.connect(settings.store_path)
    try:
        return conn.execute("SELECT COUNT(*) FROM cases").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.slow
def test_a_corpus_folder_ingested_by_path_brings_its_own_gazetteer(
    seed_settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """`vidensbank ingest /elsewhere/corpus` run outside the project folder still finds the
    cases: the folder's own gazetteer.toml is used, as its sources.toml is."""
    import shutil

    from tests.seeddata import seed_copy
    from vidensbank.writes import ingest_and_build

    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(Path(__file__).resolve().parents[1] / "corpus", elsewhere)
    settings = seed_copy(seed_settings, tmp_path, corpus_dir=tmp_path / "no-corpus-here")
    with caplog.at_level("WARNING", logger="vidensbank.writes"):
        ingest_and_build(settings, [elsewhere], prune=True, progress=False)
    assert _cases(settings) == _cases(seed_settings) > 0
    assert "gazetteer.toml" not in caplog.text

    (elsewhere / "gazetteer.toml").unlink()  # none anywhere: said once, in one line
    (elsewhere / "vaerdiskabende-gentagelser-2023.md").touch()
    with caplog.at_level("WARNING", logger="vidensbank.writes"):
        ingest_and_build(settings, [elsewhere], prune=True, progress=False)
    assert "no gazetteer.toml in the corpus folder" in caplog.text
    assert str(tmp_path) not in caplog.text
