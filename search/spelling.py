"""“Mente du …?”: spelling suggestions from the corpus vocabulary, checked against Danish.

:meth:`Speller.suggest` returns the whole query with its misspelt words replaced and every
other character kept verbatim ("hvordan undgår vi udsætelser?" -> "hvordan undgår vi
udsættelser?"), or None when no word needs it. A word is corrected only when all hold:

* it is letters only, at least ``MIN_WORD_LENGTH`` long, and not a stopword (numbers, short
  words and function words are kept);
* it is not a name or code: a word with a capital letter anywhere but at the start of the
  query ("fra Aarhus", "DAB", "CurDir") or with an apostrophe ("DAB's") is kept; the
  query's first word is read as sentence case and corrected like any other (capital kept);
* the corpus does not have the form, compared after å/æ/ø <-> aa/ae/oe folding (the search
  already treats "lejemaal" as "lejemål"), and the analyzer cannot split it into corpus words
  (a compound the corpus understands is not a typo);
* some corpus word is near: restricted-Damerau (OSA) distance at most 1 for words of up to
  ``SHORT_WORD_LENGTH`` letters, at most 2 above. Nothing near (gibberish, a new compound)
  means no suggestion;
* it is neither English (staff ask in English too; chunspell bundles an English dictionary)
  nor valid Danish. With Debian's ``hunspell-da`` installed, its dictionary decides: a word
  form it lists, inflected by its affix rules ("udsættelserne" yes, "udsætelser" no), or a
  compound of such words (parts of at least ``MIN_PART_LENGTH`` letters, the first ones
  optionally followed by a linking s). libhunspell's own compound search is not used:
  on Danish it takes up to 0.7 s for one word, holding the GIL.

  Without the dictionary nothing tells a typo from a valid word the corpus lacks, so only
  the safest kind is suggested: one edit, in a word of at least ``CORPUS_ONLY_MIN_LENGTH``
  letters that the search cannot match by stem, not within its last two letters (that is
  more often an inflection the corpus lacks: "gammelt" is not "gammel" misspelt).

The correction is always a corpus word, since a suggestion should lead to results; a
dictionary word the corpus lacks only serves to recognise a valid word. Among the nearest
corpus words, one the Danish dictionary accepts comes before corpus-only forms (typos in
the corpus), then the most frequent. It is written in the å/æ/ø spelling the dictionary
accepts; without one, with å/æ/ø when the user typed any of those letters, else as folded.

Costs: the checks run cheapest first, so a query of known words costs microseconds; the
dictionaries are asked only about words that have a near corpus word, and their answers
are cached. A :class:`Speller` belongs to one lexical index (``LexicalIndex.speller`` builds
it on first use), so it dies with its snapshot; the dictionaries do not depend on the
snapshot and load once per process (~1.5 s, ~20 MB for Danish).
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from symspellpy import SymSpell, Verbosity

from vidensbank.search.analysis import Token, fold, is_query_stopword, tokenize
from vidensbank.search.dictionaries import (
    Dictionary,
    danish_dictionary,
    english_dictionary,
)

if TYPE_CHECKING:
    from vidensbank.search.lexical import LexicalIndex

logger = logging.getLogger(__name__)

MIN_WORD_LENGTH = 4  # shorter words have too many neighbours to guess from
SHORT_WORD_LENGTH = 7  # words up to this long may differ by one edit, longer ones by two
MAX_DISTANCE = 2
CORPUS_ONLY_MIN_LENGTH = 7  # without a dictionary, shorter words are too often valid words
_PREFIX_LENGTH = 5  # deletes of the first 5 letters: a third of the build time and memory of 7
_FOLDED_PAIRS = re.compile(r"(aa|ae|oe)")
_UNFOLD = {"aa": "å", "ae": "æ", "oe": "ø"}
_DANISH_LETTERS = frozenset("åæø")
_APOSTROPHE = re.compile("['’]")


@dataclass(frozen=True)
class Dictionaries:
    """Where a speller's dictionaries come from; each is loaded on first need, may be None."""

    danish: Callable[[], Dictionary | None] = danish_dictionary
    english: Callable[[], Dictionary | None] = english_dictionary


def spellings(folded: str, limit: int = 16) -> list[str]:
    """The ways to write a folded word with å/æ/ø: every aa/ae/oe written as the letter
    first, the folded word itself last ("koefficient" -> ["køfficient", "koefficient"])."""
    pieces = _FOLDED_PAIRS.split(folded)
    choices = [(_UNFOLD[p], p) if i % 2 else (p,) for i, p in enumerate(pieces)]
    return ["".join(combo) for combo in itertools.islice(itertools.product(*choices), limit)]


def _differ_in_ending(a: str, b: str) -> bool:
    """Whether two words differ only within their last two letters ("gammelt"/"gammel")."""
    common = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), None)
    return (common if common is not None else min(len(a), len(b))) >= max(len(a), len(b)) - 2


