"""Danish synonyms from Debian's ``mythes-da`` thesaurus (LibreOffice's Danish thesaurus,
MPL/LGPL), for expanding query words on the lexical side.

The thesaurus is read from ``/usr/share/mythes/th_da_DK.dat`` (``apt-get install
mythes-da``). Its format (MyThes): a first line naming the encoding, then per entry a line
``word|N`` followed by N meaning lines ``pos|synonym|synonym…``. A synonym marked
``(underbegreb)`` is a narrower term and is left out; other marks (``(daglig tale)``,
``(fagudtryk)``) are dropped from the word. Only single-word entries and synonyms are kept,
and a meaning whose synonyms all recur in another meaning of the word is not counted.

A word is expanded only when it has few meanings (:data:`MAX_SENSES`), since the synonyms of
an ambiguous word mostly belong to the meanings the query does not have. Without the
package nothing is expanded and one line is logged.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from .analysis import stem_terms

MYTHES_FILE = Path("/usr/share/mythes/th_da_DK.dat")
MAX_SENSES = 1  # meanings (with plain synonyms) a word may have to be expanded
MAX_SYNONYMS = 8  # per word, in the thesaurus's order
NARROWER = "(underbegreb)"
_MARK = re.compile(r"\s*\([^)]*\)\s*")

log = logging.getLogger(__name__)


def _synonym(item: str) -> str | None:
    """One thesaurus item as a single lowercase word, or None (narrower term, phrase)."""
    if NARROWER in item:
        return None
    word = _MARK.sub(" ", item).strip().lower()
    return word if word and word.isalpha() else None


def _sense(line: str) -> tuple[str, ...]:
    """The single-word synonyms of one meaning line (its part-of-speech field dropped)."""
    words = (_synonym(item) for item in line.rstrip("\n").split("|")[1:])
    return tuple(dict.fromkeys(w for w in words if w))


def _distinct_senses(senses: list[tuple[str, ...]]) -> tuple[tuple[str, ...], ...]:
    """The meanings, less those whose synonyms all recur in another (the thesaurus often
    repeats a meaning with fewer words)."""
    sets = [set(s) for s in senses]
    return tuple(
        sense
        for i, sense in enumerate(senses)
        if not any(
            j != i and sets[i] <= sets[j] and (sets[i] != sets[j] or j < i)
            for j in range(len(senses))
        )
    )


@dataclass(frozen=True)
class Thesaurus:
    """Per lowercase word: its meanings, each the tuple of its single-word synonyms."""

    senses: dict[str, tuple[tuple[str, ...], ...]]

    def synonyms(self, word: str, max_senses: int = MAX_SENSES) -> tuple[str, ...]:
        """Synonyms of ``word`` when it has at most ``max_senses`` meanings, else ()."""
        senses = self.senses.get(word.lower(), ())
        if not senses or len(senses) > max_senses:
            return ()
        found = dict.fromkeys(s for sense in senses for s in sense if s != word.lower())
        return tuple(found)[:MAX_SYNONYMS]

    def synonyms_of(self, word: str, max_senses: int = MAX_SENSES) -> tuple[str, ...]:
        """:meth:`synonyms` of ``word``, or of the one entry that shares its stem when the
        word itself is not an entry (inflected forms: ``udskriver`` -> ``udskrive``)."""
        word = word.lower()
        if word in self.senses:
            return self.synonyms(word, max_senses)
        entries = self._by_stem.get(stem_terms(word)[0], ())
        return self.synonyms(entries[0], max_senses) if len(entries) == 1 else ()

    @cached_property
    def _by_stem(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {}
        for word in self.senses:
            out.setdefault(stem_terms(word)[0], []).append(word)
        return {stem: tuple(words) for stem, words in out.items()}

    @classmethod
    def read(cls, path: Path) -> Thesaurus:
        """Parse a MyThes ``.dat`` file; ValueError when it is not one."""
        with path.open(encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
        if not lines or "|" in lines[0]:
            raise ValueError(f"{path} is not a MyThes thesaurus (no encoding line)")
        senses: dict[str, tuple[tuple[str, ...], ...]] = {}
        i = 1
        while i < len(lines):
            head, _, count = lines[i].rpartition("|")
            n = int(count) if count.isdigit() else 0
            meanings = [_sense(line) for line in lines[i + 1 : i + 1 + n]]
            word = head.strip().lower()
            plain = _distinct_senses([m for m in meanings if m])
            if word.isalpha() and plain:
                senses[word] = plain
            i += 1 + n
        return cls(senses)


@lru_cache(maxsize=1)
def load_thesaurus(path: Path = MYTHES_FILE) -> Thesaurus | None:
    """The installed thesaurus (read once), or None with one log line when it is missing."""
    try:
        return Thesaurus.read(path)
    except (OSError, ValueError) as err:
        log.info(
            "No Danish thesaurus (%s): queries are not expanded with synonyms."
            " Install it with: apt-get install mythes-da",
            type(err).__name__,
        )
        return None
