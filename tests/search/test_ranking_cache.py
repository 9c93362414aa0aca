"""A later page or a repeated question reads its ranking from the searcher's recent
rankings; what the user sees must be exactly what ranking again would show."""

from vidensbank.search.searcher import RankingCache, Searcher
from vidensbank.search.types import Filters


def wire(response) -> dict:
    data = response.wire()
    data.pop("took_ms")
    return data


def fresh(searcher) -> Searcher:
    return Searcher(searcher.snapshot, searcher.embedder)


def test_later_pages_and_repeats_equal_a_fresh_ranking(seed_searcher) -> None:
    searcher = fresh(seed_searcher)
    query = "hvordan undgår vi udsættelser?"
    first = wire(searcher.search(query, min_relevance=0))
    second = wire(searcher.search(query, offset=10, min_relevance=0))
    assert len(searcher.rankings._found) == 1
    assert wire(searcher.search(query, min_relevance=0)) == first
    assert wire(fresh(seed_searcher).search(query, offset=10, min_relevance=0)) == second


def test_mode_and_filters_get_rankings_of_their_own(seed_searcher) -> None:
    searcher = fresh(seed_searcher)
    query = "biodiversitet i boligområdet"
    for options in (
        {"mode": "hybrid"},
        {"mode": "lexical"},
        {"mode": "hybrid", "filters": Filters(theme=["Biodiversitet"])},
    ):
        cached = wire(searcher.search(query, **options))
        assert wire(fresh(seed_searcher).search(query, **options)) == cached
    assert len(searcher.rankings._found) == 3


def test_only_the_most_recent_rankings_are_kept(seed_searcher) -> None:
    searcher = fresh(seed_searcher)
    searcher.rankings = RankingCache(size=2)
    for query in ("sociale viceværter", "unge i boligområdet", "klimatilpasning og regnvand"):
        searcher.search(query, mode="lexical")
    kept = [key[0] for key in searcher.rankings._found]
    assert kept == ["unge i boligområdet", "klimatilpasning og regnvand"]
