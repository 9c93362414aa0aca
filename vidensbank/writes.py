"""The write service: every change to the store and the search index goes through here.

Four operations: add a file (upload bytes + a name), add a URL (fetch, then add the copy),
remove documents, and ingest-and-build (the CLI's ``ingest``, ``--watch`` and rebuilds);
``fetch-links`` is a batch of URL fetches followed by one ingest. The CLI commands and the
API routes only translate arguments and results.

Rules every write follows:
- One writer at a time: the writer lock (``lock.py``) is held from the moment a file is
  put in place, through the ingest, to the switch of the snapshot. A caller that cannot
  get it within ``wait_s`` gets :class:`~vidensbank.lock.LockBusy` and nothing was touched.
  Fetching a URL happens before, outside the lock, so a slow site never blocks writes.
- Files are staged under a unique hidden name in their folder and renamed into place (``placement.py``); the
  file they replace is kept (a hard link) until the ingest has taken the new one. When the
  ingest refuses the file, or fails before the store changed, the previous file is put back
  (or the new one removed): the store and the folder never disagree.
- Recovery at the start of every write: staging files and provenance records whose copy is
  gone, left by a killed process, are removed (``provenance.remove_leftovers``).

Domain errors: :class:`WriteError` carries the HTTP status the API answers with.
"""

from __future__ import annotations

import hashlib
import logging
import tomllib
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path, PurePath

import tomli_w

from .disk import disk_full_errors
from .ingest.linked.fetcher import FetchOptions, PoliteFetcher, Problem
from .ingest.linked.guard import AllowList
from .ingest.linked.links import FetchOutcome, FetchReport, collect_links
from .ingest.linked.links import fetch_links as fetch_link_batch
from .ingest.linked.provenance import (
    SIDECAR_SUFFIX,
    Provenance,
    base_path,
    remove_leftovers,
    write_atomic,
)
from .ingest.loaders import SUPPORTED_SUFFIXES
from .ingest.persist import sync_superseded
from .ingest.pipeline import Failure, Ingestor, IngestReport
from .ingest.slug import plain_slug, slugify, transliterated_slug
from .lock import writer_lock
from .placement import placed
from .search.snapshot import BuildResult, remove_stale_builds
from .services import _index_outdated, build_index, open_store
from .settings import Settings
from .store import Store

log = logging.getLogger(__name__)

UPLOAD_TYPES = {
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "text/html": ".html",
    "text/markdown": ".md",
    "text/x-markdown": ".md",
    "text/plain": ".txt",
}
FETCHED_SUFFIXES = {"html": ".html", "pdf": ".pdf"}
# What an upload (API or admin form) may be: every type the loaders read.
UPLOAD_SUFFIXES: tuple[str, ...] = SUPPORTED_SUFFIXES
MANIFEST_NAME = "sources.toml"  # the uploads folder's manifest, as in a corpus folder


