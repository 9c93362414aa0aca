"""Loader factory: picks the loader for a file by its suffix (or content type)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PurePath

from ..errors import FileTooLarge, IngestError, UnsupportedFormat
from ..model import LoadedDocument

Loader = Callable[[bytes, str], LoadedDocument]

SUPPORTED_SUFFIXES: tuple[str, ...] = (
    ".pdf",
    ".docx",
    ".html",
    ".htm",
    ".md",
    ".markdown",
    ".txt",
)
DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

_CONTENT_TYPES = {
    "application/pdf": ".pdf",
    DOCX_CONTENT_TYPE: ".docx",
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "text/markdown": ".md",
    "text/x-markdown": ".md",
    "text/plain": ".txt",
}


def load_document(path: Path, *, max_bytes: int | None = None) -> LoadedDocument:
    """Load a file from disk into a LoadedDocument (not yet cleaned)."""
    path = Path(path)
    _loader_for(path.suffix.lower(), path.name)  # fail on the suffix before reading
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise IngestError(f"{path} does not exist: check the path") from None
    if max_bytes is not None and size > max_bytes:
        raise _too_large(path.name, size, max_bytes)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise IngestError(f"cannot read {path}: {err.strerror or err}; check permissions") from err
    return load_bytes(data, path.name, source=str(path))


def load_bytes(
    data: bytes,
    filename: str,
    *,
    source: str | None = None,
    content_type: str | None = None,
) -> LoadedDocument:
    """Load an upload or fetched page. The suffix of ``filename`` picks the loader; a
    ``content_type`` (e.g. "text/html; charset=utf-8") is used when the name has none."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES and content_type:
        suffix = _CONTENT_TYPES.get(content_type.split(";")[0].strip().lower(), suffix)
    loader = _loader_for(suffix, filename)
    if not data.strip():
        raise IngestError("file is empty (0 bytes of text): nothing to ingest")
    return loader(data, source or filename)


def _loader_for(suffix: str, name: str) -> Loader:
    # Imported lazily so that e.g. a text-only run never imports trafilatura.
    if suffix == ".pdf":
        from .pdf import load_pdf

        return load_pdf
    if suffix == ".docx":
        from .docx import load_docx

        return load_docx
    if suffix in (".html", ".htm"):
        from .html import load_html

        return load_html
    if suffix in (".md", ".markdown"):
        from .markdown import load_markdown

        return load_markdown
    if suffix == ".txt":
        from .text import load_text

        return load_text
    raise UnsupportedFormat(
        f"unsupported file type {suffix or '(no extension)'!r}; "
        f"supported: {', '.join(SUPPORTED_SUFFIXES)} (convert the file to one of these)"
    )


def _too_large(name: str, size: int, limit: int) -> FileTooLarge:
    return FileTooLarge(
        f"file is {size / 1_048_576:.1f} MB, over the {limit / 1_048_576:.1f} MB limit: "
        "split the file or raise VIDENSBANK_MAX_FILE_MB"
    )


__all__ = ["DOCX_CONTENT_TYPE", "SUPPORTED_SUFFIXES", "load_bytes", "load_document"]
