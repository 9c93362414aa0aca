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
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from .analysis import DanishAnalyzer, is_query_stopword, tokenize
from .spelling import danish_dictionary, english_dictionary


@lru_cache(maxsize=100_000)
def in_dictionaries(word: str) -> bool:
    """Whether the Danish or the English hunspell dictionary accepts ``word`` (lowercase)."""
    danish, english = danish_dictionary(), english_dictionary()
    if english is not None and english.accepts(word):
        return True
    return danish is not None and (danish.accepts(word) or danish.accepts_compound(word))


def readable_share(
    query: str,
    analyzer: DanishAnalyzer,
    known_term: Callable[[str], bool],
    in_dictionary: Callable[[str], bool] = in_dictionaries,
) -> float:
    """The share of the query's content words that are words (see the module); 1.0 for a
    query with no content word."""
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
