import json
from pathlib import Path

import numpy as np
import pytest

from vidensbank.search.lexical import (
    FORMAT_VERSION,
    MANIFEST_NAME,
    LexicalHit,
    LexicalIndex,
    query_coverage,
)

TEXTS = [
    "Lejemålet i Århus koster 130.000 kr. om året.",  # 0
    "Høslet på engen giver plads til vilde blomster.",  # 1
    "Kommunens biodiversitetsstrategi blev vedtaget i 2013.",  # 2
    "En strategi for biodiversitet i de grønne områder.",  # 3
    "Boligorganisationens bestyrelse mødes hver måned.",  # 4
    "Beboerne i afdelingen holder et møde om vedligehold.",  # 5
    "Huslejen stiger med 2,4 procent fra 2014.",  # 6
    "Lejemaalet ved Aarhus havn og hoeslet på marken.",  # 7
    "Den nye bolig har en have og en bestyrelse.",  # 8
]


@pytest.fixture(scope="module")
def index() -> LexicalIndex:
    return LexicalIndex.build(TEXTS)


def rows(hits: list[LexicalHit]) -> list[int]:
    return [hit.row for hit in hits]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("lejemaal", {0, 7}),
        ("lejemål", {0, 7}),
        ("hoeslet", {1, 7}),
        ("høslet", {1, 7}),
        ("aarhus", {0, 7}),
        ("Århus", {0, 7}),
        ("130.000", {0}),
        ("2,4", {6}),
        ("2013", {2}),
    ],
)
def test_spelling_variants_and_numbers_find_each_other(
    index: LexicalIndex, query: str, expected: set[int]
) -> None:
    assert set(rows(index.search(query, k=10))) == expected


def test_parts_find_the_compound(index: LexicalIndex) -> None:
    hits = rows(index.search("strategi for biodiversitet", k=10))
    assert set(hits) == {2, 3}
    assert set(rows(index.search("biodiversitet", k=10))) == {2, 3}


def test_compound_query_finds_its_parts(index: LexicalIndex) -> None:
    hits = rows(index.search("biodiversitetsstrategi", k=10))
    assert hits[0] == 2  # the exact compound ranks first
    assert 3 in hits


def test_stopword_only_query_finds_nothing(index: LexicalIndex) -> None:
    assert index.analyze_query("og i på det") == []
    assert index.search("og i på det", k=10) == []


def test_unknown_words_and_zero_k(index: LexicalIndex) -> None:
    assert index.search("kvantecomputer", k=10) == []
    assert index.search("bestyrelse", k=0) == []


def test_results_are_best_first_positive_and_capped(index: LexicalIndex) -> None:
    hits = index.search("bestyrelse bolig lejemål møde", k=3)
    assert len(hits) == 3
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(score > 0 for score in scores)


def test_batch_search_matches_single_search(index: LexicalIndex) -> None:
    queries = ["lejemaal", "bestyrelse", "biodiversitet"]
    assert index.batch_search(queries, k=5) == [index.search(q, k=5) for q in queries]


def test_matching_spans_for_snippets(index: LexicalIndex) -> None:
    text = TEXTS[2]
    spans = index.matching_spans(text, "biodiversitet")
    assert [text[s:e] for s, e in spans] == ["biodiversitetsstrategi"]


def test_save_and_load_give_identical_results(index: LexicalIndex, tmp_path: Path) -> None:
    index.save(tmp_path / "lexical")
    manifest = json.loads((tmp_path / "lexical" / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["doc_count"] == len(TEXTS)
    assert "biodiversitet" in manifest["vocabulary"]
    assert not list((tmp_path / "lexical").rglob("*.pkl"))

    loaded = LexicalIndex.load(tmp_path / "lexical")
    assert len(loaded) == len(TEXTS)
    for query in ["lejemaal", "strategi for biodiversitet", "biodiversitetsstrategi", "130.000"]:
        assert loaded.search(query, k=10) == index.search(query, k=10)
        assert loaded.analyze_query(query) == index.analyze_query(query)


def test_load_rejects_missing_or_foreign_index(index: LexicalIndex, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="missing"):
        LexicalIndex.load(tmp_path)
    index.save(tmp_path)
    manifest_path = tmp_path / MANIFEST_NAME
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["format_version"] = FORMAT_VERSION + 1
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ValueError, match="rebuild"):
        LexicalIndex.load(tmp_path)


def test_empty_corpus_round_trips(tmp_path: Path) -> None:
    empty = LexicalIndex.build([])
    assert empty.search("bolig", k=5) == []
    empty.save(tmp_path)
    assert LexicalIndex.load(tmp_path).search("bolig", k=5) == []


def test_ties_are_ordered_by_row() -> None:
    index = LexicalIndex.build(["bolig have", "bolig have", "bolig have"])
    assert rows(index.search("bolig", k=3)) == [0, 1, 2]


def test_a_passage_with_more_of_the_question_outranks_one_rare_word(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = [
        "Mange børn bor på kollegiet.",  # 0: only the rarest query word, in a short text
        "Driften tager sig af de almene boliger, der rummer tryghed, service, nærvær og"
        " kvalitet for én million mennesker i hele landet hver eneste dag.",  # 1: three words
        "Mennesker mødes i haven om sommeren.",
        "Haven er åben for alle mennesker.",
        "Almene afdelinger har fælleshuse.",
        "Den almene sektor bygger nyt.",
        "Boliger med altan er populære.",
        "Nye boliger i byen.",
        "Vaskeriet er åbent hver dag.",
        "Legepladsen er renoveret.",
    ]
    index = LexicalIndex.build(texts)
    query = "hvor mange mennesker bor i almene boliger"
    assert rows(index.search(query, k=2)) == [1, 0]
    # Plain BM25 (no coverage factor) puts the one-word passage first: the factor decides.
    monkeypatch.setattr("vidensbank.search.lexical.COVERAGE_EXPONENT", 0.0)
    assert rows(index.search(query, k=2)) == [0, 1]


def test_query_coverage_counts_whole_words_and_compound_parts(index: LexicalIndex) -> None:
    words = index.analyzer.query_words("biodiversitetsstrategi")
    assert len(words) == 1 and words[0].parts  # one word, split into parts
    bm25 = index._bm25
    assert bm25 is not None
    per_term = {
        t: np.asarray(bm25.get_scores_from_ids([bm25.vocab_dict[t]]))
        for t in (*words[0].own, *words[0].parts)
        if t in bm25.vocab_dict
    }
    coverage = query_coverage(words, per_term)
    assert coverage[2] == pytest.approx(1.0)  # "biodiversitetsstrategi" itself
    assert coverage[3] == pytest.approx(1.0)  # "strategi for biodiversitet": every part
    assert coverage[4] == 0.0
    partial = query_coverage(
        index.analyzer.query_words("biodiversitetsstrategi bestyrelse"),
        {
            **per_term,
            **{
                t: np.asarray(bm25.get_scores_from_ids([bm25.vocab_dict[t]]))
                for t in index.analyze_query("bestyrelse")
            },
        },
    )
    assert 0 < partial[8] < 1 and 0 < partial[3] < 1  # one of the two words each


def test_known_share_is_the_share_of_query_words_the_corpus_has(index: LexicalIndex) -> None:
    assert index.known_share("strategi for biodiversitet") == 1.0
    assert index.known_share("biodiversitetsstrategi") == 1.0
    assert index.known_share("biodiversity strategi") == 0.5
    assert index.known_share("rain water management") == 0.0
    assert index.known_share("og i på det") == 0.0  # stopwords only: nothing to match
