"""A full disk during `vidensbank ingest`, for real: a tiny tmpfs mounted over the index
folder or the data folder (needs root; skipped otherwise), or a file-size limit
(RLIMIT_FSIZE, which makes writes fail with EFBIG; no root needed). The CLI prints one
line saying how to fix it, exits non-zero, and the store and the current snapshot stay
as they were."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.lifecycle.conftest import make_corpus, settings_for
from vidensbank.search.snapshot import current_path, verify_snapshot
from vidensbank.writes import ingest_and_build

ENERGI = (
    "# Varmepumper i Viborg\n\nBoligselskabet Viborg har installeret varmepumper i tre"
    " afdelinger. Projektet har sænket varmeregningen med omkring 20 procent.\n"
)
PAGE = 4096


def note(sections: int) -> str:
    """A markdown note of ``sections`` one-sentence sections: many passages (a dense.faiss
    of 1.5 KB each), few sentences to embed."""
    parts = ["# Notat om driften\n"]
    for n in range(sections):
        parts.append(f"## Punkt {n}\n\nPunkt {n} handler om vedligeholdelse af afdeling {n}.\n")
    return "\n".join(parts)


def run_cli(args: list[str], settings, preexec: Callable[[], None] | None = None):
    env = {
        **os.environ,
        "VIDENSBANK_DATA_DIR": str(settings.data_dir),
        "VIDENSBANK_CORPUS_DIR": str(settings.corpus_dir),
    }
    exe = Path(sys.executable).with_name("vidensbank")
    return subprocess.run(
        [str(exe), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=preexec,
    )


def assert_one_line_disk_full(result: subprocess.CompletedProcess, detail: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: Out of disk space ({detail})"), lines[0]
    assert "Free space on the disk that holds VIDENSBANK_DATA_DIR" in lines[0]


def assert_store_consistent(settings) -> None:
    conn = sqlite3.connect(settings.store_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


@pytest.fixture
def tmpfs() -> Iterator[Callable[[Path, int], None]]:
    """mount(path, bytes): a tmpfs of that size over ``path`` (remounting resizes it)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; the RLIMIT_FSIZE test covers the rest")
    mounted: list[Path] = []

    def mount(path: Path, size: int) -> None:
        options = f"size={size}" if path not in mounted else f"remount,size={size}"
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        if path not in mounted:
            mounted.append(path)

    yield mount
    for path in reversed(mounted):
        subprocess.run(["umount", "-l", str(path)], check=False)


def used_bytes(path: Path) -> int:
    stats = os.statvfs(path)
    return (stats.f_blocks - stats.f_bfree) * stats.f_frsize


def _round_up(size: int) -> int:
    return -(-size // PAGE) * PAGE


@pytest.mark.parametrize(
    ("runs_out_in", "detail"),
    [("catalog.sqlite3", "database or disk is full"), ("dense.faiss", "No space left on device")],
)
def test_a_full_disk_during_the_build_keeps_the_current_snapshot(
    tmp_path: Path, tmpfs, runs_out_in: str, detail: str
) -> None:
    # What the new snapshot's files will weigh: build it once where there is room.
    scratch = make_corpus(tmp_path / "scratch" / "corpus", {"energi.md": ENERGI})
    (scratch / "notat.md").write_text(note(30), encoding="utf-8")
    sized = ingest_and_build(settings_for(tmp_path / "scratch", scratch), [scratch], progress=False)
    assert sized.build is not None
    catalog_size = (sized.build.path / "catalog.sqlite3").stat().st_size
    dense_size = (sized.build.path / "dense.faiss").stat().st_size
    assert dense_size > 8 * PAGE, "make the note longer: dense.faiss must not fit the gap"

    corpus = make_corpus(tmp_path / "corpus", {"energi.md": ENERGI})
    settings = settings_for(tmp_path, corpus)
    assert ingest_and_build(settings, [corpus], progress=False).build is not None
    before = current_path(settings.index_dir)
    assert before is not None
    saved = tmp_path / "index-saved"
    settings.index_dir.rename(saved)
    settings.index_dir.mkdir()
    tmpfs(settings.index_dir, 64 * 2**20)
    shutil.copytree(saved, settings.index_dir, dirs_exist_ok=True)
    room = PAGE if runs_out_in == "catalog.sqlite3" else _round_up(catalog_size) + 4 * PAGE
    tmpfs(settings.index_dir, used_bytes(settings.index_dir) + room)
    (corpus / "notat.md").write_text(note(30), encoding="utf-8")

    result = run_cli(["ingest", "--quiet"], settings)

    assert_one_line_disk_full(result, detail)
    assert current_path(settings.index_dir) == before
    verify_snapshot(before)
    assert not list(settings.index_dir.glob(".tmp-*")), "the failed build is cleaned up"
    assert_store_consistent(settings)

    tmpfs(settings.index_dir, 64 * 2**20)  # space freed: the next ingest completes
    again = run_cli(["ingest", "--quiet"], settings)
    assert again.returncode == 0, again.stderr
    after = current_path(settings.index_dir)
    assert after != before and verify_snapshot(after).counts.documents == 2


def test_a_full_disk_while_writing_the_store_prints_one_line(tmp_path: Path, tmpfs) -> None:
    corpus = make_corpus(tmp_path / "corpus", {"energi.md": ENERGI})
    (corpus / "notat.md").write_text(note(30), encoding="utf-8")
    settings = settings_for(tmp_path, corpus)
    settings.data_dir.mkdir()
    tmpfs(settings.data_dir, 8 * PAGE)

    result = run_cli(["ingest", "--quiet"], settings)

    assert_one_line_disk_full(result, "database or disk is full")
    assert current_path(settings.index_dir) is None


def _file_size_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:  # in the child, before exec
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_file_size_limit_prints_one_line_and_keeps_the_current_snapshot(
    tmp_path: Path,
) -> None:
    corpus = make_corpus(tmp_path / "corpus", {"energi.md": ENERGI})
    settings = settings_for(tmp_path, corpus)
    assert ingest_and_build(settings, [corpus], progress=False).build is not None
    before = current_path(settings.index_dir)
    assert before is not None
    (corpus / "notat.md").write_text(note(60), encoding="utf-8")
    limit = settings.store_path.stat().st_size + PAGE  # the store cannot grow much

    result = run_cli(["ingest", "--quiet"], settings, preexec=_file_size_limit(limit))

    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: Out of disk space (File too large"), (
        result.stderr
    )
    assert current_path(settings.index_dir) == before
    verify_snapshot(before)
    assert not list(settings.index_dir.glob(".tmp-*"))
    assert_store_consistent(settings)
