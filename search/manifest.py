"""The snapshot manifest: a typed model, read and validated here and nowhere else.

``manifest.json`` records what a snapshot holds (format version, embedder, counts, corpus
fingerprint) and, for every other file of the snapshot, its size and sha256 as written by the
build. ``read_manifest`` checks the format version and the schema; ``verify_snapshot`` also
checks every file against its checksum, so a damaged or truncated file is found before a
loader trips over it. Failures are ``SnapshotError`` subclasses whose ``reason`` names the
file and the fault but never a filesystem path (it may reach ``/readyz``)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

if TYPE_CHECKING:
    from .embed.base import Embedder

# 2: sentence vectors; 3: heading vectors; 4: paragraph breaks end sentences;
# 5: size and sha256 of every file in the manifest
FORMAT_VERSION = 5
MANIFEST = "manifest.json"
REQUIRED_FILES = ("catalog.sqlite3", "dense.faiss")

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Count = Annotated[int, Field(ge=0)]


class SnapshotError(Exception):
    """No usable snapshot, or one that does not fit the configured embedder."""


class InvalidSnapshot(SnapshotError):
    """A snapshot failed validation: its manifest or one of its files is missing, damaged
    or does not match what the build recorded. ``reason`` is path-free."""

    problem = "is damaged"
    fix = "run `vidensbank ingest` to rebuild it (cached embeddings are reused, so it is quick)"

    def __init__(self, version: str, reason: str) -> None:
        self.version = version
        self.reason = reason
        super().__init__(f"The index snapshot {version} {self.problem}: {reason}; {self.fix}.")


class OutdatedSnapshot(InvalidSnapshot):
    """A snapshot written in another format than this version reads."""

    problem = "is of another format"
    fix = "run `vidensbank ingest --rebuild` (cached embeddings are reused)"

    def __init__(self, version: str, found: object) -> None:
        super().__init__(version, f"format {found}, this version reads format {FORMAT_VERSION}")


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FileDigest(_Record):
    size: Count
    sha256: Sha256


class EmbedderInfo(BaseModel):
    """The embedder a snapshot was built with (backends may add fields of their own)."""

    model_config = ConfigDict(frozen=True, extra="allow")

    model_id: str = Field(min_length=1)
    family: str | None = None
    dimension: int = Field(gt=0)

    def require_compatible(self, embedder: Embedder) -> None:
        """Raise SnapshotError unless ``embedder``'s query vectors are comparable with the
        snapshot's: the same model, or the same family and dimension (another backend)."""
        if self.model_id == embedder.model_id:
            return
        if self.family and self.family == embedder.family and self.dimension == embedder.dimension:
            return
        raise SnapshotError(
            f"The index was built with embedder {self.model_id!r} (family {self.family!r}),"
            f" but queries would use {embedder.model_id!r} (family {embedder.family!r}); their"
            " vectors are not comparable. Set VIDENSBANK_EMBEDDER to the model the index was"
            " built with, or run `vidensbank ingest` to rebuild the index with the new model."
        )


class DenseInfo(_Record):
    kind: Literal["flat", "hnsw"]
    rows: Count


class SentenceInfo(_Record):
    rows: Count
    headings: Count


class Counts(_Record):
    documents: Count
    sections: Count
    cases: Count
    passages: Count
    links: Count


class Manifest(_Record):
    """What a snapshot holds; ``files`` maps each file's path, relative to the snapshot
    folder and in POSIX form, to its size and sha256 (``manifest.json`` itself excluded)."""

    format_version: int
    version: str = Field(min_length=1)
    created_at: AwareDatetime
    embedder: EmbedderInfo
    dense: DenseInfo
    sentences: SentenceInfo
    counts: Counts
    corpus_hash: Sha256
    files: dict[str, FileDigest]

    @field_validator("format_version")
    @classmethod
    def _format(cls, value: int) -> int:
        if value != FORMAT_VERSION:
            raise ValueError(f"must be {FORMAT_VERSION}")
        return value

    @field_validator("files")
    @classmethod
    def _files(cls, value: dict[str, FileDigest]) -> dict[str, FileDigest]:
        for name in value:
            parts = PurePosixPath(name).parts
            if not parts or name.startswith("/") or ".." in parts or name == MANIFEST:
                raise ValueError(f"{name!r} is not a file inside the snapshot")
        missing = [name for name in REQUIRED_FILES if name not in value]
        if missing:
            raise ValueError(f"lists no {', '.join(missing)}")
        return value

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)


