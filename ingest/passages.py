"""Passages: the retrieval units. 40–180 words, split at sentence boundaries, never
crossing a section boundary; each knows its section path, theme, case and offsets."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..text import passage_id, split_sentences
from .structure import StructuredDocument

MIN_WORDS = 40
MAX_WORDS = 180
TARGET_WORDS = 90
BLOCK_SEPARATOR = "\n\n"


@dataclass
class Passage:
    id: str
    document_id: str
    ordinal: int
    section_index: int
    section_path: str
    theme: str | None
    case_id: str | None
    page_start: int | None
    page_end: int | None
    char_start: int
    char_end: int
    text: str
    embed_text: str
    organisations: list[str] | None = None


@dataclass
class _Unit:
    start: int  # offsets into the cleaned document text
    end: int
    words: int
    page: int | None


def _count(text: str) -> int:
    return len(re.findall(r"\S+", text))


def cleaned_text(structure: StructuredDocument) -> tuple[str, list[int]]:
    """The cleaned document as one string, and each content block's start offset."""
    starts, position = [], 0
    for block in structure.blocks:
        starts.append(position)
        position += len(block.text) + len(BLOCK_SEPARATOR)
    return BLOCK_SEPARATOR.join(b.text for b in structure.blocks), starts


def _units(structure: StructuredDocument, block_ids: list[int], starts: list[int]) -> list[_Unit]:
    units: list[_Unit] = []
    for b in block_ids:
        block = structure.blocks[b]
        for sentence in split_sentences(block.text):
            base = starts[b] + sentence.start
            n = _count(sentence.text)
            if n <= MAX_WORDS:
                units.append(_Unit(base, base + len(sentence.text), n, block.page))
                continue
            # A run-on "sentence" (a table or list flattened by PDF extraction): cut by words.
            spans = [m.span() for m in re.finditer(r"\S+", sentence.text)]
            for i in range(0, len(spans), TARGET_WORDS):
                chunk = spans[i : i + TARGET_WORDS]
                units.append(_Unit(base + chunk[0][0], base + chunk[-1][1], len(chunk), block.page))
    return units


def _pack(units: list[_Unit]) -> list[list[_Unit]]:
    """Group consecutive sentences into chunks of balanced size within the word limits."""
    total = sum(u.words for u in units)
    if total <= MAX_WORDS:
        return [units]
    target = total / math.ceil(total / TARGET_WORDS)
    groups: list[list[_Unit]] = [[]]
    size = 0
    for unit in units:
        if groups[-1] and (size + unit.words > MAX_WORDS or size >= target):
            groups.append([])
            size = 0
        groups[-1].append(unit)
        size += unit.words
    last = sum(u.words for u in groups[-1])
    if (
        len(groups) > 1
        and last < MIN_WORDS
        and last + sum(u.words for u in groups[-2]) <= MAX_WORDS
    ):
        groups[-2].extend(groups.pop())
    return groups


def _runs(block_ids: list[int]) -> list[list[int]]:
    """Split a section's blocks into runs that are contiguous in the document (a title page
    and a back cover both belong to the document root but must not become one passage)."""
    runs: list[list[int]] = []
    for b in block_ids:
        if runs and runs[-1][-1] == b - 1:
            runs[-1].append(b)
        else:
            runs.append([b])
    return runs


def make_passages(
    structure: StructuredDocument, document_id: str, section_case: dict[int, str]
) -> tuple[str, list[Passage]]:
    text, starts = cleaned_text(structure)
    passages: list[Passage] = []
    seen: dict[tuple[str, str], int] = {}
    for section in structure.sections:
        for group in (
            g for run in _runs(section.blocks) for g in _pack(_units(structure, run, starts)) if g
        ):
            start, end = group[0].start, group[-1].end
            body = text[start:end]
            words = sum(u.words for u in group)
            short = words < MIN_WORDS and section.title
            # A very short passage carries its heading, unless it already opens with it (a
            # plain-text file's first line is both its title and its first paragraph).
            display = (
                f"{section.title}\n\n{body}"
                if short and not body.startswith(section.title)
                else body
            )
            path = section.path_text
            key = (path, display)
            seen[key] = seen.get(key, 0) + 1
            pages = [u.page for u in group if u.page is not None]
            passages.append(
                Passage(
                    id=passage_id(document_id, path, display, seen[key]),
                    document_id=document_id,
                    ordinal=len(passages),
                    section_index=section.index,
                    section_path=path or structure.title,
                    theme=section.theme,
                    case_id=section_case.get(section.index),
                    page_start=min(pages) if pages else None,
                    page_end=max(pages) if pages else None,
                    char_start=start,
                    char_end=end,
                    text=display,
                    embed_text=f"{path or structure.title}\n{display}",
                )
            )
    return text, passages
