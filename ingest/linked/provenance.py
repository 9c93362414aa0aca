"""Where a fetched copy lives and the provenance record kept next to it.

``corpus/linked/<host>/<slug>.html`` (or ``.pdf``) is the copy;
``corpus/linked/<host>/<slug>.provenance.json`` says where it came from: the URL, the
final URL after redirects, when it was fetched and last checked, the HTTP status, ETag
and Last-Modified (for conditional requests), the sha256 of the copy, and which
documents and cases link to it (``linked_from``). The ingest pipeline reads the record
and keeps ``url``, ``linked_from`` and ``provenance`` in the document's metadata, so the
store (and every snapshot's catalog) answers "which linked documents does this case
have?" — see :data:`LINKED_FOR_CASE_SQL`.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ..slug import slugify

SIDECAR_SUFFIX = ".provenance.json"
EXTENSIONS = {"html": ".html", "pdf": ".pdf"}

# The linked documents of a case, from the store or a snapshot's catalog.sqlite3.
LINKED_FOR_CASE_SQL = """
SELECT d.id, d.title, d.url, json_extract(j.value, '$.url') AS linked_url
FROM documents d, json_each(d.metadata, '$.linked_from') j
WHERE json_extract(j.value, '$.case_id') = ?
GROUP BY d.id ORDER BY d.title
"""


@dataclass
class Provenance:
    url: str
    final_url: str
    fetched_at: str
    checked_at: str
    status: int
    content_type: str
    sha256: str
    bytes: int
    file: str  # name of the copy, next to the record
    etag: str | None = None
    last_modified: str | None = None
    linked_from: list[dict[str, object]] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Provenance:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})  # type: ignore[arg-type]

    def metadata(self) -> dict[str, object]:
        """What the ingest pipeline stores in the linked document's metadata."""
        return {
            "url": self.url,
            "linked_from": self.linked_from,
            "provenance": {
                "final_url": self.final_url,
                "fetched_at": self.fetched_at,
                "status": self.status,
                "etag": self.etag,
                "last_modified": self.last_modified,
                "sha256": self.sha256,
                "content_type": self.content_type,
            },
        }

    def fingerprint_part(self) -> str:
        """The parts that change the ingested document (not fetch/check times)."""
        return json.dumps(
            {"url": self.url, "final_url": self.final_url, "linked_from": self.linked_from},
            ensure_ascii=False,
            sort_keys=True,
        )


def host_folder(url: str) -> str:
    parts = urlsplit(url)
    return slugify(parts.netloc.replace(":", "-"), 60)


def base_path(linked_dir: Path, url: str) -> Path:
    """``linked_dir/<host>/<slug>`` (no suffix) for ``url``; stable and collision-free."""
    parts = urlsplit(url)
    readable = slugify(f"{parts.path} {parts.query}", 40)
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:8]
    return linked_dir / host_folder(url) / f"{readable}-{digest}"


def sidecar_of(copy: Path) -> Path:
    """The provenance record of a fetched copy (``x.html`` → ``x.provenance.json``)."""
    return copy.with_name(copy.stem + SIDECAR_SUFFIX)


def is_sidecar(path: Path) -> bool:
    return path.name.endswith(SIDECAR_SUFFIX)


def read_record(base: Path) -> Provenance | None:
    path = base.with_name(base.name + SIDECAR_SUFFIX)
    try:
        return Provenance.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (FileNotFoundError, ValueError, TypeError):
        return None


def read_sidecar(copy: Path) -> Provenance | None:
    """The provenance record of ``copy`` when it is a fetched copy of a linked URL."""
    record = read_record(copy.with_suffix(""))
    if record is None or record.file != copy.name:
        return None
    return record


STAGING_SUFFIXES = (".part", ".staging", ".previous")


def write_atomic(path: Path, data: bytes) -> None:
    """Write under a unique hidden temporary name in the same folder, fsync, rename:
    readers (ingest, --watch) never see half a file, and two writers never share a
    temporary file. On failure the previous file is intact and the temporary is gone."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    tmp = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def remove_leftovers(folder: Path) -> list[Path]:
    """Recovery after an interrupted write: delete hidden staging files (``.x.*.part``,
    ``.staging``, ``.previous``) and provenance records whose copy is gone. Call it only
    while holding the writer lock, so no write in progress loses its files."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for path in sorted(folder.rglob(".*")):
        if path.is_file() and path.name.endswith(STAGING_SUFFIXES):
            path.unlink(missing_ok=True)
            removed.append(path)
    for record in sorted(folder.rglob("*" + SIDECAR_SUFFIX)):
        provenance = read_record(record.with_name(record.name.removesuffix(SIDECAR_SUFFIX)))
        if provenance is not None and not (record.parent / provenance.file).is_file():
            record.unlink(missing_ok=True)
            removed.append(record)
    return removed


def write_record(base: Path, record: Provenance) -> None:
    write_atomic(base.with_name(base.name + SIDECAR_SUFFIX), record.to_json().encode("utf-8"))


def linked_documents_for_case(documents: Iterable[object], case_id: str) -> list[object]:
    """Documents (anything with a ``metadata`` dict, e.g. catalog ``DocumentInfo``) that
    were fetched because ``case_id`` links to them."""
    found = []
    for doc in documents:
        metadata = getattr(doc, "metadata", None) or {}
        sources = metadata.get("linked_from") or []
        if any(isinstance(s, dict) and s.get("case_id") == case_id for s in sources):
            found.append(doc)
    return found