class WriteError(Exception):
    """A write that cannot be done as asked; ``status`` is the HTTP status to answer,
    ``message`` says how to fix it, ``detail`` is structured extra information."""

    def __init__(self, status: int, message: str, detail: object = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.detail = detail


@dataclass(frozen=True)
class WriteOutcome:
    document_id: str
    status: str  # added | updated | unchanged
    version: str | None  # the snapshot this write built (None: nothing changed)


@dataclass(frozen=True)
class IngestOutcome:
    report: IngestReport
    build: BuildResult | None


@dataclass(frozen=True)
class RemoveOutcome:
    removed: list[str]
    missing: list[str]
    version: str | None  # the snapshot without them (None: nothing was removed)


@dataclass(frozen=True)
class FetchLinksOutcome:
    report: FetchReport
    ingest: IngestReport | None  # None: nothing under the linked folder
    build: BuildResult | None


@dataclass(frozen=True)
class Fetched:
    """A page or PDF fetched for a URL upload, not yet written anywhere."""

    url: str
    final_url: str
    kind: str  # html | pdf
    content_type: str
    body: bytes
    status: int


# --- sizes and names ---------------------------------------------------------------------


@contextmanager
def writing(settings: Settings, wait_s: float | None) -> Iterator[Store]:
    """Every write runs inside this: the writer lock (waiting up to ``wait_s``), the store,
    and running out of space reported as ``DiskFull`` (the store is left as it was)."""
    with (
        disk_full_errors(settings.data_dir),
        writer_lock(settings.data_dir, wait_s=wait_s),
        open_store(settings) as store,
    ):
        yield store


def uploads_dir(settings: Settings) -> Path:
    return settings.data_dir / "uploads"


def upload_limit(settings: Settings) -> int:
    """The largest upload or URL-fetched file, in bytes (VIDENSBANK_MAX_UPLOAD_MB)."""
    return int(settings.max_upload_mb * 1024 * 1024)


def too_large(settings: Settings) -> WriteError:
    return WriteError(
        413,
        f"The file is larger than {settings.max_upload_mb:g} MB: split or compress it, or raise"
        " VIDENSBANK_MAX_UPLOAD_MB on the server.",
    )


def upload_name(filename: str | None, content_type: str | None, data: bytes) -> str:
    """A file name we choose: the client's base name slugified, with a supported suffix.
    Directory parts, '..', hidden names and odd characters never reach the file system.

    A name with no Latin letter or digit (Cyrillic, Greek, CJK …) is transliterated and
    given a short hash of the original name, so two such names never share a file while
    the same name again still replaces its file; a name with nothing usable at all ('..',
    empty) becomes ``upload-<hash of the content>``."""
    raw = unicodedata.normalize("NFC", (filename or "").replace("\\", "/").split("/")[-1])
    if "\x00" in raw:
        raise WriteError(422, "The file name contains a NUL byte; rename the file and retry.")
    name = PurePath(raw)
    suffix = name.suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        media = (content_type or "").split(";")[0].strip().lower()
        if suffix or media not in UPLOAD_TYPES:
            kinds = ", ".join(UPLOAD_SUFFIXES)
            raise WriteError(
                415,
                f"Unsupported file type {suffix or media or '(no extension)'!r}:"
                f" upload one of {kinds} (convert the file first).",
                {"supported": list(UPLOAD_SUFFIXES)},
            )
        suffix = UPLOAD_TYPES[media]
    stem_text = name.stem if name.suffix else raw
    stem = plain_slug(stem_text, 80)
    if stem is None:
        latin = transliterated_slug(stem_text, 60)
        if latin is not None:
            stem = f"{latin}-{_short_hash(stem_text.encode('utf-8'))}"
        else:
            stem = f"upload-{_short_hash(data)}"
    return stem + suffix


def _short_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:8]


# --- recovery ----------------------------------------------------------------------------


def recover(settings: Settings) -> None:
    """Remove what an interrupted write left behind (hold the writer lock)."""
    for folder in (uploads_dir(settings), settings.corpus_dir / "linked"):
        for path in remove_leftovers(folder):
            log.warning("removed %s, left behind by an interrupted write", path)


# --- ingest and build ----------------------------------------------------------------------


GAZETTEER_NAME = "gazetteer.toml"


def gazetteer_path(settings: Settings, paths: Iterable[Path] = ()) -> Path:
    """The corpus folder's ``gazetteer.toml``, unless a folder being ingested holds its own
    (a corpus elsewhere than ``VIDENSBANK_CORPUS_DIR``, ingested by path)."""
    for path in paths:
        if (path / GAZETTEER_NAME).is_file():
            return path / GAZETTEER_NAME
    return settings.corpus_dir / GAZETTEER_NAME


def _ingestor(
    settings: Settings, store: Store, progress: bool, paths: Iterable[Path] = ()
) -> Ingestor:
    gazetteer = gazetteer_path(settings, paths)
    if not gazetteer.is_file():
        log.warning(
            "no %s in the corpus folder: cases, organisations and front matter are not"
            " recognised (set VIDENSBANK_CORPUS_DIR to the folder that holds it)",
            GAZETTEER_NAME,
        )
    return Ingestor(
        store,
        gazetteer_path=gazetteer,
        max_bytes=int(settings.max_file_mb * 1024 * 1024),
        progress=progress,
    )


def _build_if_needed(
    settings: Settings, store: Store, report: IngestReport, *, rebuild: bool, progress: bool
) -> BuildResult | None:
    if rebuild or report.changed or _index_outdated(settings, store):
        return build_index(settings, store, progress=progress)
    if settings.index_dir.is_dir():
        remove_stale_builds(settings.index_dir)
    return None


def ingest_and_build(
    settings: Settings,
    paths: Iterable[Path],
    *,
    prune: bool = False,
    strict: bool = False,
    progress: bool = True,
    rebuild: bool = False,
    on_failure: Callable[[Failure], None] | None = None,
    wait_s: float | None = 0.0,
) -> IngestOutcome:
    """Ingest ``paths`` and, when anything changed (or the index is missing, invalid or
    out of step with the store), build a snapshot. Raises LockBusy when another write
    holds the lock for longer than ``wait_s``."""
    with writing(settings, wait_s) as store:
        recover(settings)
        paths = list(paths)
        report = _ingestor(settings, store, progress, paths).run(
            paths, prune=prune, strict=strict, on_failure=on_failure
        )
        if strict and report.failed:
            return IngestOutcome(report, None)
        build = _build_if_needed(settings, store, report, rebuild=rebuild, progress=progress)
        return IngestOutcome(report, build)


