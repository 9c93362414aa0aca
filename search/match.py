"""Why a hit matched: by the query's words, by meaning, or both.

The rule reads evidence the searcher already holds for every candidate:

* **Words** are the query's words (stop words and function words left out, each once, as
  the user typed them) that the lexical side matched: a word counts when one of its terms
  (its stems, or the stems of its compound parts) is among the index terms of the
  passage's indexed text (section path and body), which is exactly what BM25 scored and
  what the snippet marks.
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

from collections.abc import Iterable

from .analysis import DanishAnalyzer, is_query_stopword, tokenize
from .types import Match, MatchBy

MEANING_GAP = 0.03  # cos_best below the query's best candidate that still counts as "close"


def matched_words(analyzer: DanishAnalyzer, query: str, text_terms: Iterable[str]) -> list[str]:
    """The query's words, as typed and each once, that have a term in ``text_terms``."""
    present = set(text_terms)
    seen: set[str] = set()
    words: list[str] = []
    for token in tokenize(query):
        if token.text in seen or is_query_stopword(token.text):
            continue
        seen.add(token.text)
        if present.intersection(analyzer.word_terms(token.text)):
            words.append(query[token.start : token.end])
    return words


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