def new_manifest(
    *,
    version: str,
    created_at: datetime,
    embedder: dict[str, object],
    dense: DenseInfo,
    sentences: SentenceInfo,
    counts: dict[str, int],
    corpus_hash: str,
    files: dict[str, FileDigest],
) -> Manifest:
    """The manifest a build writes (validated like one that is read)."""
    return Manifest(
        format_version=FORMAT_VERSION,
        version=version,
        created_at=created_at,
        embedder=EmbedderInfo.model_validate(embedder),
        dense=dense,
        sentences=sentences,
        counts=Counts.model_validate(counts),
        corpus_hash=corpus_hash,
        files=files,
    )


def read_manifest(path: Path) -> Manifest:
    """The validated manifest of the snapshot folder ``path``. Raises OutdatedSnapshot for
    another format version and InvalidSnapshot for a missing, unreadable or malformed one.
    Does not check the files (``verify_snapshot`` does)."""
    try:
        raw = (path / MANIFEST).read_bytes()
    except FileNotFoundError:
        raise InvalidSnapshot(path.name, f"{MANIFEST} is missing") from None
    except OSError as err:
        raise InvalidSnapshot(path.name, f"{MANIFEST} cannot be read ({err.strerror})") from None
    try:
        data = json.loads(raw)
    except ValueError:
        raise InvalidSnapshot(path.name, f"{MANIFEST} is not valid JSON") from None
    found = data.get("format_version") if isinstance(data, dict) else None
    if isinstance(found, int) and found != FORMAT_VERSION:
        raise OutdatedSnapshot(path.name, found)
    try:
        return Manifest.model_validate(data)
    except ValidationError as err:
        problem = err.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "the top level"
        raise InvalidSnapshot(
            path.name, f"{MANIFEST} does not match the schema ({where}: {problem['msg']})"
        ) from None


def file_digest(path: Path) -> FileDigest:
    """Size and sha256 of one file, read once in chunks."""
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256")
        return FileDigest(size=handle.tell(), sha256=digest.hexdigest())


def digest_tree(root: Path) -> dict[str, FileDigest]:
    """Digests of every file under ``root`` except the manifest, keyed by relative path."""
    return {
        item.relative_to(root).as_posix(): file_digest(item)
        for item in sorted(root.rglob("*"))
        if item.is_file() and item.name != MANIFEST
    }


def verify_files(path: Path, manifest: Manifest) -> None:
    """Raise InvalidSnapshot unless every file the manifest lists is there with the size and
    sha256 the build recorded. Sizes are compared first, so truncation costs no hashing."""
    for name, expected in manifest.files.items():
        try:
            size = (path / name).stat().st_size
        except FileNotFoundError:
            raise InvalidSnapshot(manifest.version, f"{name} is missing") from None
        if size != expected.size:
            raise InvalidSnapshot(
                manifest.version,
                f"{name} has {size} bytes, the build wrote {expected.size} (truncated or changed)",
            )
    for name, expected in manifest.files.items():
        try:
            actual = file_digest(path / name)
        except OSError as err:
            raise InvalidSnapshot(
                manifest.version, f"{name} cannot be read ({err.strerror})"
            ) from None
        if actual.sha256 != expected.sha256:
            raise InvalidSnapshot(
                manifest.version, f"{name} does not match its checksum (damaged or changed)"
            )


def verify_snapshot(path: Path) -> Manifest:
    """The manifest of ``path`` after checking its schema and every file's checksum."""
    manifest = read_manifest(path)
    verify_files(path, manifest)
    return manifest
