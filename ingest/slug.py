"""URL-safe, readable identifiers from Danish titles."""

from __future__ import annotations

import re
import unicodedata

from text_unidecode import unidecode

_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "ae", "Ø": "oe", "Å": "aa"})


def slugify(text: str, max_length: int = 60) -> str:
    """Lowercase ASCII letters and digits joined by '-'; ``x`` when none are left."""
    return plain_slug(text, max_length) or "x"


def plain_slug(text: str, max_length: int = 60) -> str | None:
    """Like :func:`slugify`, but ``None`` when the text has no letter or digit that
    survives (e.g. Cyrillic, Greek or CJK text, '..')."""
    text = unicodedata.normalize("NFKD", text.translate(_DANISH))
    text = text.encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return slug[:max_length].rstrip("-") or None


def transliterated_slug(text: str, max_length: int = 60) -> str | None:
    """A slug of ``text`` spelled in Latin letters (Cyrillic, Greek, CJK … transliterated;
    Danish letters as in :func:`slugify`), or ``None`` when nothing is left."""
    return plain_slug(unidecode(unicodedata.normalize("NFC", text.translate(_DANISH))), max_length)
