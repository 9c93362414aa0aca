"""The Danish texts staff read on error pages, in one place (the API answers in English)."""

from __future__ import annotations

from ..api.validation import MAX_FILTER_CHARS, MAX_FILTER_VALUES, MAX_PAGE, MAX_QUERY_CHARS
from .filters import danish_number

FACET_LABELS = {
    "theme": "Tema",
    "document": "Publikation",
    "organisation": "Organisation",
    "year": "År",
}

ERROR_TEXTS = {
    400: ("Forkert forespørgsel", "Siden kunne ikke vises, fordi adressen ikke er gyldig."),
    404: ("Siden findes ikke", "Vi kunne ikke finde siden. Tjek adressen, eller søg herunder."),
    405: ("Forkert forespørgsel", "Siden kan ikke bruges på den måde."),
    409: ("Vidensbanken er optaget", "Der bliver lagt nyt indhold ind. Prøv igen om lidt."),
    503: (
        "Søgningen er ikke klar endnu",
        "Vidensbanken har endnu ikke et søgeindeks, eller det er ved at blive opdateret. "
        "Prøv igen om et øjeblik.",
    ),
}
FALLBACK = ("Der skete en fejl", "Noget gik galt hos os. Prøv igen om lidt.")
DAMAGED_INDEX = (
    "Søgeindekset er beskadiget",
    "Der er ikke et ældre søgeindeks, der kan bruges. Dokumenterne er ikke tabt: Bed"
    " administratoren om at bygge indekset igen (vidensbank ingest).",
)


def error_text(status: int) -> tuple[str, str]:
    """(title, message) of the error page for ``status``."""
    if status in ERROR_TEXTS:
        return ERROR_TEXTS[status]
    if 400 <= status < 500:
        return ERROR_TEXTS[400]
    return FALLBACK


def server_error_text(status: int, request_id: str, message: str | None = None) -> str:
    """The page's message for a 5xx: ``message`` (else the status's) and the error id."""
    message = message or error_text(status)[1]
    return f"{message} Nævn fejl-id {request_id}, hvis du kontakter support."


def parameter_text(field: str, value: object) -> str:
    """Why a search parameter cannot be used, and how to fix it."""
    if field == "q":
        length = value if isinstance(value, int) else MAX_QUERY_CHARS + 1
        return (
            f"Din søgning er for lang ({danish_number(length)} tegn). "
            f"Skriv højst {MAX_QUERY_CHARS} tegn – et kort spørgsmål virker bedst."
        )
    if field in FACET_LABELS and isinstance(value, int) and value > MAX_FILTER_VALUES:
        return (
            f"Filteret {FACET_LABELS[field]} har for mange værdier: vælg højst {MAX_FILTER_VALUES}."
        )
    if field == "year":
        return "Årstallet i filteret skal være et årstal med fire cifre, fx 2023."
    if field == "alle":
        return "Parameteren alle kan kun være 1 (vis også usikre resultater) eller 0."
    if field == "page":
        return f"Sidetallet skal være et helt tal fra 1 til {MAX_PAGE}, fx 2."
    label = FACET_LABELS.get(field, field)
    return f"Filteret {label} er for langt: brug højst {MAX_FILTER_CHARS} tegn."


def unknown_filter_text(kind: str, value: object) -> str:
    label = FACET_LABELS.get(kind, kind)
    return (
        f"Filteret {label} »{value}« findes ikke i vidensbanken. Vælg et filter i listen "
        "ved søgeresultaterne, eller fjern det fra adressen."
    )
