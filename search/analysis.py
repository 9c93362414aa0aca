"""Danish text analysis shared by the lexical index and the query side.

One :class:`DanishAnalyzer` turns text into index terms, the same way for passages and
queries:

* Unicode NFC, lowercase; superscript digits become plain digits (``m²`` -> ``m2``).
* Tokens are runs of letters and digits. Numbers stay whole, with their inner ``.``/``,``
  separators (``130.000``, ``2,4``, ``2013``, ``m2``); other punctuation splits.
  A trailing apostrophe part is dropped (``DAB's`` -> ``dab``).
* Tokens with digits are kept verbatim; Snowball's Danish stopwords are dropped (in both
  spellings: ``på``/``paa``).
* Words are stemmed with Snowball Danish and then folded: ``å``->``aa``, ``æ``->``ae``,
  ``ø``->``oe``. Stemming a folded spelling can diverge (``markoer`` -> ``marko`` while
  ``markør`` -> ``markør``), so each word also gets a *canonical* term computed from its
  folded spelling only (fold, turn ``aa/ae/oe`` back into ``å/æ/ø``, stem, fold). Both
  spellings of a word therefore always share that term, so ``lejemaal`` and ``lejemål``,
  ``hoeslet`` and ``høslet``, ``aarhus`` and ``Århus`` match both ways. A word emits one
  term, or two when the native stem and the canonical term differ.
* Query side only: a query word the corpus knows by none of its own terms also takes the
  terms of its dictionary forms (Debian's Danish hunspell dictionary) that the corpus does
  know. Snowball strips suffixes and cannot reach every form of a word: present tense of
  verbs on a vowel (``undgår``/``undgå``, ``står``/``stå``), strong verbs (``skrev``/
  ``skrive``), participles (``brugt``/``bruge``), neuter adjectives (``grønt``/``grøn``).
  Passages are indexed as before; without ``hunspell-da`` nothing is added.
* Compounds are split against a vocabulary built from the corpus (folded word -> count):
  a word also emits the terms of its parts when it can be cut into at least two known
  pieces of at least ``min_part_length`` letters. Every piece but the last must be a word
  seen on its own in the corpus, optionally followed by a linking ``s`` or ``e``; the last
  piece (the head, which carries the inflection) must share a stem with a corpus word and
  must not be a suffix look-alike (``-ende``, ``-else``, ``-ring``, ``-ling``, ``-lige``
  ...), so ``følgende`` or ``formatering`` are not shredded. The fewest-part split wins
  (ties: the most frequent parts) and each part is split again, so
  ``boligorganisationsbestyrelse`` yields ``boligorganisation``, ``bolig``,
  ``organisation`` and ``bestyrelse`` when those words occur in the corpus, and
  ``biodiversitetsstrategi`` yields ``biodiversitet`` and ``strategi``.
"""

from __future__ import annotations

import bisect
import math
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any, NamedTuple

import Stemmer

from .dictionaries import danish_dictionary

# Snowball's Danish stopword list (snowballstem.org/algorithms/danish/stop.txt), 94 words.
SNOWBALL_DANISH_STOPWORDS: frozenset[str] = frozenset(
    [
        "og",
        "i",
        "jeg",
        "det",
        "at",
        "en",
        "den",
        "til",
        "er",
        "som",
        "på",
        "de",
        "med",
        "han",
        "af",
        "for",
        "ikke",
        "der",
        "var",
        "mig",
        "sig",
        "men",
        "et",
        "har",
        "om",
        "vi",
        "min",
        "havde",
        "ham",
        "hun",
        "nu",
        "over",
        "da",
        "fra",
        "du",
        "ud",
        "sin",
        "dem",
        "os",
        "op",
        "man",
        "hans",
        "hvor",
        "eller",
        "hvad",
        "skal",
        "selv",
        "her",
        "alle",
        "vil",
        "blev",
        "kunne",
        "ind",
        "når",
        "være",
        "dog",
        "noget",
        "ville",
        "jo",
        "deres",
        "efter",
        "ned",
        "skulle",
        "denne",
        "end",
        "dette",
        "mit",
        "også",
        "under",
        "have",
        "dig",
        "anden",
        "hende",
        "mine",
        "alt",
        "meget",
        "sit",
        "sine",
        "vor",
        "mod",
        "disse",
        "hvis",
        "din",
        "nogle",
        "hos",
        "blive",
        "mange",
        "ad",
        "bliver",
        "hendes",
        "været",
        "thi",
        "jer",
        "sådan",
    ]
)

