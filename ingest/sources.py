"""The corpus manifest (``corpus/sources.toml``): what we know about each publication."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import IngestError


@dataclass
class SourceEntry:
    id: str
    file: str
    title: str | None = None
    publisher: str | None = None
    year: int | None = None
    edition: str | None = None
    url: str | None = None
    rights: str | None = None
    supersedes: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def metadata(self) -> dict[str, object]:
        meta = {
            "publisher": self.publisher,
            "year": self.year,
            "edition": self.edition,
            "url": self.url,
            "rights": self.rights,
            "supersedes": self.supersedes,
            **self.extra,
        }
        return {k: v for k, v in meta.items() if v is not None}


KNOWN = {"id", "file", "title", "publisher", "year", "edition", "url", "rights", "supersedes"}


def load_manifest(folder: Path) -> dict[Path, SourceEntry]:
    """Entries of ``folder/sources.toml`` keyed by the resolved file path."""
    path = folder / "sources.toml"
    if not path.exists():
        return {}
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as err:
        raise IngestError(f"{path}: invalid TOML ({err}); fix the manifest and run again") from err
    entries: dict[Path, SourceEntry] = {}
    for raw in data.get("publications", []):
        if "id" not in raw or "file" not in raw:
            raise IngestError(f"{path}: every [[publications]] entry needs 'id' and 'file'")
        entry = SourceEntry(
            **{k: raw[k] for k in KNOWN if k in raw},
            extra={k: v for k, v in raw.items() if k not in KNOWN},
        )
        entries[(folder / entry.file).resolve()] = entry
    return entries
