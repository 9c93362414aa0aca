"""The upload form's metadata: read from the posted fields, checked, and every problem
said in Danish next to its field. The rules themselves live in ``DocumentMetadata``
(``vidensbank.writes``), so the API and the form refuse the same things."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ...writes import METADATA_LIMITS, MIN_YEAR, DocumentMetadata

FIELDS = ("title", "publisher", "year", "edition", "url", "rights", "supersedes")
LABELS = {
    "title": "Titel",
    "publisher": "Udgiver",
    "year": "Udgivelsesår",
    "edition": "Udgave",
    "url": "Webadresse",
    "rights": "Rettighedsnote",
    "supersedes": "Erstatter",
}


def _message(name: str, problem: str) -> str:
    label = LABELS[name]
    next_year = datetime.now(UTC).year + 1
    if problem == "too_long":
        return f"{label} er for lang: skriv højst {METADATA_LIMITS[name]} tegn."
    if problem == "bad_characters":
        return f"{label} indeholder tegn, der ikke kan gemmes (fx linjeskift). Ret teksten."
    if problem in ("year_range", "not_a_number"):
        return f"Skriv året med fire cifre mellem {MIN_YEAR} og {next_year}, fx 2024."
    if problem == "url_invalid":
        return "Webadressen skal begynde med http:// eller https://, fx https://almennet.dk/…"
    if problem in ("unknown_document", "self"):
        return "Vælg en af publikationerne på listen – eller ingen."
    return f"{label} kan ikke bruges. Ret feltet og prøv igen."


@dataclass
class MetadataForm:
    """The posted values (kept to fill the form again) and the problems per field."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    metadata: DocumentMetadata = field(default_factory=DocumentMetadata)

    @property
    def ok(self) -> bool:
        return not self.errors


def _text(form: Mapping[str, object], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def read_metadata(form: Mapping[str, object], known_ids: set[str]) -> MetadataForm:
    """Check the metadata fields of ``form``; ``known_ids`` are the documents a new one
    may supersede."""
    values = {name: _text(form, name) for name in FIELDS}
    errors: dict[str, str] = {}
    year: int | None = None
    if values["year"]:
        if values["year"].isdigit() and len(values["year"]) <= 4:
            year = int(values["year"])
        else:
            errors["year"] = _message("year", "not_a_number")
    texts = {name: values[name] or None for name in FIELDS if name != "year"}
    metadata = DocumentMetadata(year=year, **texts)
    for name, problem in metadata.problems().items():
        errors.setdefault(name, _message(name, problem))
    if metadata.supersedes and metadata.supersedes not in known_ids:
        errors.setdefault("supersedes", _message("supersedes", "unknown_document"))
    return MetadataForm(values=values, errors=errors, metadata=metadata)


def write_error_field(detail: object) -> dict[str, str]:
    """Danish messages for the ``{"fields": {name: problem}}`` detail of a WriteError."""
    fields = detail.get("fields") if isinstance(detail, dict) else None
    if not isinstance(fields, dict):
        return {}
    return {
        str(name): _message(str(name), str(problem))
        for name, problem in fields.items()
        if name in LABELS
    }
