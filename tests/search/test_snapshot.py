"""The snapshot manifest is typed and records every file's size and sha256; a damaged,
truncated or missing file, a broken manifest and an older format are each found on
validation with a reason that names the file but no path; pruning keeps valid snapshots."""

import json
import shutil
from pathlib import Path

import pytest

from tests.search.conftest import ingest_texts
from vidensbank.search.manifest import (
    FORMAT_VERSION,
    InvalidSnapshot,
    Manifest,
    OutdatedSnapshot,
    file_digest,
    read_manifest,
    verify_snapshot,
)
from vidensbank.search.searcher import Snapshot
from vidensbank.search.snapshot import (
    build_snapshot,
    current_path,
    prune_snapshots,
    snapshot_dirs,
    switch_current,
)

DOCS = {
    "have.txt": "Fælleshaven\n\nBeboerne har plantet frugttræer og bærbuske i fælleshaven.",
    "regn.txt": "Regnvand\n\nTagvandet ledes ud i et regnbed, så kloakken ikke overbelastes.",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, bundled):
    root = tmp_path_factory.mktemp("snapshot")
    store = ingest_texts(root, DOCS)
    build = build_snapshot(store, bundled, root / "index", progress=False)
    yield store, build
    store.close()


@pytest.fixture
def copy(built, tmp_path: Path) -> Path:
    """A private copy of the built snapshot folder (same name), free to damage."""
    _store, build = built
    target = tmp_path / build.version
    shutil.copytree(build.path, target)
    return target


def reason_of(path: Path) -> InvalidSnapshot:
    with pytest.raises(InvalidSnapshot) as caught:
        verify_snapshot(path)
    assert str(path.parent) not in str(caught.value), "a reason must not carry a path"
    return caught.value


def test_manifest_records_size_and_sha256_of_every_file(built) -> None:
    _store, build = built
    manifest = read_manifest(build.path)
    on_disk = {
        p.relative_to(build.path).as_posix()
        for p in build.path.rglob("*")
        if p.is_file() and p.name != "manifest.json"
    }
    assert set(manifest.files) == on_disk
    assert {"catalog.sqlite3", "dense.faiss", "sentences/dense.faiss"} <= on_disk
    for name, digest in manifest.files.items():
        assert digest == file_digest(build.path / name)
        assert digest.size == (build.path / name).stat().st_size
    assert manifest.format_version == FORMAT_VERSION
    assert manifest.version == build.version == build.path.name
    assert manifest.counts.documents == len(DOCS)
    assert manifest.dense.rows == build.passages
    assert verify_snapshot(build.path) == manifest


def test_a_manifest_that_is_not_json_is_reported(copy: Path) -> None:
    text = (copy / "manifest.json").read_text()
    (copy / "manifest.json").write_text(text[: len(text) // 2])
    err = reason_of(copy)
    assert err.reason == "manifest.json is not valid JSON"
    assert err.version == copy.name
    assert "vidensbank ingest" in str(err)


def test_a_manifest_that_breaks_the_schema_is_reported(copy: Path) -> None:
    data = json.loads((copy / "manifest.json").read_text())
    data["counts"]["passages"] = -3
    (copy / "manifest.json").write_text(json.dumps(data))
    assert "counts.passages" in reason_of(copy).reason

    del data["files"]["dense.faiss"]
    data["counts"]["passages"] = 1
    (copy / "manifest.json").write_text(json.dumps(data))
    assert "lists no dense.faiss" in reason_of(copy).reason


def test_a_truncated_dense_index_is_found_before_faiss_reads_it(copy: Path) -> None:
    dense = copy / "dense.faiss"
    size = dense.stat().st_size
    with dense.open("r+b") as handle:
        handle.truncate(size // 2)
    err = reason_of(copy)
    assert err.reason.startswith(f"dense.faiss has {size // 2} bytes, the build wrote {size}")
    with pytest.raises(InvalidSnapshot, match=r"dense\.faiss"):
        Snapshot.load(copy)


def test_a_garbage_catalog_of_the_same_size_fails_its_checksum(copy: Path) -> None:
    catalog = copy / "catalog.sqlite3"
    catalog.write_bytes(
        b"\x00garbage" * (catalog.stat().st_size // 8) + b"x" * (catalog.stat().st_size % 8)
    )
    assert reason_of(copy).reason == (
        "catalog.sqlite3 does not match its checksum (damaged or changed)"
    )


def test_a_missing_file_is_reported(copy: Path) -> None:
    (copy / "sentences" / "texts.json").unlink()
    assert reason_of(copy).reason == "sentences/texts.json is missing"
    (copy / "manifest.json").unlink()
    assert reason_of(copy).reason == "manifest.json is missing"


def test_an_older_format_asks_for_a_rebuild(copy: Path) -> None:
    data = json.loads((copy / "manifest.json").read_text())
    data["format_version"] = 4
    del data["files"]  # format 4 had no checksums
    (copy / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(OutdatedSnapshot, match="ingest --rebuild") as caught:
        Snapshot.load(copy)
    assert caught.value.reason == f"format 4, this version reads format {FORMAT_VERSION}"


def test_a_manifest_file_list_cannot_point_outside_the_snapshot(built) -> None:
    _store, build = built
    data = json.loads((build.path / "manifest.json").read_text())
    data["files"]["../../etc/passwd"] = data["files"]["dense.faiss"]
    with pytest.raises(ValueError, match="not a file inside the snapshot"):
        Manifest.model_validate(data)


def test_pruning_keeps_the_newest_valid_snapshots_and_drops_damaged_ones(
    built, tmp_path: Path
) -> None:
    _store, build = built
    index = tmp_path / "index"
    index.mkdir()
    names = ["20240101T000000-aaaaaa", "20240102T000000-bbbbbb", "20240103T000000-cccccc"]
    for name in names:
        shutil.copytree(build.path, index / name)
    switch_current(index, names[2])
    (index / names[1] / "dense.faiss").write_bytes(b"")  # the newest other is damaged

    assert sorted(prune_snapshots(index, keep=2)) == [names[1]]
    assert [p.name for p in snapshot_dirs(index)] == [names[2], names[0]]
    assert current_path(index) == index / names[2]
