"""Which sections are the publication's subject: front matter, adverts and themes.

A publication opens with matter about itself (foreword, colophon, "Om AlmenNets
publikationer") and may print adverts for courses between its cases. Such a section (with
its sub-sections) stays searchable text, but carries no theme and is never a case. The
defaults are patterns in ``corpus/gazetteer.toml``; ``sources.toml`` adds or lifts
exclusions per publication (``exclude_sections``, ``keep_sections``).

A theme is a top-level chapter the publication presents as a subject. Unless
``sources.toml`` says otherwise (``themes``), the structure decides: a chapter is a theme
when it gathers cases (as "Biodiversitet › Cases fra møderne" does) and is neither
excluded nor a generic report chapter ("Indledning", "Metode"). So a plain report's chapter
headings are not themes, while a case collection's subjects are.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from .cases import case_sections
from .errors import IngestError
from .gazetteer import Gazetteer
from .structure import Section, StructuredDocument, subtree, words

FRONT_MATTER = "front_matter"
ABOUT_PUBLISHER = "about_publisher"
ADVERT = "advert"
CONFIGURED = "configured"  # named in sources.toml's exclude_sections


@dataclass(frozen=True)
class SectionOptions:
    """A publication's own choices, from its ``sources.toml`` entry.

    ``themes``: None lets the structure decide, True makes every content chapter a theme,
    False none, and a tuple names the chapters that are themes. ``exclude_sections`` and
    ``keep_sections`` name sections by heading or full path ("Forord › Disclaimer"),
    compared without regard to case, punctuation or spacing."""

    themes: bool | tuple[str, ...] | None = None
    exclude_sections: tuple[str, ...] = ()
    keep_sections: tuple[str, ...] = ()


def assign_roles(
    structure: StructuredDocument,
    gazetteer: Gazetteer,
    options: SectionOptions | None = None,
    publisher: str | None = None,
) -> None:
    """Mark excluded sections, then give each content section its theme (in place)."""
    options = options or SectionOptions()
    mark_excluded(structure, gazetteer, options, publisher)
    chapters = theme_chapters(structure, gazetteer, options)
    for section in structure.sections:
        top = section.path[0] if section.path else None
        section.theme = top if top in chapters and not section.excluded else None


def mark_excluded(
    structure: StructuredDocument,
    gazetteer: Gazetteer,
    options: SectionOptions,
    publisher: str | None = None,
) -> None:
    """Set ``Section.excluded`` on front matter, adverts and configured sections and on
    everything below them."""
    exclude = {_key(name) for name in options.exclude_sections}
    keep = {_key(name) for name in options.keep_sections}
    for section in structure.sections[1:]:
        parent = structure.sections[section.parent or 0]
        if parent.excluded:
            section.excluded = parent.excluded
        elif _named(section, exclude):
            section.excluded = CONFIGURED
        elif not _named(section, keep):
            section.excluded = _default_exclusion(structure, section, gazetteer, publisher)


def _default_exclusion(
    structure: StructuredDocument, section: Section, gazetteer: Gazetteer, publisher: str | None
) -> str:
    title = section.title.strip()
    if gazetteer.is_front_matter(title):
        return FRONT_MATTER
    if publisher and _key(title) in (_key(f"om {publisher}"), _key(f"om {publisher}s")):
        return ABOUT_PUBLISHER
    if is_advert(structure, section, gazetteer):
        return ADVERT
    return ""


def is_advert(structure: StructuredDocument, section: Section, gazetteer: Gazetteer) -> bool:
    """A short section whose heading and own text match several advert patterns. Its
    sub-sections are judged on their own: a chapter that prints an advert between its
    cases is no advert."""
    if not gazetteer.advert_patterns:
        return False
    text = "\n".join([section.title, *(structure.blocks[b].text for b in section.blocks)])
    if words(text) > gazetteer.advert_max_words:
        return False
    return gazetteer.advert_matches(text) >= gazetteer.advert_min_matches


def theme_chapters(
    structure: StructuredDocument, gazetteer: Gazetteer, options: SectionOptions
) -> set[str]:
    """Titles of the top-level chapters that are themes (call after ``mark_excluded``)."""
    chapters = [structure.sections[i] for i in structure.sections[0].children]
    if options.themes is False:
        return set()
    if isinstance(options.themes, tuple):
        return _named_chapters(chapters, options.themes)
    content = [c for c in chapters if not c.excluded and not gazetteer.is_generic_chapter(c.title)]
    if options.themes is True:
        return {c.title for c in content}
    with_cases = {index for index, _ in case_sections(structure, gazetteer)}
    return {c.title for c in content if with_cases & set(subtree(structure, c.index))}


def _named_chapters(chapters: list[Section], names: tuple[str, ...]) -> set[str]:
    by_key = {_key(c.title): c.title for c in chapters}
    missing = [name for name in names if _key(name) not in by_key]
    if missing:
        known = ", ".join(repr(c.title) for c in chapters) or "(none)"
        raise IngestError(
            f"sources.toml: themes names {', '.join(map(repr, missing))}, but the document has"
            f" no such top-level chapter; its chapters are {known}"
        )
    return {by_key[_key(name)] for name in names}


def _named(section: Section, keys: set[str]) -> bool:
    return bool(keys) and (_key(section.title) in keys or _key(section.path_text) in keys)


def _key(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold()
    return "".join(c for c in text if c.isalnum())