_FOLD = str.maketrans({"å": "aa", "æ": "ae", "ø": "oe"})
_SUPERSCRIPTS = str.maketrans({"¹": "1", "²": "2", "³": "3"})
# Question words carry no topic ("hvordan undgår vi udsættelser?"), and staff sometimes ask in
# English: its function words must not match Danish text by accident ("and" ~ "andet").
QUESTION_WORDS: frozenset[str] = frozenset(
    [
        "hvordan",
        "hvorfor",
        "hvornår",
        "hvorledes",
        "hvilke",
        "hvilken",
        "hvilket",
        "hvem",
        "hvorhen",
        "hvorfra",
    ]
)
ENGLISH_STOPWORDS: frozenset[str] = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "with",
        "by",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "how",
        "what",
        "which",
        "who",
        "why",
        "when",
        "where",
        "do",
        "does",
        "did",
        "can",
        "could",
        "should",
        "would",
        "will",
        "shall",
        "may",
        "might",
        "has",
        "have",
        "had",
        "not",
        "no",
        "into",
        "about",
        "than",
        "then",
        "there",
        "their",
        "they",
        "them",
        "we",
        "our",
        "you",
        "your",
        "he",
        "she",
        "his",
        "her",
        "i",
        "me",
        "my",
    ]
)
STOPWORDS: frozenset[str] = SNOWBALL_DANISH_STOPWORDS | QUESTION_WORDS | ENGLISH_STOPWORDS
# Auxiliary and modal verbs and possessives that Snowball's list lacks. They carry no topic in
# a question ("hvordan kan vi forebygge udsættelser?"), so a query neither searches nor marks
# them; passages still index them, so an older index stays valid.
QUERY_STOPWORDS: frozenset[str] = frozenset(
    [
        "kan",
        "må",
        "måtte",
        "bør",
        "burde",
        "får",
        "fik",
        "få",
        "fået",
        "gør",
        "gøre",
        "gjorde",
        "vores",
        "jeres",
        "nogen",
        "andre",
        "hver",
        "dvs",
    ]
)
# Function words that Snowball's list lacks and that a query still searches (dropping them
# moved single questions both ways), but that are never marked in a snippet nor listed as
# matched words: "ved" in "hvad gør man, når folk er ved at blive sat ud?" says nothing of
# the topic. Words that can carry it stay markable ("kun læsning", "lige og ulige sider").
UNMARKED_WORDS: frozenset[str] = frozenset(
    ["ved", "så", "mens", "fordi", "både", "bare", "samt", "altså", "hvorvidt"]
)
_STOPWORDS_FOLDED: frozenset[str] = frozenset(w.translate(_FOLD) for w in STOPWORDS)

# A token: a number with inner . or , groups ("130.000", "2,4"), or a run of letters and
# digits (combining marks allowed, so decomposed "å" stays in its word), optionally followed
# by an apostrophe part ("DAB's").
_WORD = r"(?:[^\W_]|[\u0300-\u036f])+"
_TOKEN_RE = re.compile(rf"\d+(?:[.,]\d+)+|{_WORD}(?:['’]{_WORD})*")
_APOSTROPHES = ("'", "’")

# Longest suffix the Danish stemmer removes ("erendes"), plus room for undoubling.
_MAX_SUFFIX = 8
_MIN_TERM_LENGTH = 3

# Derivational endings that are also (rare) words; a compound head may not be one of these.
_SUFFIX_LOOKALIKES = [
    "ende",
    "else",
    "ring",
    "ling",
    "lige",
    "rede",
    "inger",
    "heden",
    "tion",
    "ning",
    "esten",
    "ere",
    "erede",
    "ellige",
    "indelse",
    "iske",
]


class Span(NamedTuple):
    """Character span ``[start, end)`` of a word in the analysed text."""

    start: int
    end: int


@dataclass(frozen=True)
class AnalyzedText:
    """A text analysed once (:meth:`DanishAnalyzer.analyze_text`): the spans of its words
    per term, so marking a query's words needs no second analysis of the text.
    ``own_spans`` holds a word's own terms (its stems), ``head_spans`` the terms of its
    compound head (:meth:`DanishAnalyzer.word_head_terms`) and ``part_spans`` those of all
    its compound parts that are not its own."""

    own_spans: Mapping[str, tuple[Span, ...]]
    head_spans: Mapping[str, tuple[Span, ...]]
    part_spans: Mapping[str, tuple[Span, ...]]

    def matching_spans(self, wanted: MarkedTerms) -> list[Span]:
        """Spans of the words that show ``wanted`` (see :class:`MarkedTerms`), in text
        order, each once."""
        found: set[Span] = set()
        for word in wanted.words:
            shown = _spans(self.own_spans, word.own + word.head)
            shown.update(_spans(self.head_spans, word.own))
            if not shown:
                shown = _spans(self.part_spans, word.own)
                shown.update(_spans(self.own_spans, word.parts))
            found.update(shown)
        return sorted(found)


