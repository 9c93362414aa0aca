"""“Mente du …?”: suggestions over a real lexical index of a tiny corpus, with the real
Danish dictionary (Debian's hunspell-da) where a case needs it, and through GET /api/search."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from vidensbank.search.dictionaries import danish_dictionary, english_dictionary
from vidensbank.search.lexical import LexicalIndex
from vidensbank.search.spelling import Dictionaries, Speller, spellings

TEXTS = [
    "Hvordan undgår vi udsættelser af lejere? Udsættelser koster boligorganisationen penge.",
    "Lejemålet i Århus koster 130.000 kr. om året.",
    "Beboerdemokratiet i afdelingen holder møde om vedligeholdelse af bygningerne.",
    "En helhedsplan for afdelingen med en boligsocial indsats og et nyt dokument.",
    "Økonomisk rådgivning forebygger udsættelse, siger DAB.",
]

needs_danish = pytest.mark.skipif(
    danish_dictionary() is None,
    reason="Debian's Danish dictionary is not installed: apt-get install hunspell-da",
)
CORPUS_ONLY = Dictionaries(danish=lambda: None)


@pytest.fixture(scope="module")
def index() -> LexicalIndex:
    return LexicalIndex.build(TEXTS)


@pytest.fixture(scope="module")
def speller(index: LexicalIndex) -> Speller:
    """The speller the searcher uses: over the index, with the installed dictionaries."""
    return index.speller


@pytest.fixture(scope="module")
def corpus_only(index: LexicalIndex) -> Speller:
    """As without hunspell-da installed."""
    return Speller.for_index(index, CORPUS_ONLY)


with_and_without_dictionary = pytest.mark.parametrize(
    "any_speller", ["speller", "corpus_only"], indirect=True
)


@pytest.fixture
def any_speller(request: pytest.FixtureRequest) -> Speller:
    return request.getfixturevalue(request.param)


@needs_danish
def test_misspelt_word_is_corrected_and_the_rest_of_the_query_kept(speller: Speller) -> None:
    assert speller.suggest("hvordan undgår vi udsætelser?") == "hvordan undgår vi udsættelser?"
    assert speller.suggest("Udsætelser i Århus") == "Udsættelser i Århus"  # sentence case
    assert speller.suggest("130.000 kr.  udsætelser, DAB") == "130.000 kr.  udsættelser, DAB"


@needs_danish
def test_typed_without_danish_letters_the_correction_is_written_with_them(
    speller: Speller,
) -> None:
    assert speller.suggest("hvordan undgaar vi udsaetelser") == "hvordan undgaar vi udsættelser"


@with_and_without_dictionary
@pytest.mark.parametrize(
    "query",
    [
        "hvordan undgår vi udsættelser?",
        "Hvordan undgår vi udsættelser af lejere",
        "lejemaal",  # the corpus has "lejemål": folding already matches it
        "hvordan undgaar vi udsaettelser",
        "boligsociale helhedsplaner",  # inflections of corpus words
        "boligorganisationsbestyrelsen",  # a compound of corpus words
    ],
)
def test_a_query_the_corpus_understands_gets_no_suggestion(
    any_speller: Speller, query: str
) -> None:
    assert any_speller.suggest(query) is None


@with_and_without_dictionary
@pytest.mark.parametrize("query", ["qwxzyvbnmqwxz", "xkcdqwerty zzzvbn", "hvem betaler?", "2,4 %"])
def test_gibberish_and_words_with_nothing_near_get_no_suggestion(
    any_speller: Speller, query: str
) -> None:
    assert any_speller.suggest(query) is None


@with_and_without_dictionary
def test_names_abbreviations_and_code_are_kept(any_speller: Speller) -> None:
    assert any_speller.suggest("udsættelser hos Vedligholdelse") is None  # a name mid-query
    assert any_speller.suggest("VEDLIGHOLDELSE") is None
    assert any_speller.suggest("VedligHoldelse") is None
    assert any_speller.suggest("Vedligholdelse's plan") is None


@with_and_without_dictionary
def test_a_typo_the_search_cannot_match_is_corrected_with_or_without_dictionary(
    any_speller: Speller,
) -> None:
    assert any_speller.suggest("plan for vedligholdelse") == "plan for vedligeholdelse"


@needs_danish
def test_valid_danish_words_the_corpus_lacks_are_not_corrected(speller: Speller) -> None:
    assert speller.suggest("udsættelserne") is None  # an inflection only the dictionary knows
    assert speller.suggest("ledere") is None  # one edit from the corpus's "lejere"
    dictionary = danish_dictionary()
    assert dictionary is not None
    assert dictionary.accepts_compound("skimmelsvampeangreb")  # not listed; its parts are
    assert not dictionary.accepts_compound("udsætelser")


def test_english_words_are_not_corrected(speller: Speller) -> None:
    if english_dictionary() is None:
        pytest.skip("the chunspell package (with its English dictionary) is not installed")
    assert speller.suggest("document") is None  # one edit from the corpus's "dokument"


def test_without_the_dictionary_only_words_the_search_cannot_match_are_corrected(
    corpus_only: Speller,
) -> None:
    # The search already finds "udsættelser" for both: the stem is the same.
    assert corpus_only.suggest("udsætelser") is None
    assert corpus_only.suggest("udsættelserne") is None
    # An edit in the last two letters is more often an inflection the corpus lacks.
    assert corpus_only.suggest("bygningern") is None


def test_the_speller_is_built_once_per_index(index: LexicalIndex) -> None:
    assert index.speller is index.speller
    assert LexicalIndex.build(TEXTS).speller is not index.speller


def test_spellings_put_the_danish_letters_first() -> None:
    assert spellings("udsaettelser") == ["udsættelser", "udsaettelser"]
    assert spellings("koefficient") == ["køfficient", "koefficient"]
    assert spellings("bolig") == ["bolig"]


# -- through the API --------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(seed_settings, seed_searcher) -> Iterator[TestClient]:
    from vidensbank.api.app import create_app
    from vidensbank.api.holder import SnapshotHolder

    holder = SnapshotHolder(seed_settings, embedder=seed_searcher.embedder)
    holder.refresh()
    with TestClient(create_app(seed_settings, holder=holder)) as test_client:
        yield test_client


def test_api_search_returns_the_suggestion_or_null(client: TestClient) -> None:
    misspelt = client.get("/api/search", params={"q": "økonomisk rådgvning til beboere"})
    assert misspelt.status_code == 200
    assert misspelt.json()["suggestion"] == "økonomisk rådgivning til beboere"
    correct = client.get("/api/search", params={"q": "økonomisk rådgivning til beboere"})
    assert correct.json()["suggestion"] is None
    schema = client.get("/openapi.json").json()["components"]["schemas"]["SearchResponse"]
    assert "Mente du" in schema["properties"]["suggestion"]["description"]


@needs_danish
def test_api_suggests_the_spelling_of_a_word_the_search_already_matches(
    client: TestClient,
) -> None:
    params = {"q": "hvordan undgår vi udsætelser?", "min_relevance": 0}
    body = client.get("/api/search", params=params).json()
    assert body["suggestion"] == "hvordan undgår vi udsættelser?"
    # the stem matched anyway (the floor is off: matching, not relevance, is under test)
    assert body["total"] > 0
