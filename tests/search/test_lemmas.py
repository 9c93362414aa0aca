"""Dictionary forms (hunspell-da) on the query side: a query word the corpus does not know
by its Snowball stem matches the corpus's form of the same word ("undgår" finds "undgå"),
in the ranking, the coverage, the known share and the marked words alike."""

import pytest

from vidensbank.search.analysis import DanishAnalyzer
from vidensbank.search.dictionaries import HUNSPELL_DIR, danish_dictionary
from vidensbank.search.lexical import LexicalIndex
from vidensbank.search.match import matched_words

pytestmark = pytest.mark.skipif(
    not (HUNSPELL_DIR / "da_DK.dic").is_file(), reason="needs Debian's hunspell-da"
)

PASSAGES = [
    "Målet er at undgå udsættelser gennem tidlig rådgivning.",
    "Beboerne skal selv skrive referatet fra mødet.",
    "Haven er et grøn fristed for børn og voksne.",
    "Udsættelser kan koste boligorganisationen mange penge.",
]


@pytest.fixture(scope="module")
def index() -> LexicalIndex:
    return LexicalIndex.build(PASSAGES)


@pytest.mark.parametrize(
    ("query", "row"),
    [
        ("hvordan undgår vi udsættelser?", 0),
        ("hvem skrev referatet", 1),
        ("et grønt fristed", 2),
    ],
)
def test_another_form_of_a_word_finds_the_passage(
    index: LexicalIndex, query: str, row: int
) -> None:
    plain = DanishAnalyzer(index.analyzer.vocabulary)  # no index: no fallback
    assert index.known_share(query) == 1.0
    assert plain.marked_terms(query).terms < index.analyzer.marked_terms(query).terms
    scores = index.scores(query)
    assert scores is not None
    assert scores.coverage[row] == pytest.approx(1.0)  # the form counts as the word itself
    assert index.search(query)[0].row == row


def test_the_form_the_query_used_is_marked(index: LexicalIndex) -> None:
    text = PASSAGES[0]
    spans = index.matching_spans(text, "hvordan undgår vi udsættelser?")
    assert [text[s:e] for s, e in spans] == ["undgå", "udsættelser"]
    assert matched_words(index.analyzer, "Hvordan undgår vi udsættelser?", text) == [
        "undgår",
        "udsættelser",
    ]


def test_known_words_and_unlisted_words_are_left_alone(index: LexicalIndex) -> None:
    analyzer = index.analyzer
    # "udsættelser" is known by its stem: no dictionary form is looked up
    assert analyzer.dictionary_form_terms("udsættelser") == ()
    # not a Danish word form: nothing to add
    assert analyzer.dictionary_form_terms("qwxzyv") == ()
    # a dictionary form the corpus lacks adds nothing ("gik" -> "gå")
    assert analyzer.dictionary_form_terms("gik") == ()


def test_compound_heads_are_not_lemmas() -> None:
    dictionary = danish_dictionary()
    assert dictionary is not None
    assert dictionary.lemmas("undgår") == ("undgå",)
    # libhunspell's compounding would call "have" the lemma of this compound; it is off
    assert dictionary.lemmas("oplevelseshaven") == ()