def _spans(spans: Mapping[str, tuple[Span, ...]], terms: Iterable[str]) -> set[Span]:
    return {span for term in terms for span in spans.get(term, ())}


class MarkedWord(NamedTuple):
    """A query word's terms as marking reads them: its own (stems, dictionary forms), its
    compound head's, and its other compound parts'."""

    own: tuple[str, ...]
    head: tuple[str, ...]
    parts: tuple[str, ...]


class MarkedTerms(NamedTuple):
    """What a snippet marks for a query (:meth:`DanishAnalyzer.marked_terms`): per query
    word, the text words that are, or are a kind of, what it names. Danish compounds carry
    their meaning in the last part, the head: a "boligafdeling" is an "afdeling", a
    "sidehoved" is no "side". So a text word shows a query word when they share a stem,
    when the text word's stem is the query word's head ("sociale" for "boligsocial"), or
    when its head is the query word ("boligafdelingen" for "afdeling"). Only where a text
    shows a query word in none of these ways does a looser match stand in: the query word
    in front of a compound's head ("biodiversitetsstrategi" for "biodiversitet"), or a
    text word that is a non-head part of it. Compounds that merely share a part
    ("boligorganisationen" and "boligsocial" share "bolig") are never marked. BM25 still
    counts every part."""

    words: tuple[MarkedWord, ...]

    def __bool__(self) -> bool:
        return bool(self.words)

    @property
    def terms(self) -> frozenset[str]:
        """Every term that can mark a word."""
        return frozenset(t for w in self.words for t in w.own + w.head + w.parts)


class Token(NamedTuple):
    """A surface word: its normalised form (NFC, lowercase) and where it is in the text."""

    text: str
    start: int
    end: int


class QueryWord(NamedTuple):
    """One distinct word of a query: the terms that match the word itself (its stems, or
    the number) and the terms of its compound parts, which match it only in part;
    ``synonyms`` the terms of its thesaurus synonyms (down-weighted, see :mod:`.lexical`)
    and ``surface`` the word as written (normalised)."""

    own: tuple[str, ...]
    parts: tuple[str, ...]
    synonyms: tuple[str, ...] = ()
    surface: str = ""

    @property
    def terms(self) -> tuple[str, ...]:
        return self.own + self.parts


@dataclass(frozen=True)
class AnalyzerSettings:
    """Knobs that change which terms are produced; saved with every index."""

    split_compounds: bool = True
    min_part_length: int = 4
    linking_letters: str = "se"
    min_vocabulary_count: int = 1

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AnalyzerSettings:
        return cls(**data)


def fold(text: str) -> str:
    """Fold Danish letters to their two-letter spellings: å->aa, æ->ae, ø->oe."""
    return text.translate(_FOLD)


def unfold(text: str) -> str:
    """Inverse of :func:`fold` on a folded string (aa->å, ae->æ, oe->ø)."""
    return text.replace("aa", "å").replace("ae", "æ").replace("oe", "ø")


