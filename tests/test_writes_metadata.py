"""Metadata of an upload: checked once for the API and the admin form, and kept as an
entry of the uploads folder's sources.toml that ingest reads like any corpus manifest."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from vidensbank.ingest.sources import load_manifest
from vidensbank.writes import DocumentMetadata, WriteError, _manifest_bytes, check_metadata


def test_good_metadata_has_no_problems() -> None:
    meta = DocumentMetadata(
        title="Tryghed", publisher="AlmenNet", year=2024, url="https://almennet.dk/x"
    )
    assert meta.problems() == {}
    check_metadata(meta)


def test_each_bad_field_is_named() -> None:
    next_year = datetime.now(UTC).year + 1
    meta = DocumentMetadata(
        title="x" * 301,
        publisher="linje\nskift",
        year=next_year + 1,
        url="javascript:alert(1)",
        rights="\ud800",
    )
    assert meta.problems() == {
        "title": "too_long",
        "publisher": "bad_characters",
        "year": "year_range",
        "url": "url_invalid",
        "rights": "bad_characters",
    }
    assert DocumentMetadata(year=next_year).problems() == {}
    assert DocumentMetadata(year=1899).problems() == {"year": "year_range"}
    assert DocumentMetadata(url="https:// x").problems() == {"url": "url_invalid"}
    with pytest.raises(WriteError) as err:
        check_metadata(meta)
    assert err.value.status == 422 and err.value.detail["fields"]["url"] == "url_invalid"


def test_manifest_entries_read_back_exactly_as_ingest_sees_them(tmp_path: Path) -> None:
    tricky = 'Må deles – "LBF" \\ intern brug; [ikke] # kommentar'
    meta = DocumentMetadata(
        title="Æbler & pærer",
        publisher="Landsbyggefonden",
        year=2024,
        edition="2. udgave",
        url="https://example.org/a?b=1&c=2",
        rights=tricky,
        supersedes="gammel-udgave",
    )
    (tmp_path / "sources.toml").write_bytes(_manifest_bytes([meta.entry("aebler", "aebler.md")]))
    entries = load_manifest(tmp_path)
    entry = entries[(tmp_path / "aebler.md").resolve()]
    assert entry.id == "aebler" and entry.title == "Æbler & pærer"
    assert entry.metadata() == {
        "publisher": "Landsbyggefonden",
        "year": 2024,
        "edition": "2. udgave",
        "url": "https://example.org/a?b=1&c=2",
        "rights": tricky,
        "supersedes": "gammel-udgave",
    }