@dataclass(frozen=True)
class Correction:
    """One misspelt query word and what replaces it, as character offsets in the query."""

    start: int
    end: int
    replacement: str


class Speller:
    """Suggests corrections for one corpus; see the module docstring for the rules.

    ``vocabulary`` maps folded corpus words to their counts (the lexical analyzer's
    compound vocabulary); ``matches`` says whether the search matches a word at all (a stem
    or compound part the corpus knows); ``split`` gives the corpus words a compound is made
    of (empty if none)."""

    def __init__(
        self,
        vocabulary: Mapping[str, int],
        matches: Callable[[str], bool],
        split: Callable[[str], list[str]],
        dictionaries: Dictionaries | None = None,
    ) -> None:
        self._words = frozenset(vocabulary)
        self._matches = matches
        self._split = split
        self._dictionaries = dictionaries or Dictionaries()
        self._symspell = SymSpell(MAX_DISTANCE, _PREFIX_LENGTH)
        for word, count in vocabulary.items():
            if not is_query_stopword(word):
                self._symspell.create_dictionary_entry(word, max(count, 1))

    @classmethod
    def for_index(cls, index: LexicalIndex, dictionaries: Dictionaries | None = None) -> Speller:
        """A speller over ``index``'s corpus (by default with the installed dictionaries)."""
        return cls(
            index.analyzer.vocabulary,
            lambda word: index.known_share(word) > 0,
            index.analyzer.compound_parts,
            dictionaries,
        )

    @property
    def danish(self) -> Dictionary | None:
        return self._dictionaries.danish()

    def suggest(self, query: str) -> str | None:
        """The query with its misspelt words corrected, the rest verbatim; None if none is."""
        out, last = [], 0
        for c in self.corrections(query):
            out += [query[last : c.start], c.replacement]
            last = c.end
        return "".join([*out, query[last:]]) if out else None

    def corrections(self, query: str) -> list[Correction]:
        """The corrected words of ``query``, in order."""
        found = []
        for n, token in enumerate(tokenize(query)):
            surface = query[token.start : token.end]
            if not self._may_be_misspelt(token, surface, first=n == 0):
                continue
            nearest = self._nearest(token.text)
            if not nearest or self._is_valid(token.text):
                continue
            word = self._written(nearest, token.text)
            if surface[0].isupper():
                word = word[0].upper() + word[1:]
            found.append(Correction(token.start, token.end, word))
        return found

    # -- internals ------------------------------------------------------------------------

    def _may_be_misspelt(self, token: Token, surface: str, first: bool) -> bool:
        """The cheap checks: a word the speller may correct at all, unknown to the corpus."""
        word = token.text
        if len(word) < MIN_WORD_LENGTH or not word.isalpha() or is_query_stopword(word):
            return False
        capitals = sum(ch.isupper() for ch in surface)
        if capitals > 1 or (capitals and not first) or _APOSTROPHE.search(surface):
            return False  # a name, an abbreviation, code ("CurDir") or a genitive
        return fold(word) not in self._words and not self._split(word)

    def _nearest(self, word: str) -> list[str]:
        """The nearest corpus words (folded), most frequent first; empty if none is near
        enough (without a dictionary: see the module docstring)."""
        corpus_only = self.danish is None
        if corpus_only and len(word) < CORPUS_ONLY_MIN_LENGTH:
            return []
        limit = 1 if corpus_only or len(word) <= SHORT_WORD_LENGTH else MAX_DISTANCE
        folded = fold(word)
        found = self._symspell.lookup(folded, Verbosity.CLOSEST, max_edit_distance=limit)
        terms = [s.term for s in sorted(found, key=lambda s: -s.count) if s.distance > 0]
        return [t for t in terms if not _differ_in_ending(folded, t)] if corpus_only else terms

    def _is_valid(self, word: str) -> bool:
        """English, or valid Danish: per the dictionary, else (without one) when the search
        matches the word by stem or compound parts."""
        english = self._dictionaries.english()
        if english is not None and english.accepts(word):
            return True
        danish = self.danish
        if danish is None:
            return self._matches(word)
        forms = dict.fromkeys([word, spellings(fold(word))[0]])  # as typed, with å/æ/ø
        return any(danish.accepts(f) or danish.accepts_compound(f) for f in forms)

    def _written(self, nearest: list[str], typed: str) -> str:
        """The candidate to show, in its Danish spelling (see the module docstring)."""
        danish = self.danish
        if danish is not None:
            for term in nearest:
                accepted = danish.written(spellings(term))
                if accepted is not None:
                    return accepted
        best = nearest[0]
        return spellings(best)[0] if _DANISH_LETTERS.intersection(typed) else best