@lru_cache(maxsize=200_000)
def normalise_token(surface: str) -> str:
    """NFC, lowercase, plain digits, apostrophe tail removed."""
    word = unicodedata.normalize("NFC", surface).lower().translate(_SUPERSCRIPTS)
    for mark in _APOSTROPHES:
        if mark in word:
            word = word.split(mark, 1)[0]
    return word


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into normalised tokens with spans into the original string."""
    tokens = []
    for match in _TOKEN_RE.finditer(text):
        word = normalise_token(match.group())
        if word:
            tokens.append(Token(word, match.start(), match.end()))
    return tokens


def is_stopword(word: str) -> bool:
    return word in STOPWORDS or word in _STOPWORDS_FOLDED


def is_query_stopword(word: str) -> bool:
    """A word a query ignores: a stopword, or a function word of :data:`QUERY_STOPWORDS`."""
    return is_stopword(word) or word in QUERY_STOPWORDS or unfold(word) in QUERY_STOPWORDS


def is_unmarked_word(word: str) -> bool:
    """A query word that a snippet never marks: a query stopword, or one of
    :data:`UNMARKED_WORDS`."""
    return is_query_stopword(word) or word in UNMARKED_WORDS or unfold(word) in UNMARKED_WORDS


class _ThreadStemmer(threading.local):
    """PyStemmer objects are not thread-safe; keep one per thread."""

    def __init__(self) -> None:
        self.stemmer = Stemmer.Stemmer("danish")


_STEMMER = _ThreadStemmer()


def stem_terms(word: str) -> tuple[str, ...]:
    """The folded stem terms of one lowercase alphabetic word (one or two terms).

    The first is the native stem, folded; the second, if different, is the canonical
    term computed from the folded spelling alone, which both spellings share.
    """
    stem = _STEMMER.stemmer.stemWord
    native = fold(stem(word))
    canonical = fold(stem(unfold(fold(word))))
    return (native,) if native == canonical else (native, canonical)


def _own_terms(word: str) -> tuple[str, ...]:
    """The terms that match a token itself: a token with digits verbatim, else its stems."""
    return (word,) if any(ch.isdigit() for ch in word) else stem_terms(word)


def build_vocabulary(
    texts: Iterable[str], settings: AnalyzerSettings | None = None
) -> dict[str, int]:
    """Folded corpus words that compounds may be split into, with their counts."""
    return vocabulary_from_tokens((tokenize(text) for text in texts), settings)


def vocabulary_from_tokens(
    token_lists: Iterable[Sequence[Token]], settings: AnalyzerSettings | None = None
) -> dict[str, int]:
    """:func:`build_vocabulary` for texts that are already tokenised."""
    settings = settings or AnalyzerSettings()
    counts: dict[str, int] = {}
    for tokens in token_lists:
        for token in tokens:
            counts[token.text] = counts.get(token.text, 0) + 1
    vocabulary: dict[str, int] = {}
    for word, count in counts.items():
        if not word.isalpha() or is_stopword(word):
            continue
        folded = fold(word)
        if len(folded) >= settings.min_part_length:
            vocabulary[folded] = vocabulary.get(folded, 0) + count
    return {
        word: count
        for word, count in sorted(vocabulary.items())
        if count >= settings.min_vocabulary_count
    }


class DanishAnalyzer:
    """Danish analysis for index and query time; see the module docstring.

    ``vocabulary`` maps folded corpus words to their counts; compounds are split into
    those words only. Build it with :func:`build_vocabulary` (or :meth:`from_corpus`) and
    save it with the index, so queries are split the same way as passages.
    """

    _CACHE_LIMIT = 500_000

    def __init__(
        self, vocabulary: Mapping[str, int] | None = None, settings: AnalyzerSettings | None = None
    ) -> None:
        self.settings = settings or AnalyzerSettings()
        self._words: dict[str, int] = dict(sorted((vocabulary or {}).items()))
        blocked = {t for w in _SUFFIX_LOOKALIKES for t in stem_terms(w)}
        stems: dict[str, int] = {}
        for word, count in self._words.items():
            for term in stem_terms(word):
                if len(term) >= _MIN_TERM_LENGTH and term not in blocked:
                    stems[term] = stems.get(term, 0) + count
        self._stems = stems
        self._sorted_stems = sorted(stems)
        self._word_cache: dict[str, tuple[str, ...]] = {}
        self._head_cache: dict[str, tuple[str, ...]] = {}
        # Whether the index knows a term; the lexical index sets it. Without it a query
        # word has no dictionary-form fallback (see the module docstring).
        self.knows: Callable[[str], bool] | None = None

    @classmethod
    def from_corpus(
        cls, texts: Sequence[str], settings: AnalyzerSettings | None = None
    ) -> DanishAnalyzer:
        settings = settings or AnalyzerSettings()
        return cls(build_vocabulary(texts, settings), settings)

    @property
    def vocabulary(self) -> dict[str, int]:
        return dict(self._words)

    # -- public analysis ------------------------------------------------------------------

    def analyze(self, text: str) -> list[str]:
        """All index terms of ``text`` in order, repeats kept (term frequency matters)."""
        return self.analyze_tokens(tokenize(text))

    def analyze_tokens(self, tokens: Iterable[Token]) -> list[str]:
        """:meth:`analyze` for an already tokenised text."""
        terms: list[str] = []
        for token in tokens:
            terms.extend(self.word_terms(token.text))
        return terms

    def analyze_query(self, query: str) -> list[str]:
        """The distinct terms of a query, in first-seen order."""
        return list(dict.fromkeys(self.analyze(query)))

    def query_words(self, query: str) -> list[QueryWord]:
        """The distinct words of a query that have terms (stopwords dropped), in order."""
        words: dict[str, QueryWord] = {}
        for token in tokenize(query):
            word = token.text
            terms = () if is_query_stopword(word) else self.word_terms(word)
            if terms and word not in words:
                own = _own_terms(word) + self.dictionary_form_terms(word)
                words[word] = QueryWord(own, tuple(t for t in terms if t not in own), (), word)
        return list(words.values())

    def word_terms(self, word: str) -> tuple[str, ...]:
        """Terms of one normalised token: its stems, plus its compound parts' stems."""
        cached = self._word_cache.get(word)
        if cached is not None:
            return cached
        terms = self._compute_word_terms(word)
        if len(self._word_cache) >= self._CACHE_LIMIT:
            self._word_cache.clear()
        self._word_cache[word] = terms
        return terms

    def dictionary_form_terms(self, word: str) -> tuple[str, ...]:
        """For a word the index knows by none of its own terms: the terms of its dictionary
        forms that the index knows ("undgår" -> the term of "undgå"); else none."""
        knows = self.knows
        own = _own_terms(word)
        if knows is None or not word.isalpha() or any(knows(t) for t in own):
            return ()
        dictionary = danish_dictionary()
        if dictionary is None:
            return ()
        found = (t for lemma in dictionary.lemmas(word) for t in stem_terms(lemma))
        return tuple(dict.fromkeys(t for t in found if t not in own and knows(t)))

    def compound_parts(self, word: str) -> list[str]:
        """The folded parts a word is split into, recursively (empty if not split)."""
        folded = fold(normalise_token(word))
        if not self.settings.split_compounds or not folded.isalpha():
            return []
        parts: list[str] = []
        self._collect_parts(folded, parts)
        return parts

    def matching_spans(self, text: str, query: str) -> list[Span]:
        """Spans of the words in ``text`` that show the query's words (for <mark>, see
        :class:`MarkedTerms`); the query's stopwords and function words are never marked."""
        wanted = self.marked_terms(query)
        return self.analyze_text(text).matching_spans(wanted) if wanted else []

    def marked_terms(self, query: str) -> MarkedTerms:
        """The terms a snippet marks (see :class:`MarkedTerms`): those of the query's words
        (:meth:`query_words`) but the :data:`UNMARKED_WORDS`, which the query still
        searches."""
        marked = []
        for word in self.query_words(query):
            if not is_unmarked_word(word.surface):
                head = self.word_head_terms(word.surface)
                parts = tuple(t for t in word.parts if t not in head)
                marked.append(MarkedWord(word.own, head, parts))
        return MarkedTerms(tuple(marked))

    def analyze_text(self, text: str) -> AnalyzedText:
        """Where each term of ``text`` occurs: as a word's own, as its compound head's,
        or as another of its parts' (see :class:`AnalyzedText`)."""
        own: dict[str, list[Span]] = {}
        heads: dict[str, list[Span]] = {}
        parts: dict[str, list[Span]] = {}
        for token in tokenize(text):
            span = Span(token.start, token.end)
            whole = self.word_own_terms(token.text)
            for term in whole:
                own.setdefault(term, []).append(span)
            for term in self.word_head_terms(token.text):
                heads.setdefault(term, []).append(span)
            for term in self.word_terms(token.text):
                if term not in whole:
                    parts.setdefault(term, []).append(span)
        return AnalyzedText(
            {term: tuple(found) for term, found in own.items()},
            {term: tuple(found) for term, found in heads.items()},
            {term: tuple(found) for term, found in parts.items()},
        )

    def split_terms(self, text: str) -> tuple[frozenset[str], frozenset[str]]:
        """The terms of ``text``'s words themselves, and of their compound parts that are
        not some word's own."""
        own: set[str] = set()
        parts: set[str] = set()
        for token in tokenize(text):
            whole = self.word_own_terms(token.text)
            own.update(whole)
            parts.update(t for t in self.word_terms(token.text) if t not in whole)
        return frozenset(own), frozenset(parts - own)

    def word_own_terms(self, word: str) -> tuple[str, ...]:
        """The terms of one normalised token itself, without its compound parts'."""
        return () if is_stopword(word) else _own_terms(word)

    def word_head_terms(self, word: str) -> tuple[str, ...]:
        """The terms of a compound's head, its last part ("afdeling" in
        "boligafdelingen"), that are not its own; none for a word that is not split."""
        cached = self._head_cache.get(word)
        if cached is not None:
            return cached
        heads: tuple[str, ...] = ()
        folded = fold(normalise_token(word))
        if self.settings.split_compounds and folded.isalpha() and not is_stopword(word):
            parts = self._split(folded)
            if parts:
                own = _own_terms(word)
                heads = tuple(t for t in stem_terms(parts[-1]) if t not in own)
        if len(self._head_cache) >= self._CACHE_LIMIT:
            self._head_cache.clear()
        self._head_cache[word] = heads
        return heads

    def describe(self) -> dict[str, Any]:
        return {"name": "danish", **self.settings.to_json()}

    # -- internals ------------------------------------------------------------------------

    def _compute_word_terms(self, word: str) -> tuple[str, ...]:
        if is_stopword(word):
            return ()
        terms = list(_own_terms(word))
        for part in self.compound_parts(word):  # none for tokens with digits
            terms.extend(stem_terms(part))
        return tuple(dict.fromkeys(terms))

    def _collect_parts(self, folded: str, parts: list[str]) -> None:
        for part in self._split(folded):
            if part not in parts:
                parts.append(part)
                self._collect_parts(part, parts)

    def _is_stem_prefix(self, prefix: str) -> bool:
        stems = self._sorted_stems
        index = bisect.bisect_left(stems, prefix)
        return index < len(stems) and stems[index].startswith(prefix)

    def _modifier_count(self, piece: str) -> int:
        """Corpus count of a non-final piece: it must be a word seen on its own."""
        if len(piece) < self.settings.min_part_length:
            return 0
        return self._words.get(piece, 0)

    def _head_count(self, piece: str) -> int:
        """Corpus count of a final piece: any word sharing one of its stems."""
        if len(piece) < self.settings.min_part_length or piece in _STOPWORDS_FOLDED:
            return 0
        return max(self._stems.get(t, 0) for t in stem_terms(piece))

    def _split(self, word: str) -> list[str]:
        """The fewest known parts (at least two) that ``word`` is made of, or []."""
        min_part = self.settings.min_part_length
        n = len(word)
        if not self._stems or n < 2 * min_part:
            return []
        linking = self.settings.linking_letters
        # Stems are prefixes of their words, so a piece starting at i can only be known
        # if word[i:] runs along some stem for at least _MIN_TERM_LENGTH letters.
        reach = []
        for i in range(n):
            length = 0
            while i + length < n and self._is_stem_prefix(word[i : i + length + 1]):
                length += 1
            reach.append(length)

        best: dict[int, _Segmentation | None] = {n: _Segmentation((), ())}

        def segment(i: int) -> _Segmentation | None:
            """The best split of word[i:] into known pieces, or None."""
            if i in best:
                return best[i]
            choice: _Segmentation | None = None
            if reach[i] >= _MIN_TERM_LENGTH:
                last = min(n, i + reach[i] + _MAX_SUFFIX)
                for j in range(i + min_part, last + 1):
                    if j == n:
                        count = 0 if i == 0 else self._head_count(word[i:j])
                        if count:
                            candidate = _Segmentation((word[i:j],), (count,))
                            choice = _best_of(choice, candidate)
                        continue
                    count = self._modifier_count(word[i:j])
                    if not count:
                        continue
                    starts = [j]
                    if j < n - min_part and word[j] in linking:
                        starts.append(j + 1)
                    for start in starts:
                        rest = segment(start)
                        if rest is not None:
                            candidate = _Segmentation(
                                (word[i:j], *rest.parts), (count, *rest.counts)
                            )
                            choice = _best_of(choice, candidate)
            best[i] = choice
            return choice

        result = segment(0)
        return list(result.parts) if result is not None and len(result.parts) >= 2 else []


@dataclass(frozen=True)
class _Segmentation:
    parts: tuple[str, ...]
    counts: tuple[int, ...]

    def rank(self) -> tuple[int, float]:
        """Fewer parts first; then the higher geometric mean of the part counts."""
        log_mean = sum(math.log(c) for c in self.counts) / len(self.counts)
        return (len(self.parts), -log_mean)


def _best_of(current: _Segmentation | None, candidate: _Segmentation) -> _Segmentation:
    if current is None or candidate.rank() < current.rank():
        return candidate
    return current
