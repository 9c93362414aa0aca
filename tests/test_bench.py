"""`vidensbank bench` on a tiny corpus: the plain reference is measured beside the engine."""

from pathlib import Path

import pytest

from vidensbank.bench import bench_corpus, render
from vidensbank.search.embed.factory import create_embedder
from vidensbank.search.eval import EvalQuery
from vidensbank.search.searcher import Searcher

PAGES = {
    "raadgivning.txt": "Gældsrådgivning\n\nØkonomiske rådgivere hjælper beboere med budget og gæld.",
    "natur.txt": "Vilde blomster\n\nAfdelingen har sået vilde blomster, og sommerfugle er tilbage.",
}


def test_bench_reports_reference_latency_and_quality_beside_the_engine(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in PAGES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    queries = [
        EvalQuery("1", "hjælp til gæld", "natural", spans=["budget og gæld"]),
        EvalQuery("2", "sommerfugle", "natural", spans=["sommerfugle er tilbage"]),
        EvalQuery("3", "hvem betaler for skimmelsvamp?", "none"),
    ]
    embedder = create_embedder("bundled")
    figures = bench_corpus("tiny", corpus, queries, embedder, tmp_path / "work")
    modes = ["hybrid", "dense", "lexical", "ref-bm25", "ref-dense", "ref-hybrid"]
    assert list(figures.latency_ms) == modes and list(figures.quality) == modes
    assert figures.reference_chunks == 2 and figures.answerable == 2
    assert figures.quality["ref-hybrid"]["R@1"] == pytest.approx(1.0)
    text = render([figures], embedder)
    for mode in modes:
        assert f"| tiny | 2 | {mode} | " in text  # quality row
        assert f"| tiny | 3 | {mode} | " in text  # latency row


def test_bench_times_every_search_as_a_question_asked_for_the_first_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No timed search is answered by the searcher's recent rankings or the query-vector
    cache, however often the queries repeat."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in PAGES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    queries = [EvalQuery("1", "hjælp til gæld", "natural", spans=["budget og gæld"])]
    embedder = create_embedder("bundled")
    computed: list[str] = []
    original = Searcher.candidates

    def counting(self, query, *args, **kwargs):
        computed.append(query)
        return original(self, query, *args, **kwargs)

    monkeypatch.setattr(Searcher, "candidates", counting)
    misses = embedder.misses
    bench_corpus("tiny", corpus, queries, embedder, tmp_path / "work", repeat=3)
    # hybrid, dense and lexical: a warm-up plus three timed searches each, all computed
    assert len(computed) >= 3 * 4
    assert embedder.misses - misses >= 2 * 3  # the timed hybrid and dense searches
