"""Why a hit matched: by the query's words, by meaning, or both.

The rule reads evidence the searcher already holds for every candidate:

* **Words** are the query's words (stop words and function words left out, each once, as
  the user typed them) that the passage's indexed text (section path and body) shows in
  one of the ways a snippet marks (:class:`~.analysis.MarkedTerms`): a text word shares a
  stem with the query's word or with one of its compound parts, or has the query's word
  as a part. Compounds that merely share a part ("boligorganisation" and "boligsocial")
  are scored by BM25 but not named: nobody would see the word they typed in it.
* **Meaning**: the passage is among the closest to the query by the dense side, i.e. its
  ``cos_best`` (the best cosine of the passage, its closest sentence and its heading; see
  :mod:`.features`) lies within :data:`MEANING_GAP` of the best candidate's. e5 cosines are
  compressed (most fall in 0.75–0.9), so an absolute threshold would mean different things
  for different queries; the gap to the query's own best does not. On the seed dev
  questions the passages the question was written for lie within 0.03 of the best (the
  paraphrases within 0.01), while chance neighbours sit 0.04–0.10 below it.
* A hit that shares no word with the query was found by meaning, whatever its gap. A query
  without a vector (lexical mode) never matches by meaning.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from .analysis import AnalyzedText, DanishAnalyzer, is_unmarked_word, tokenize
from .types import Match, MatchBy

if TYPE_CHECKING:
    from .catalog import Catalog

MEANING_GAP = 0.03  # cos_best below the query's best candidate that still counts as "close"


class TypedWord(NamedTuple):
    """A query word as the user typed it, with its own terms (its stems and dictionary
    forms) and its compound parts'."""

    typed: str
    own: tuple[str, ...]
    parts: tuple[str, ...]


def typed_words(analyzer: DanishAnalyzer, query: str) -> list[TypedWord]:
    """The query's words, as typed and each once, stop words and function words left out."""
    seen: set[str] = set()
    words: list[TypedWord] = []
    for token in tokenize(query):
        if token.text in seen or is_unmarked_word(token.text):
            continue
        seen.add(token.text)
        own = analyzer.word_own_terms(token.text) + analyzer.dictionary_form_terms(token.text)
        parts = tuple(t for t in analyzer.word_terms(token.text) if t not in own)
        words.append(TypedWord(query[token.start : token.end], own, parts))
    return words


class TextTerms(NamedTuple):
    """A text's terms: its words' own terms, and their compound parts' other terms."""

    own: frozenset[str]
    parts: frozenset[str]


def words_in(words: Sequence[TypedWord], text: TextTerms) -> list[str]:
    """The ``words`` (see :func:`typed_words`) that ``text`` shows (see module docstring)."""
    return [
        word.typed
        for word in words
        if not text.own.isdisjoint(word.own + word.parts) or not text.parts.isdisjoint(word.own)
    ]


def matched_words(analyzer: DanishAnalyzer, query: str, text: str) -> list[str]:
    """The query's words, as typed and each once, that ``text`` shows."""
    return words_in(typed_words(analyzer, query), TextTerms(*analyzer.split_terms(text)))


@dataclass(frozen=True)
class AnalyzedPassage:
    """One passage analysed as the lexical index saw it: ``body`` marks the snippet,
    ``indexed`` (the terms of the section path and text, see ``embed_text``) decides the
    words."""

    body: AnalyzedText
    indexed: TextTerms


class PassageAnalyses:
    """Each passage's analysis, computed the first time the passage is a hit and kept for
    the snapshot's life: re-analysing every hit on every request was most of a search's
    time (about 60 % of a hybrid request on the seed corpus)."""

    def __init__(self, catalog: Catalog, analyzer: DanishAnalyzer) -> None:
        self.catalog = catalog
        self.analyzer = analyzer
        self._by_row: dict[int, AnalyzedPassage] = {}

    def __getitem__(self, row: int) -> AnalyzedPassage:
        found = self._by_row.get(row)
        if found is None:
            # Two threads may both compute a row; they store equal values.
            found = self._analyze(row)
            self._by_row[row] = found
        return found

    def _analyze(self, row: int) -> AnalyzedPassage:
        p = self.catalog.passages[row]
        indexed = TextTerms(*self.analyzer.split_terms(f"{p.section_path}\n{p.text}"))
        return AnalyzedPassage(self.analyzer.analyze_text(p.text), indexed)


def close_in_meaning(cos_gap: float | None) -> bool:
    """Whether a candidate's ``cos_gap`` (None: no dense evidence) counts as "by meaning"."""
    return cos_gap is not None and cos_gap >= -MEANING_GAP


def decide(words: list[str], cos_gap: float | None, sentence: str | None) -> Match:
    """The match of one hit from its matched ``words``, its ``cos_gap`` and closest sentence."""
    if words and close_in_meaning(cos_gap):
        return Match(by=MatchBy.BOTH, words=words, sentence=sentence)
    if words:
        return Match(by=MatchBy.WORDS, words=words, sentence=None)
    return Match(by=MatchBy.MEANING, sentence=sentence)


WEB_ADDRESS = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


def is_link_line(sentence: str) -> bool:
    """Mostly a web address ("Læs mere her: https://…"): it may be near a question in
    meaning (the address spells out a title), but it shows nobody why a passage matched."""
    linked = sum(len(m.group()) for m in WEB_ADDRESS.finditer(sentence))
    return linked * 2 >= len(sentence.strip())
