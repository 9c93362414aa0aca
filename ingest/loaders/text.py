"""Plain-text loader and the byte-decoding helper shared with the Markdown loader."""

from __future__ import annotations

import codecs
import re

import charset_normalizer

from ..errors import IngestError
from ..model import Block, BlockKind, LoadedDocument

# Legacy Danish files are nearly always Windows-1252 / Latin-1. charset-normalizer
# often ranks cp1250 or cp1257 first on short texts (they decode the same bytes),
# which would turn "æøå" into "ćřĺ", so a plausible western guess wins.
_WESTERN = {"cp1252", "latin_1", "iso8859_15", "windows_1252"}
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_DANISH = re.compile("[æøåÆØÅ]")
_BLANK_LINES = re.compile(r"\n[ \t\u00a0]*\n\s*")


def decode_text(data: bytes, *, what: str = "file") -> str:
    """Decode bytes to text: a BOM, else UTF-8, else the detected legacy encoding.

    Raises IngestError when the bytes are not text at all (binary data).
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _checked(data.decode(encoding, errors="replace"), what)
    try:
        return _checked(data.decode("utf-8"), what)
    except UnicodeDecodeError:
        pass
    if b"\x00" not in data:
        guesses = charset_normalizer.from_bytes(data[:200_000])
        best = guesses.best()
        if any(match.encoding in _WESTERN for match in guesses):
            for encoding in ("cp1252", "latin-1"):
                try:
                    text = data.decode(encoding)
                except UnicodeDecodeError:
                    continue
                if _DANISH.search(text) or (best is not None and best.encoding in _WESTERN):
                    return _checked(text, what)
        if best is not None:
            return _checked(str(best), what)
    raise _binary(what)


def _checked(text: str, what: str) -> str:
    sample = text[:100_000]
    if sample and len(_CONTROL.findall(sample)) > max(2, len(sample) // 100):
        raise _binary(what)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _binary(what: str) -> IngestError:
    return IngestError(
        f"{what} is not text (binary data?): save it as UTF-8 text, or use the right "
        "file extension (.pdf, .html, .md, .txt)"
    )


def load_text(data: bytes, source: str) -> LoadedDocument:
    """Plain text: one paragraph per blank-line separated chunk; title = first line."""
    text = decode_text(data)
    chunks = [c.strip("\n") for c in _BLANK_LINES.split(text)]
    blocks = [Block(BlockKind.PARAGRAPH, chunk) for chunk in chunks if chunk.strip()]
    if not blocks:
        raise IngestError("file is empty (only whitespace): nothing to ingest")
    title = blocks[0].text.strip().split("\n", 1)[0].strip()[:200]
    return LoadedDocument(source=source, title=title, blocks=blocks, format="txt")
