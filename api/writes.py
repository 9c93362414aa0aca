"""Write side of the API: save an upload or fetch a URL, ingest it and build a snapshot;
delete a document and rebuild. Raises domain errors (``UploadError``, ``LockBusy``)
that ``vidensbank.api.errors`` maps to HTTP."""

from __future__ import annotations

import hashlib
import os
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePath
from urllib.parse import urlsplit

import httpx

from ..ingest.linked.provenance import Provenance, base_path, write_atomic, write_record
from ..ingest.loaders import SUPPORTED_SUFFIXES
from ..ingest.persist import sync_superseded
from ..ingest.slug import slugify
from ..lock import writer_lock
from ..services import build_index, ingest_and_build, open_store
from ..settings import Settings

FETCH_TYPES = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "application/pdf": ".pdf",
}
UPLOAD_TYPES = {
    "application/pdf": ".pdf",
    "text/html": ".html",
    "text/markdown": ".md",
    "text/x-markdown": ".md",
    "text/plain": ".txt",
}


class UploadError(Exception):
    """An upload or fetch that cannot be ingested; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, message: str, detail: object = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.detail = detail


@dataclass
class WriteOutcome:
    document_id: str
    status: str  # added | updated | unchanged
    version: str | None


def uploads_dir(settings: Settings) -> Path:
    return settings.data_dir / "uploads"


def max_bytes(settings: Settings) -> int:
    return int(settings.max_upload_mb * 1024 * 1024)


def safe_name(filename: str | None, content_type: str | None = None) -> str:
    """A file name we choose: the client's base name slugified, with a supported suffix.
    Directory parts, '..', hidden names and odd characters never reach the file system."""
    raw = unicodedata.normalize("NFC", (filename or "").replace("\\", "/").split("/")[-1])
    if "\x00" in raw:
        raise UploadError(422, "The file name contains a NUL byte; rename the file and retry.")
    name = PurePath(raw)
    suffix = name.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        media = (content_type or "").split(";")[0].strip().lower()
        if suffix or media not in UPLOAD_TYPES:
            kinds = ", ".join(SUPPORTED_SUFFIXES)
            raise UploadError(
                415,
                f"Unsupported file type {suffix or media or '(no extension)'!r}:"
                f" upload one of {kinds} (convert the file first).",
                {"supported": list(SUPPORTED_SUFFIXES)},
            )
        suffix = UPLOAD_TYPES[media]
    stem = slugify(name.stem if name.suffix else raw, 80)
    return f"{'upload' if stem == 'x' else stem}{suffix}"


def _ingest_file(settings: Settings, path: Path, data: bytes) -> WriteOutcome:
    """Put ``data`` at ``path`` (atomically), ingest it and build a snapshot. On an ingest
    failure the previous file (if any) is restored and 422 is raised with the reason."""
    path.parent.mkdir(parents=True, exist_ok=True)
    backup = path.with_name(f".{path.name}.{uuid.uuid4().hex[:6]}.previous")
    had_previous = path.exists()
    if had_previous:
        os.replace(path, backup)
    try:
        write_atomic(path, data)
        outcome = ingest_and_build(settings, [path], progress=False)
    except BaseException:
        _restore(path, backup, had_previous)
        raise
    if outcome.report.failed:
        _restore(path, backup, had_previous)
        reason = outcome.report.failed[0].reason
        raise UploadError(
            422,
            f"The file could not be ingested: {reason}",
            {"reason": reason},
        )
    backup.unlink(missing_ok=True)
    report = outcome.report
    for status, ids in (("added", report.added), ("updated", report.updated)):
        if ids:
            return WriteOutcome(ids[0], status, outcome.build.version if outcome.build else None)
    return WriteOutcome(report.unchanged[0], "unchanged", None)


def _restore(path: Path, backup: Path, had_previous: bool) -> None:
    if had_previous and backup.exists():
        os.replace(backup, path)
    elif not had_previous:
        path.unlink(missing_ok=True)


def ingest_upload(
    settings: Settings, filename: str | None, content_type: str | None, data: bytes
) -> WriteOutcome:
    name = safe_name(filename, content_type)
    if len(data) > max_bytes(settings):
        raise too_large(settings)
    if not data.strip():
        raise UploadError(422, "The uploaded file is empty: choose a file with text in it.")
    return _ingest_file(settings, uploads_dir(settings) / name, data)


def too_large(settings: Settings) -> UploadError:
    return UploadError(
        413,
        f"The file is larger than {settings.max_upload_mb:g} MB: split or compress it, or raise"
        " VIDENSBANK_MAX_UPLOAD_MB on the server.",
    )


def fetch_url(settings: Settings, url: str) -> WriteOutcome:
    """Fetch an HTML page or PDF over http(s) (size-capped, timeouts, limited redirects),
    keep it under ``uploads/<host>/`` with a provenance record, and ingest it."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise UploadError(422, "Only http:// and https:// addresses can be fetched.")
    limit = max_bytes(settings)
    timeout = httpx.Timeout(settings.fetch_timeout_s)
    headers = {"User-Agent": settings.user_agent, "Accept": "text/html, application/pdf"}
    try:
        with (
            httpx.Client(
                timeout=timeout,
                follow_redirects=True,
                max_redirects=settings.fetch_max_redirects,
                headers=headers,
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise UploadError(
                    502,
                    f"The server at {urlsplit(url).netloc} answered HTTP {response.status_code}"
                    " for that address; check that it opens in a browser.",
                    {"status": response.status_code},
                )
            media = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if media not in FETCH_TYPES:
                raise UploadError(
                    415,
                    f"The address returned {media or 'no content type'!r}; only HTML pages and"
                    " PDFs can be fetched. Download the file and upload it instead.",
                )
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise too_large(settings)
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise too_large(settings)
                chunks.append(chunk)
            final_url = str(response.url)
            status = response.status_code
    except httpx.TooManyRedirects:
        raise UploadError(502, f"Too many redirects fetching {url}.") from None
    except httpx.HTTPError as err:
        raise UploadError(
            502,
            f"Could not fetch {url}: {type(err).__name__}. Check the address and that the"
            " server can reach it.",
        ) from None
    data = b"".join(chunks)
    if not data.strip():
        raise UploadError(422, "The address returned an empty document.")
    base = base_path(uploads_dir(settings), url)
    copy = base.with_name(base.name + FETCH_TYPES[media])
    now = datetime.now(UTC).isoformat(timespec="seconds")

    record = Provenance(
        url=url,
        final_url=final_url,
        fetched_at=now,
        checked_at=now,
        status=status,
        content_type=media,
        sha256=hashlib.sha256(data).hexdigest(),
        bytes=len(data),
        file=copy.name,
    )
    write_record(base, record)
    return _ingest_file(settings, copy, data)


def delete_document(settings: Settings, document_id: str) -> str | None:
    """Remove a document from the store and build a snapshot without it. Returns the new
    version, or ``None`` if the store has no such document. An uploaded file is removed
    too; a corpus file stays, so a later `vidensbank ingest` of the corpus adds it again."""
    with writer_lock(settings.data_dir), open_store(settings) as store:
        row = store.document(document_id)
        if row is None:
            return None
        store.delete_document(document_id)
        sync_superseded(store)  # an edition this one superseded is shown again
        source = Path(row["source"])
        uploads = uploads_dir(settings).resolve()
        if source.is_relative_to(uploads):
            source.unlink(missing_ok=True)
            source.with_name(source.stem + ".provenance.json").unlink(missing_ok=True)
        return build_index(settings, store, progress=False).version
