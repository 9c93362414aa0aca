"""A later page or a repeated question reads its ranking from the searcher's recent
rankings; what the user sees must be exactly what ranking again would show."""

from vidensbank.search.searcher import PAGES_KEPT, RankingCache, Searcher
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


def test_a_page_shown_before_is_not_built_again(seed_searcher) -> None:
    searcher = fresh(seed_searcher)
    query = "økonomisk rådgivning til beboere"
    first = searcher.search(query, min_relevance=0)
    again = searcher.search(query, min_relevance=0)
    assert again.results and all(a is b for a, b in zip(again.results, first.results, strict=True))
    # Another floor, offset or page size is another page of the same ranking.
    floored = searcher.search(query, min_relevance=0.5)
    assert floored.total < first.total
    assert searcher.search(query, k=3, min_relevance=0).results == first.results[:3]
    (found,) = searcher.rankings._found.values()
    assert set(found.pages._found) == {(0, 0, 10), (0.5, 0, 10), (0, 0, 3)}


def test_only_the_most_recent_pages_of_a_ranking_are_kept(seed_searcher) -> None:
    searcher = fresh(seed_searcher)
    query = "sociale viceværter"
    for offset in range(PAGES_KEPT + 3):
        searcher.search(query, offset=offset, k=1, min_relevance=0)
    (found,) = searcher.rankings._found.values()
    assert [key[1] for key in found.pages._found] == list(range(3, PAGES_KEPT + 3))
