"""Text rules shared by ingest, the index build and search: Danish sentence splitting (which
knows the sector's abbreviations and number formats), the section-path separator, passage
ids and the hash that keys the embedding cache. Neutral: imports nothing of the project."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

PATH_SEPARATOR = " › "  # between the steps of a section path: "Biodiversitet › Cases fra møderne"


def passage_id(document_id: str, section_path: str, text: str, occurrence: int) -> str:
    """Stable: re-ingesting the same text in the same section gives the same id."""
    key = f"{document_id}\x00{section_path}\x00{text}\x00{occurrence}"
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def embed_sha256(text: str) -> str:
    """Key of the embedding cache (with the model id)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Lower-cased abbreviations that end with a period but do not end a sentence.
ABBREVIATIONS = frozenset(
    [
        "bl.a.",
        "f.eks.",
        "fx.",
        "pct.",
        "kr.",
        "mio.",
        "mia.",
        "ca.",
        "evt.",
        "jf.",
        "jvf.",
        "nr.",
        "m.m.",
        "mv.",
        "m.fl.",
        "osv.",
        "dvs.",
        "pga.",
        "iflg.",
        "ifm.",
        "pr.",
        "ca.",
        "inkl.",
        "ekskl.",
        "tlf.",
        "stk.",
        "s.",
        "ff.",
        "hhv.",
        "vedr.",
        "ang.",
        "mht.",
        "etc.",
        "el.",
        "o.l.",
        "mfl.",
        "ift.",
        "d.",
        "dr.",
        "hr.",
        "fr.",
        "prof.",
        "adm.",
        "dir.",
        "st.",
        "tv.",
        "th.",
        "gl.",
        "ml.",
        "nov.",
        "dec.",
        "jan.",
        "feb.",
        "aug.",
        "sep.",
        "okt.",
        "bl.-a.",
        "kl.",
        "t.o.m.",
        "f.o.m.",
        "ugl.",
        "ekskl.",
        "oplag.",
        "udg.",
        "red.",
    ]
)

# A candidate boundary: sentence punctuation (optionally closed by quotes/brackets), then space.
_BOUNDARY = re.compile(r"""[.!?…]+["'”’»«)\]]*(?=\s+)""")
_NEXT_START = re.compile(r"""\s+["'“”‘’«»(\[]*([A-ZÆØÅÉ0-9])""")


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int
    end: int


def _word_before(text: str, end: int) -> str:
    start = end
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    return text[start:end].lower().lstrip("(\"'“‘«»")


def _is_abbreviation(token: str) -> bool:
    if token in ABBREVIATIONS:
        return True
    # Single letters ("A.") and dotted initialisms ("A.P.") are not sentence ends.
    return bool(re.fullmatch(r"(?:[a-zæøå]\.)+", token))


def split_sentences(text: str) -> list[Sentence]:
    """Split ``text`` into sentences with character offsets into ``text``.

    A period ends a sentence only when it is followed by whitespace and an upper-case
    letter or digit, and the word it closes is not a known abbreviation. Numbers such
    as "130.000" and "2,4" never contain a boundary because the period is not followed
    by whitespace.
    """
    sentences: list[Sentence] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        nxt = _NEXT_START.match(text, end)
        if not nxt:
            continue
        if match.group().startswith(".") and _is_abbreviation(
            _word_before(text, match.start() + 1)
        ):
            continue
        _append(sentences, text, start, end)
        start = _skip_space(text, end)
    _append(sentences, text, start, len(text))
    return sentences


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index].isspace():
        index += 1
    return index


def _append(sentences: list[Sentence], text: str, start: int, end: int) -> None:
    start = _skip_space(text, start)
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        sentences.append(Sentence(text[start:end], start, end))