def _place_and_ingest(
    settings: Settings,
    files: dict[Path, bytes],
    document: Path,
    wait_s: float | None,
    more_files: Callable[[Store], dict[Path, bytes]] | None = None,
) -> WriteOutcome:
    """Under the lock: put ``files`` (and ``more_files(store)``, made under the lock) in
    place, ingest ``document``, build a snapshot."""
    with writing(settings, wait_s) as store:
        recover(settings)
        if more_files is not None:
            files = {**files, **more_files(store)}
        with placed(files) as placement:
            report = _ingestor(settings, store, False).run([document])
            if report.failed:
                reason = report.failed[0].reason
                raise WriteError(
                    422, f"The file could not be ingested: {reason}", {"reason": reason}
                )
            placement.keep()
        build = _build_if_needed(settings, store, report, rebuild=False, progress=False)
    version = build.version if build else None
    for status, ids in (("added", report.added), ("updated", report.updated)):
        if ids:
            return WriteOutcome(ids[0], status, version)
    return WriteOutcome(report.unchanged[0], "unchanged", version)


def add_file(
    settings: Settings,
    filename: str | None,
    content_type: str | None,
    data: bytes,
    *,
    metadata: DocumentMetadata | None = None,
    wait_s: float | None = 0.0,
) -> WriteOutcome:
    """Keep an uploaded file under ``<data>/uploads/`` and ingest it; the same name again
    replaces the document. ``metadata`` (checked first) replaces what is known about the
    file; without it, earlier metadata of the same file name is kept. Raises WriteError
    (413, 415, 422) or LockBusy."""
    if len(data) > upload_limit(settings):
        raise too_large(settings)
    name = upload_name(filename, content_type, data)
    if not data.strip():
        raise WriteError(422, "The uploaded file is empty: choose a file with text in it.")
    path = uploads_dir(settings) / name
    if metadata is None:
        return _place_and_ingest(settings, {path: data}, path, wait_s)
    check_metadata(metadata)
    manifest = partial(_manifest_with, settings, path, metadata)
    return _place_and_ingest(settings, {path: data}, path, wait_s, manifest)


# --- metadata of an upload -------------------------------------------------------------------

METADATA_LIMITS = {
    "title": 300,
    "publisher": 200,
    "edition": 100,
    "url": 2000,
    "rights": 1000,
    "supersedes": 200,
}
MIN_YEAR = 1900
MANIFEST_KEYS = (
    "id",
    "file",
    "title",
    "publisher",
    "year",
    "edition",
    "url",
    "rights",
    "supersedes",
)


@dataclass(frozen=True)
class DocumentMetadata:
    """What the uploader states about a publication. It ends up where a corpus folder's
    ``sources.toml`` entry ends up, because it is one: an entry in the uploads folder's
    manifest. Title, publisher, year and URL go on the document, edition and rights into
    its metadata, and ``supersedes`` (a document id) marks that document superseded."""

    title: str | None = None
    publisher: str | None = None
    year: int | None = None
    edition: str | None = None
    url: str | None = None
    rights: str | None = None
    supersedes: str | None = None

    def problems(self) -> dict[str, str]:
        """Field -> problem: ``too_long``, ``bad_characters``, ``year_range`` (from 1900
        to next year) or ``url_invalid`` (not an http(s) address). Empty: all fine."""
        found: dict[str, str] = {}
        for name, limit in METADATA_LIMITS.items():
            value = getattr(self, name)
            if value is None:
                continue
            if len(value) > limit:
                found[name] = "too_long"
            elif not _clean_text(value):
                found[name] = "bad_characters"
        if self.year is not None and not MIN_YEAR <= self.year <= datetime.now(UTC).year + 1:
            found["year"] = "year_range"
        if self.url is not None and "url" not in found and not _web_address(self.url):
            found["url"] = "url_invalid"
        return found

    def entry(self, document_id: str, file_name: str) -> dict[str, object]:
        values = {k: v for k, v in asdict(self).items() if v not in (None, "")}
        return {"id": document_id, "file": file_name, **values}


def _clean_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return not any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in value)


def _web_address(value: str) -> bool:
    from urllib.parse import urlsplit

    if any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def check_metadata(metadata: DocumentMetadata) -> None:
    problems = metadata.problems()
    if problems:
        summary = ", ".join(f"{field}: {problem}" for field, problem in problems.items())
        raise WriteError(
            422,
            f"Invalid metadata ({summary}): keep texts short and printable, the year between"
            f" {MIN_YEAR} and next year, and the URL an http(s) address.",
            {"fields": problems},
        )


