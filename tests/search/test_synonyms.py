import logging
from pathlib import Path

import pytest

from vidensbank.search import lexical
from vidensbank.search.lexical import LexicalIndex
from vidensbank.search.synonyms import MYTHES_FILE, Thesaurus, load_thesaurus

# A small file in the MyThes format of Debian's mythes-da (encoding line, "word|N", then N
# meaning lines "pos|synonym|…").
DAT = """utf-8
printe|2
|udprinte|udskrive
|udprinte
sortere|2
|høre (ind) under
|filtrere|sigte
udskrive|1
|printe|skrive ud|bogtrykker (underbegreb)
vindue|1
|rude (daglig tale)|glug
lampe|2
|pære|lygte
|armatur
(den) indre by|1
|centrum|midtby
"""


@pytest.fixture
def thesaurus(tmp_path: Path) -> Thesaurus:
    path = tmp_path / "th_da_DK.dat"
    path.write_text(DAT, encoding="utf-8")
    return Thesaurus.read(path)


def test_single_word_synonyms_without_narrower_terms_or_phrases(thesaurus: Thesaurus) -> None:
    assert thesaurus.synonyms("udskrive") == ("printe",)
    assert thesaurus.synonyms("vindue") == ("rude", "glug")
    assert "indre" not in thesaurus.senses and "(den) indre by" not in thesaurus.senses
    assert thesaurus.synonyms("lampe") == ()
    assert thesaurus.synonyms("lampe", max_senses=2) == ("pære", "lygte", "armatur")


def test_words_with_several_meanings_are_not_expanded(thesaurus: Thesaurus) -> None:
    # the second meaning of printe repeats part of the first: one meaning
    assert thesaurus.synonyms("printe") == ("udprinte", "udskrive")
    assert thesaurus.synonyms("vindue", max_senses=0) == ()
    # "høre (ind) under" is a phrase, so sortere has one meaning with plain synonyms
    assert thesaurus.synonyms("sortere") == ("filtrere", "sigte")


def test_inflected_forms_find_their_entry_by_stem(thesaurus: Thesaurus) -> None:
    assert thesaurus.synonyms_of("udskriver") == ("printe",)
    assert thesaurus.synonyms_of("Vinduer") == ("rude", "glug")
    assert thesaurus.synonyms_of("ukendt") == ()


def test_a_file_that_is_not_a_thesaurus_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.dat"
    path.write_text("printe|1\n|udskrive\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a MyThes"):
        Thesaurus.read(path)


def test_without_the_package_nothing_is_expanded_and_one_line_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="vidensbank.search.synonyms"):
        assert load_thesaurus(tmp_path / "missing.dat") is None
    assert "apt-get install mythes-da" in caplog.text


@pytest.mark.skipif(not MYTHES_FILE.is_file(), reason="needs Debian's mythes-da")
def test_a_query_word_reaches_passages_with_its_synonym_at_a_lower_score() -> None:
    index = LexicalIndex.build(
        [
            "Du kan udskrive dokumentet fra menuen Filer.",  # 0: a synonym of printe
            "Menuen Filer har mange punkter.",  # 1
            "Printe dokumentet fra menuen Filer.",  # 2: the word itself
        ]
    )
    words = index.with_synonyms(index.analyzer.query_words("printe dokumentet"))
    assert words[0].synonyms and not words[1].synonyms
    hits = index.search("printe dokumentet", k=10)
    assert [h.row for h in hits][:2] == [2, 0]
    assert hits[1].score < hits[0].score


def test_no_expansion_when_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    index = LexicalIndex.build(["Du kan udskrive dokumentet.", "Et helt andet emne."])
    monkeypatch.setattr(lexical, "SYNONYM_WEIGHT", 0.0)
    assert index.search("printe", k=10) == []
