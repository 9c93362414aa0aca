"""The plain reference: fixed 150-word chunks, stemmed BM25, the same embedder, RRF and
page max-pooling, on a tiny corpus built here with the real bundled model."""

from pathlib import Path

import pytest

from vidensbank.search.embed.factory import create_embedder
from vidensbank.search.reference import (
    CHUNK_WORDS,
    Reference,
    RefMode,
    SourceDocument,
    chunk_words,
    rrf,
)
from vidensbank.store import Store

FILLER = "Afdelingen holder møde i fælleshuset og taler om vedligehold af trapper og døre. "
LONG = (
    FILLER * 25  # 325 words of routine first: the interesting chunk is the page's third
    + "Sommerfuglene er vendt tilbage, fordi vi har sået vilde blomster på de store plæner."
)
DOCUMENTS = [
    SourceDocument("moede", FILLER * 12),
    SourceDocument("natur", LONG),
    SourceDocument("gaeld", "Økonomiske rådgivere hjælper beboerne med budget og gæld."),
    SourceDocument("affald", "Nye containere til madaffald, pap og plast står ved opgangene."),
]


def test_chunks_hold_exactly_150_words_in_order() -> None:
    words = [f"ord{i}" for i in range(400)]
    chunks = chunk_words("  ".join(words[:200]) + "\n\n" + "\t".join(words[200:]))
    assert [len(c.split()) for c in chunks] == [CHUNK_WORDS, CHUNK_WORDS, 100]
    assert " ".join(chunks).split() == words
    assert chunk_words("   \n ") == []


def test_rrf_sums_reciprocal_ranks_and_breaks_ties_by_best_rank() -> None:
    fused = rrf([[1, 2, 3], [3, 1, 4]])
    assert [row for row, _ in fused] == [1, 3, 2, 4]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[-1][1] == pytest.approx(1 / 63)
    # 7 and 5 tie on score and best rank (1): the lower row first.
    assert [row for row, _ in rrf([[7, 5], [5, 7]])] == [5, 7]
    assert [row for row, _ in rrf([[8, 9], [9, 8]], k=0)] == [8, 9]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    store = Store(tmp_path_factory.mktemp("reference") / "store.sqlite3")
    embedder = create_embedder("bundled")
    reference = Reference.build(DOCUMENTS, embedder, store, progress=False)
    yield reference, store, embedder
    store.close()


def test_a_second_build_embeds_nothing_and_ranks_the_same(built) -> None:
    reference, store, embedder = built
    assert reference.stats.chunks == 2 + 3 + 1 + 1
    # Both routine pages open with the same 150 words: one chunk text, embedded once.
    assert reference.stats.embedded == len({c.text for c in reference.chunks}) == 6
    again = Reference.build(DOCUMENTS, embedder, store, progress=False)
    assert again.stats.embedded == 0
    for mode in RefMode:
        first = [(h.chunk.row, round(h.score, 5)) for h in reference.search("gæld", mode)]
        assert first == [(h.chunk.row, round(h.score, 5)) for h in again.search("gæld", mode)]


def test_bm25_matches_stems_and_ignores_stop_words(built) -> None:
    reference, _, _ = built
    hits = reference.search("containerne til plasten", RefMode.BM25)
    assert hits[0].document_id == "affald"
    assert reference.search("og i til", RefMode.BM25) == []  # only Danish stop words


def test_dense_finds_a_paraphrase_with_no_word_in_common(built) -> None:
    reference, _, _ = built
    question = "hvem støtter en lejer, der skylder penge?"
    assert reference.search(question, RefMode.BM25) == []
    assert reference.search(question, RefMode.DENSE)[0].document_id == "gaeld"
    assert reference.search(question, RefMode.HYBRID)[0].document_id == "gaeld"


def test_hybrid_is_rrf_of_the_two_lists(built) -> None:
    reference, _, _ = built
    query = "sommerfugle på plænerne"
    lexical = [h.chunk.row for h in reference.search(query, RefMode.BM25, k=100)]
    dense = [h.chunk.row for h in reference.search(query, RefMode.DENSE, k=100)]
    hybrid = reference.search(query, RefMode.HYBRID, k=100)
    assert [(h.chunk.row, h.score) for h in hybrid] == rrf([lexical, dense])
    assert hybrid[0].chunk.document_id == "natur" and hybrid[0].chunk.ordinal == 2


def test_pages_rank_by_their_best_chunk(built) -> None:
    reference, _, _ = built
    query = "vilde blomster og sommerfugle"
    chunks = reference.search(query, RefMode.DENSE, k=100)
    pages = reference.search(query, RefMode.DENSE, k=100, pages=True)
    assert len(chunks) == 7 and len(pages) == 4
    assert [h.document_id for h in pages] == list(dict.fromkeys(h.document_id for h in chunks))
    best = {}
    for hit in chunks:
        best[hit.document_id] = max(best.get(hit.document_id, -1.0), hit.score)
    assert [h.score for h in pages] == [best[h.document_id] for h in pages]
    assert pages[0].document_id == "natur" and pages[0].chunk.ordinal == 2
    assert len(reference.search(query, RefMode.DENSE, k=2, pages=True)) == 2


def test_an_empty_corpus_answers_nothing(tmp_path: Path, built) -> None:
    _, _, embedder = built
    with Store(tmp_path / "store.sqlite3") as store:
        empty = Reference.build([], embedder, store, progress=False)
    assert all(empty.search("gæld", mode) == [] for mode in RefMode)
