import pytest

from vidensbank.search.dictionaries import HUNSPELL_DIR
from vidensbank.search.lexical import LexicalIndex
from vidensbank.search.readable import readable_share

HAS_DANISH = (HUNSPELL_DIR / "da_DK.dic").is_file()


@pytest.fixture(scope="module")
def index() -> LexicalIndex:
    return LexicalIndex.build(
        ["Huslejen i afdelingen stiger med 2,4 procent.", "Bestyrelsen mødes i CurDir-gruppen."]
    )


def share(index: LexicalIndex, query: str, dictionary=None) -> float:
    if dictionary is None:
        return readable_share(query, index.analyzer, index.knows)
    return readable_share(query, index.analyzer, index.knows, dictionary)


def test_gibberish_is_not_readable(index: LexicalIndex) -> None:
    assert share(index, "qwxzyvbnmqwxz") == 0.0
    assert share(index, "asdf jkl") == 0.0
    assert share(index, "...") == 0.0  # no letter or digit: nothing to search for
    assert share(index, "?! – …") == 0.0


def test_corpus_words_numbers_and_queries_without_content_words_are_readable(
    index: LexicalIndex,
) -> None:
    nothing = lambda word: False  # noqa: E731 - no dictionary: only the corpus decides
    assert share(index, "hvor meget stiger huslejen", nothing) == 1.0
    assert share(index, "2,4 curdir", nothing) == 1.0
    assert share(index, "hvad er det", nothing) == 1.0
    assert share(index, "huslejen qwxzyvbnmqwxz", nothing) == 0.5


@pytest.mark.skipif(not HAS_DANISH, reason="needs Debian's hunspell-da")
def test_danish_and_english_words_the_corpus_lacks_are_readable(index: LexicalIndex) -> None:
    assert share(index, "hvem betaler for skimmelsvamp efter en vandskade") == 1.0
    assert share(index, "who pays for mold after water damage") == 1.0
    assert share(index, "skimmelsvamp xqzvw") == 0.5


def test_the_searcher_gives_gibberish_no_relevance(seed_searcher) -> None:
    import dataclasses

    assert seed_searcher.model.gate == ("readable_share",)
    gibberish = seed_searcher.search("qwxzyvbnmqwxz", min_relevance=0.0).results
    assert gibberish and all(hit.relevance == 0.0 for hit in gibberish)
    real = seed_searcher.search("hvordan undgår vi udsættelser", min_relevance=0.0).results
    assert real[0].relevance > 0.0
    # without the gate the models alone give the gibberish some relevance
    ungated = dataclasses.replace(seed_searcher.model, gate=())
    searcher = type(seed_searcher)(seed_searcher.snapshot, seed_searcher.embedder, model=ungated)
    assert searcher.search("qwxzyvbnmqwxz", min_relevance=0.0).results[0].relevance > 0.0


def test_the_gate_is_saved_with_the_model_and_defaults_for_older_files(tmp_path) -> None:
    import dataclasses
    import json

    from vidensbank.search.relevance import DEFAULT_GATE, RelevanceModel

    shipped = RelevanceModel.load()
    path = tmp_path / "model.json"
    dataclasses.replace(shipped, gate=()).save(path)
    assert RelevanceModel.load(path).gate == ()
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["gate"]
    path.write_text(json.dumps(data), encoding="utf-8")
    assert RelevanceModel.load(path).gate == DEFAULT_GATE == ("readable_share",)
