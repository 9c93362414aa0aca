"""The corpus manifest (``corpus/sources.toml``): what we know about each publication."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import IngestError
from .roles import SectionOptions


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
    sections: SectionOptions = field(default_factory=SectionOptions)

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

    def structure_key(self) -> str:
        """The section choices as text, so that changing them re-processes the file."""
        return repr(self.sections) if self.sections != SectionOptions() else ""


KNOWN = {"id", "file", "title", "publisher", "year", "edition", "url", "rights", "supersedes"}
SECTION_KEYS = {"themes", "exclude_sections", "keep_sections"}


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
            extra={k: v for k, v in raw.items() if k not in KNOWN | SECTION_KEYS},
            sections=section_options(raw, f"{path} ({raw['id']})"),
        )
        entries[(folder / entry.file).resolve()] = entry
    return entries


def section_options(raw: dict[str, object], where: str) -> SectionOptions:
    """``themes``, ``exclude_sections`` and ``keep_sections`` of one entry, checked."""
    themes = raw.get("themes")
    if themes is not None and not isinstance(themes, bool):
        themes = _names(themes, "themes", where, "true, false or a list of chapter titles")
    return SectionOptions(
        themes=themes,
        exclude_sections=_names(raw.get("exclude_sections", []), "exclude_sections", where),
        keep_sections=_names(raw.get("keep_sections", []), "keep_sections", where),
    )


def _names(value: object, key: str, where: str, expected: str = "") -> tuple[str, ...]:
    if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
        return tuple(value)
    raise IngestError(
        f"{where}: '{key}' must be {expected or 'a list of section headings'},"
        f' e.g. {key} = ["Forord"]'
    )
