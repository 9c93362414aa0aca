"""Organisations, places and case-heading patterns, read from ``corpus/gazetteer.toml``."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import IngestError

DEFAULT_PATH = Path("corpus/gazetteer.toml")


@dataclass
class Gazetteer:
    organisations: dict[str, str] = field(default_factory=dict)  # surface form -> canonical
    places: dict[str, str] = field(default_factory=dict)
    organisation_patterns: list[re.Pattern[str]] = field(default_factory=list)
    place_patterns: list[re.Pattern[str]] = field(default_factory=list)
    case_heading_patterns: list[re.Pattern[str]] = field(default_factory=list)
    single_case_patterns: list[re.Pattern[str]] = field(default_factory=list)
    case_title_prefixes: list[re.Pattern[str]] = field(default_factory=list)
    front_matter_patterns: list[re.Pattern[str]] = field(default_factory=list)
    generic_chapter_patterns: list[re.Pattern[str]] = field(default_factory=list)
    advert_patterns: list[re.Pattern[str]] = field(default_factory=list)
    advert_min_matches: int = 2
    advert_max_words: int = 150

    @classmethod
    def load(cls, path: Path | None = None) -> Gazetteer:
        path = path or DEFAULT_PATH
        if not path.exists():
            return cls()
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        return cls(
            organisations=_surface_forms(data.get("organisations", [])),
            places=_surface_forms(data.get("places", [])),
            organisation_patterns=[re.compile(p) for p in data.get("organisation_patterns", [])],
            place_patterns=[re.compile(p) for p in data.get("place_patterns", [])],
            case_heading_patterns=_patterns(data, "case_heading_patterns"),
            single_case_patterns=_patterns(data, "single_case_patterns"),
            case_title_prefixes=_patterns(data, "case_title_prefixes"),
            front_matter_patterns=_patterns(data, "front_matter_patterns"),
            generic_chapter_patterns=_patterns(data, "generic_chapter_patterns"),
            advert_patterns=_patterns(data, "advert_patterns", re.MULTILINE),
            advert_min_matches=int(data.get("advert_min_matches", 2)),
            advert_max_words=int(data.get("advert_max_words", 150)),
        )

    def is_case_collection(self, heading: str) -> bool:
        return any(p.search(heading) for p in self.case_heading_patterns)

    def is_single_case(self, heading: str) -> bool:
        return any(p.search(heading) for p in self.single_case_patterns)

    def case_title(self, heading: str) -> str:
        """ "Case: Fugtmålere i Vejle" → "Fugtmålere i Vejle"; other headings unchanged."""
        for pattern in self.case_title_prefixes:
            match = pattern.match(heading)
            if match and heading[match.end() :].strip():
                stripped = heading[match.end() :].strip()
                return stripped[:1].upper() + stripped[1:]
        return heading

    def is_front_matter(self, heading: str) -> bool:
        return any(p.search(heading.strip()) for p in self.front_matter_patterns)

    def is_generic_chapter(self, heading: str) -> bool:
        return any(p.search(heading.strip()) for p in self.generic_chapter_patterns)

    def advert_matches(self, text: str) -> int:
        """How many distinct advert patterns the text matches."""
        return sum(1 for p in self.advert_patterns if p.search(text))

    def find_organisations(self, text: str) -> list[str]:
        found = _find_names(text, self.organisations)
        for pattern in self.organisation_patterns:
            for match in pattern.finditer(text):
                name = match.group(0).strip()
                canonical = self.organisations.get(name, name)
                if canonical not in found:
                    found.append(canonical)
        return _drop_contained(found)

    def find_places(self, text: str) -> list[str]:
        found = _find_names(text, self.places)
        for pattern in self.place_patterns:
            for match in pattern.finditer(text):
                name = match.group(1) if pattern.groups else match.group(0)
                canonical = self.places.get(name, name)
                if canonical not in found:
                    found.append(canonical)
        return found


def _patterns(data: dict[str, object], key: str, flags: int = 0) -> list[re.Pattern[str]]:
    """Case-insensitive patterns; a broken one names its key so the file can be fixed."""
    compiled: list[re.Pattern[str]] = []
    raw = data.get(key, [])
    for pattern in raw if isinstance(raw, list) else [raw]:
        try:
            compiled.append(re.compile(str(pattern), re.IGNORECASE | flags))
        except re.error as err:
            raise IngestError(
                f"gazetteer {key}: invalid pattern {pattern!r} ({err}); fix the pattern"
            ) from err
    return compiled


def _surface_forms(entries: list[dict[str, object]]) -> dict[str, str]:
    forms: dict[str, str] = {}
    for entry in entries:
        name = str(entry["name"])
        forms[name] = name
        aliases = entry.get("aliases") or []
        for alias in aliases if isinstance(aliases, list) else [aliases]:
            forms[str(alias)] = name
    return forms


def _find_names(text: str, forms: dict[str, str]) -> list[str]:
    """Whole-word matches of known names, in order of first appearance."""
    hits: list[tuple[int, str]] = []
    for surface, canonical in forms.items():
        match = re.search(rf"(?<![\wæøåÆØÅ]){re.escape(surface)}(?![\wæøåÆØÅ])", text)
        if match:
            hits.append((match.start(), canonical))
    ordered: list[str] = []
    for _, canonical in sorted(hits):
        if canonical not in ordered:
            ordered.append(canonical)
    return ordered


def _drop_contained(names: list[str]) -> list[str]:
    """ "AAB Silkeborg" makes a bare pattern hit such as "Silkeborg Boligselskab" stay, but
    drops a shorter name wholly inside a longer one found in the same text."""
    return [n for n in names if not any(n != other and f" {n} " in f" {other} " for other in names)]
