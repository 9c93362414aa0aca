"""How much of a query is words at all: the answerability gate for gibberish.

A query's *readable share* is the share of its content words (stopwords and function words
aside) that are words: the corpus has them (one of their index terms), or Debian's Danish
hunspell dictionary accepts them (a listed form or a compound of such), or the English one
does; a number counts as readable. A question in Danish or English scores 1.0 whether the
corpus answers it or not; a typo lowers it by that word's share; a string of letters that
is no word in any of them ("qwxzyvbnmqwxz", "asdf jkl") scores 0.

The relevance model multiplies P(the corpus answers the query) by it (see
:mod:`.relevance`): whatever the dense model finds near a string that is no word, nothing
in the corpus can be said to answer it. Without the dictionaries only the corpus decides.

A query's *English share* (:func:`english_share`) tells the answerability model which
language it is in: of its words that only one of the two dictionaries accepts, the share
only the English one does (1.0 for "how do I make a table of contents", 0 for a Danish
question, 0.2 for a Danish one naming "Power Query" and "Excel"; 0.5 when no word decides,
or without the dictionaries). A Danish corpus knows few words of an English question
whether it answers it or not, so words the corpus does not know are evidence of no answer
only in a question that is not in English.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from .analysis import DanishAnalyzer, is_query_stopword, tokenize
from .dictionaries import danish_dictionary, english_dictionary


@lru_cache(maxsize=100_000)
def _accepted(word: str) -> tuple[bool | None, bool | None]:
    """Whether the Danish (a listed form or a compound of such) and the English hunspell
    dictionary accept ``word`` (lowercase); None for a dictionary that is not installed."""
    danish, english = danish_dictionary(), english_dictionary()
    in_danish = None if danish is None else danish.accepts(word) or danish.accepts_compound(word)
    return in_danish, None if english is None else english.accepts(word)


def in_dictionaries(word: str) -> bool:
    """Whether the Danish or the English hunspell dictionary accepts ``word`` (lowercase)."""
    return any(_accepted(word))


def word_language(word: str) -> str:
    """``"en"`` or ``"da"`` when only that dictionary accepts ``word`` (lowercase), else ``""``
    (also when either dictionary is missing)."""
    in_danish, in_english = _accepted(word)
    if in_danish is None or in_english is None or in_danish == in_english:
        return ""
    return "en" if in_english else "da"


def english_share(query: str, language: Callable[[str], str] = word_language) -> float:
    """Of the query's words that only one dictionary accepts, the share that are English
    (function words count: they tell the language best); 0.5 when none does."""
    found = [language(t.text) for t in tokenize(query) if t.text.isalpha()]
    english, danish = found.count("en"), found.count("da")
    return english / (english + danish) if english + danish else 0.5


def readable_share(
    query: str,
    analyzer: DanishAnalyzer,
    known_term: Callable[[str], bool],
    in_dictionary: Callable[[str], bool] = in_dictionaries,
) -> float:
    """The share of the query's content words that are words (see the module); 1.0 for a
    query of function words only ("hvad er det"), 0.0 for one with no letter or digit at all
    ("...", "???"): there is nothing in it to search for."""
    if not any(ch.isalnum() for ch in query):
        return 0.0
    words = list(dict.fromkeys(t.text for t in tokenize(query) if not is_query_stopword(t.text)))
    if not words:
        return 1.0
    readable = sum(
        not word.isalpha()
        or any(known_term(t) for t in analyzer.word_terms(word))
        or in_dictionary(word)
        for word in words
    )
    return readable / len(words)