def _read_manifest(path: Path) -> list[dict[str, object]]:
    if not path.is_file():
        return []
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    return [dict(entry) for entry in data.get("publications", []) if isinstance(entry, dict)]


def _manifest_bytes(entries: list[dict[str, object]]) -> bytes:
    header = "# Publications uploaded with metadata; written by Vidensbank, one entry each.\n\n"
    publications = [
        {key: entry[key] for key in MANIFEST_KEYS if isinstance(entry.get(key), int | str)}
        for entry in entries
    ]
    return (header + tomli_w.dumps({"publications": publications})).encode("utf-8")


def _upload_id(store: Store, path: Path) -> str:
    """The id the document of ``path`` has, or gets (as ingest would choose it)."""
    source = str(path.resolve())
    existing = store.document_by_source(source)
    if existing is not None:
        return str(existing["id"])
    base = slugify(path.stem, 80)
    taken = store.document(base)
    if taken is None or taken["source"] == source:
        return base
    return f"{base}-{hashlib.sha256(source.encode()).hexdigest()[:6]}"


def _manifest_with(
    settings: Settings, path: Path, metadata: DocumentMetadata, store: Store
) -> dict[Path, bytes]:
    """The uploads manifest with ``path``'s entry replaced by ``metadata`` (under the lock)."""
    document_id = _upload_id(store, path)
    if metadata.supersedes is not None:
        problem = None
        if metadata.supersedes == document_id:
            problem = "self"
        elif store.document(metadata.supersedes) is None:
            problem = "unknown_document"
        if problem:
            raise WriteError(
                422,
                f"supersedes: {metadata.supersedes!r} is not another document; choose one"
                " listed at /api/documents.",
                {"fields": {"supersedes": problem}},
            )
    manifest = uploads_dir(settings) / MANIFEST_NAME
    entries = [e for e in _read_manifest(manifest) if e.get("file") != path.name]
    entries.append(metadata.entry(document_id, path.name))
    return {manifest: _manifest_bytes(entries)}


def _forget_metadata(settings: Settings, source: Path) -> None:
    """Drop a removed upload's manifest entry, so a later file of that name starts bare."""
    manifest = uploads_dir(settings) / MANIFEST_NAME
    if source.parent.resolve() != uploads_dir(settings).resolve() or not manifest.is_file():
        return
    entries = _read_manifest(manifest)
    kept = [e for e in entries if e.get("file") != source.name]
    if len(kept) != len(entries):
        write_atomic(manifest, _manifest_bytes(kept))


# --- URLs ------------------------------------------------------------------------------------


def fetch_options(
    settings: Settings,
    *,
    max_bytes: int,
    domains: tuple[str, ...] | None = None,
    polite: bool = True,
) -> FetchOptions:
    """The fetcher's options from the settings. ``polite=False`` (one URL upload): no
    pause between robots.txt and the page, and no Crawl-delay."""
    return FetchOptions(
        user_agent=settings.user_agent,
        delay_s=settings.fetch_delay_s if polite else 0.0,
        timeout_s=settings.fetch_timeout_s,
        deadline_s=settings.fetch_deadline_s,
        max_bytes=max_bytes,
        max_redirects=settings.fetch_max_redirects,
        domains=domains,
        allow=AllowList.parse(settings.fetch_allow_hosts),
        crawl_delay=polite,
    )


FETCH_STATUSES = {
    Problem.TYPE: 415,
    Problem.SIZE: 413,
    Problem.SCHEME: 422,
    Problem.ROBOTS: 422,
}
FETCH_HINTS = {
    Problem.TYPE: "only HTML pages and PDFs can be fetched; download the file and upload it.",
    Problem.ROBOTS: "the site's robots.txt does not allow it; download the file and upload it.",
    Problem.HTTP: "check that the address opens in a browser.",
}


def fetch_url(settings: Settings, url: str) -> Fetched:
    """Fetch an HTML page or PDF for a URL upload (the one fetcher's rules). Writes
    nothing. Raises WriteError: 502 unreachable, not allowed, an HTTP error or a timeout
    (one message for refused and unreachable), 413 too large, 415 not HTML/PDF, 422
    robots.txt or a non-http(s) address."""
    options = fetch_options(settings, max_bytes=upload_limit(settings), polite=False)
    with PoliteFetcher(options) as fetcher:
        response = fetcher.fetch(url)
    reason = response.failed or response.skipped
    if reason is not None:
        problem = response.problem or Problem.UNREACHABLE
        if problem == Problem.SIZE:
            raise too_large(settings)
        hint = FETCH_HINTS.get(problem, "")
        message = f"Could not fetch the address: {reason}" + (f"; {hint}" if hint else ".")
        detail = {"status": response.status} if problem == Problem.HTTP else None
        raise WriteError(FETCH_STATUSES.get(problem, 502), message, detail)
    if not response.body.strip():
        raise WriteError(422, "The address returned an empty document.")
    return Fetched(
        url=url,
        final_url=response.final_url,
        kind=response.kind,
        content_type=response.content_type,
        body=response.body,
        status=int(response.status or 200),
    )


