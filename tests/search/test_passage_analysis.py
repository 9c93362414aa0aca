"""A hit's marks and matched words come from each passage's analysis, computed once per
snapshot; they must be exactly what analysing the passage on every request gave."""

import numpy as np
import pytest

from vidensbank.search.analysis import tokenize
from vidensbank.search.match import PassageAnalyses, matched_words, typed_words, words_in

QUERIES = [
    "hvordan undgår vi udsættelser?",
    "biodiversitet i boligområdet",
    "grønne ambassadører blandt beboerne",
    "Boligorganisationens beboerdemokrati og BESTYRELSE",
    "lejemaal og hoeslet",
    "130.000 kr. i 2023",
    "og i på",
]


def test_every_passage_marks_and_matches_as_analysing_it_on_the_fly(seed_searcher) -> None:
    catalog = seed_searcher.catalog
    analyzer = seed_searcher.snapshot.lexical.analyzer
    analyses = PassageAnalyses(catalog, analyzer)
    for query in QUERIES:
        wanted = analyzer.marked_terms(query)
        words = typed_words(analyzer, query)
        for p in catalog.passages:
            analysed = analyses[p.row]
            indexed_text = f"{p.section_path}\n{p.text}"
            own, parts = analyzer.split_terms(indexed_text)
            assert own | parts == frozenset(analyzer.analyze(indexed_text))
            assert analysed.indexed == (own, parts)
            assert analysed.body.matching_spans(wanted) == _marks(analyzer, wanted, p.text)
            assert words_in(words, analysed.indexed) == matched_words(analyzer, query, indexed_text)


def _marks(analyzer, wanted, text: str) -> list[tuple[int, int]]:
    """The marking rule of ``MarkedTerms``, word by word and token by token."""
    found = set()
    tokens = tokenize(text)
    for word in wanted.words:
        strong, loose = set(), set()
        for token in tokens:
            own = set(analyzer.word_own_terms(token.text))
            head = set(analyzer.word_head_terms(token.text))
            parts = set(analyzer.word_terms(token.text)) - own
            span = (token.start, token.end)
            if own & set(word.own + word.head) or head & set(word.own):
                strong.add(span)
            elif parts & set(word.own) or own & set(word.parts):
                loose.add(span)
        found |= strong or loose
    return sorted(found)


def test_a_passage_is_analysed_once_and_kept(seed_searcher) -> None:
    analyses = PassageAnalyses(seed_searcher.catalog, seed_searcher.snapshot.lexical.analyzer)
    assert analyses[0] is analyses[0]


@pytest.mark.parametrize("rows", [[], [0], [3, 1, 2], list(range(49))])
def test_feature_cosines_equal_one_product_per_passage(seed_searcher, rows: list[int]) -> None:
    evidence = seed_searcher.evidence
    vector = seed_searcher.embedder.encode_queries(["økonomisk rådgivning til beboere"])[0]
    rows = [r for r in rows if r < len(seed_searcher.catalog.passages)]
    found = evidence.cosines(np.asarray(rows, dtype=np.int64), vector)
    for n, row in enumerate(rows):
        passage = found[n, 0]
        start, end = int(evidence.entry_start[row]), int(evidence.entry_end[row])
        sims = evidence.entry_vectors[start:end] @ vector
        heading = evidence.is_heading[start:end]
        sentence = float(sims[~heading].max()) if (~heading).any() else passage
        title = float(sims[heading].max()) if heading.any() else passage
        assert found[n, 1] == sentence
        assert found[n, 2] == title


def test_the_closest_sentence_is_the_sentence_index_choice(seed_searcher) -> None:
    sentences = seed_searcher.snapshot.sentences
    vector = seed_searcher.embedder.encode_queries(["hvordan undgår vi udsættelser?"])[0]
    for p in seed_searcher.catalog.passages:
        entry = seed_searcher.evidence.closest_sentence(p.row, vector)
        chosen = None if entry is None else sentences.texts[entry]
        assert chosen == sentences.best_sentence(p.row, vector)
