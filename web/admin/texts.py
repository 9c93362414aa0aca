"""Danish texts of the admin pages (what a knowledge manager reads)."""

from __future__ import annotations

from ...settings import Settings
from ...writes import UPLOAD_SUFFIXES, WriteError
from .forms import write_error_field

FILE_KINDS = "PDF, Word (.docx), HTML, Markdown eller tekst"
NO_FILE = f"Vælg en fil at uploade ({FILE_KINDS})."
EMPTY_FILE = "Filen er tom. Vælg en fil med tekst i."
UNREADABLE = (
    "Filen kunne ikke læses. Kontrollér, at den ikke er beskadiget eller krypteret, og at den"
    " indeholder tekst (ikke kun scannede billeder)."
)
BAD_FORM = "Formularen kom ikke helt frem. Genindlæs siden, og prøv igen."
STAGING_GONE = (
    "Forhåndsvisningen findes ikke længere – den er gemt, annulleret eller udløbet."
    " Upload filen igen fra administrationssiden."
)
DOCUMENT_GONE = "Publikationen findes ikke (længere). Den kan være fjernet i mellemtiden."


def accept_attribute() -> str:
    return ",".join(UPLOAD_SUFFIXES)


def unsupported() -> str:
    kinds = ", ".join(UPLOAD_SUFFIXES)
    return f"Filtypen kan ikke bruges. Upload en fil af typen {kinds} ({FILE_KINDS})."


def too_large(settings: Settings) -> str:
    return (
        f"Filen er større end {settings.max_upload_mb:g} MB. Del eller komprimér den, eller bed"
        " driften hæve VIDENSBANK_MAX_UPLOAD_MB."
    )


def write_error(err: WriteError, settings: Settings) -> tuple[str, dict[str, str]]:
    """(message for the page, messages per form field) for a refused write."""
    fields = write_error_field(err.detail)
    if fields:
        return "Ret de markerede felter, og prøv igen.", fields
    if err.status == 413:
        return too_large(settings), {}
    if err.status == 415:
        return unsupported(), {}
    return UNREADABLE, {}