def add_fetched(
    settings: Settings, fetched: Fetched, *, wait_s: float | None = 0.0
) -> WriteOutcome:
    """Keep a fetched copy under ``<data>/uploads/<host>/`` with its provenance record,
    and ingest it (the document's URL is the address it was fetched from)."""
    base = base_path(uploads_dir(settings), fetched.url)
    copy = base.with_name(base.name + FETCHED_SUFFIXES[fetched.kind])
    now = datetime.now(UTC).isoformat(timespec="seconds")
    record = Provenance(
        url=fetched.url,
        final_url=fetched.final_url,
        fetched_at=now,
        checked_at=now,
        status=fetched.status,
        content_type=fetched.content_type,
        sha256=hashlib.sha256(fetched.body).hexdigest(),
        bytes=len(fetched.body),
        file=copy.name,
    )
    sidecar = base.with_name(base.name + SIDECAR_SUFFIX)
    files = {sidecar: record.to_json().encode("utf-8"), copy: fetched.body}
    return _place_and_ingest(settings, files, copy, wait_s)


def add_url(settings: Settings, url: str, *, wait_s: float | None = 0.0) -> WriteOutcome:
    """Fetch ``url`` (outside the lock) and add the copy (under it)."""
    return add_fetched(settings, fetch_url(settings, url), wait_s=wait_s)


# --- removing --------------------------------------------------------------------------------


def remove_documents(
    settings: Settings,
    document_ids: Iterable[str],
    *,
    wait_s: float | None = 0.0,
    progress: bool = False,
) -> RemoveOutcome:
    """Remove documents from the store and build a snapshot without them. An uploaded
    file (under ``<data>/uploads/``) is deleted with its provenance record; a corpus file
    stays, so a later `vidensbank ingest` of the corpus adds it again."""
    removed: list[str] = []
    missing: list[str] = []
    with writing(settings, wait_s) as store:
        recover(settings)
        for document_id in document_ids:
            row = store.document(document_id)
            if row is None or not store.delete_document(document_id):
                missing.append(document_id)
                continue
            removed.append(document_id)
            _delete_upload(settings, Path(row["source"]))
            _forget_metadata(settings, Path(row["source"]))
        if not removed:
            return RemoveOutcome(removed, missing, None)
        sync_superseded(store)  # an edition this one superseded is shown again
        build = build_index(settings, store, progress=progress)
    return RemoveOutcome(removed, missing, build.version)


def _delete_upload(settings: Settings, source: Path) -> None:
    if source.resolve().is_relative_to(uploads_dir(settings).resolve()):
        source.unlink(missing_ok=True)
        source.with_name(source.stem + SIDECAR_SUFFIX).unlink(missing_ok=True)


# --- fetch-links -------------------------------------------------------------------------------


def fetch_links(
    settings: Settings,
    *,
    domains: tuple[str, ...] | None = None,
    progress: bool = True,
    on_outcome: Callable[[FetchOutcome], None] | None = None,
    on_failure: Callable[[Failure], None] | None = None,
) -> FetchLinksOutcome:
    """Fetch what ingested documents link to into ``<corpus>/linked/`` and ingest that
    folder: what was fetched now, and anything an interrupted earlier run fetched but did
    not ingest (unchanged copies are skipped). Holds the writer lock throughout."""
    options = fetch_options(
        settings, max_bytes=int(settings.fetch_max_mb * 1024 * 1024), domains=domains
    )
    linked_dir = settings.corpus_dir / "linked"
    with writing(settings, 0.0) as store:
        recover(settings)
        targets, outside = collect_links(store, options)
        report = fetch_link_batch(targets, linked_dir, options, on_outcome=on_outcome)
        report.outside_domains = outside
        if not linked_dir.is_dir():
            return FetchLinksOutcome(report, None, None)
        ingest = _ingestor(settings, store, progress).run([linked_dir], on_failure=on_failure)
        build = build_index(settings, store, progress=progress) if ingest.changed else None
        return FetchLinksOutcome(report, ingest, build)
