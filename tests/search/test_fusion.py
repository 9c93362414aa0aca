import pytest

from vidensbank.search.fusion import STRATEGIES, FusedResult, convex, fuse, rrf

DENSE = [("a", 0.9), ("b", 0.8), ("c", 0.5)]
LEXICAL = [("c", 12.0), ("d", 6.0), ("a", 3.0)]


def ids(results: list[FusedResult]) -> list[object]:
    return [r.id for r in results]


def test_rrf_scores_and_order() -> None:
    results = rrf({"dense": DENSE, "lexical": LEXICAL}, k=60)
    scores = {r.id: r.score for r in results}
    assert scores["a"] == pytest.approx(1 / 61 + 1 / 63)
    assert scores["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert scores["b"] == pytest.approx(1 / 62)
    assert scores["d"] == pytest.approx(1 / 62)
    # a and c tie on score and on best rank (1): first appearance decides; then b, d likewise.
    assert ids(results) == ["a", "c", "b", "d"]
    assert results[0].ranks == {"dense": 1, "lexical": 3}
    assert results[2].ranks == {"dense": 2}


def test_rrf_constant_changes_the_balance() -> None:
    lists = {"x": [("top", 1.0), ("both", 0.5)], "y": [("other", 1.0), ("both", 0.5)]}
    # With a small k a single first place beats two second places; with a large k it doesn't.
    assert ids(rrf(lists, k=0))[0] == "top"
    assert ids(rrf(lists, k=60))[0] == "both"


def test_rrf_weights() -> None:
    lists = {"dense": [("a", 1.0)], "lexical": [("b", 1.0)]}
    assert ids(rrf(lists, {"lexical": 2.0})) == ["b", "a"]
    assert ids(rrf(lists, {"dense": 2.0})) == ["a", "b"]
    zero = rrf(lists, {"dense": 0.0})
    assert ids(zero) == ["b", "a"] and zero[1].score == 0.0


def test_weights_for_absent_retrievers_are_ignored_and_negative_rejected() -> None:
    assert ids(rrf({"dense": DENSE}, {"lexical": 5.0})) == ["a", "b", "c"]
    with pytest.raises(ValueError, match=">= 0"):
        rrf({"dense": DENSE}, {"dense": -1.0})
    with pytest.raises(ValueError, match="k must be"):
        rrf({"dense": DENSE}, k=-1)


def test_repeated_id_keeps_its_best_rank() -> None:
    results = rrf({"dense": [("a", 0.9), ("b", 0.8), ("a", 0.1)]})
    assert results[0].ranks == {"dense": 1}
    assert results[0].score == pytest.approx(1 / 61)


def test_convex_minmax_combination() -> None:
    results = convex({"dense": DENSE, "lexical": LEXICAL})
    scores = {r.id: r.score for r in results}
    # dense: a=1, b=0.75, c=0 ; lexical: c=1, d=1/3, a=0 ; mean over two retrievers.
    assert scores["a"] == pytest.approx(0.5)
    assert scores["c"] == pytest.approx(0.5)
    assert scores["b"] == pytest.approx(0.375)
    assert scores["d"] == pytest.approx(1 / 6)
    assert ids(results) == ["a", "c", "b", "d"]


def test_convex_weights_and_constant_lists() -> None:
    results = convex({"dense": DENSE, "lexical": LEXICAL}, {"dense": 1.0, "lexical": 3.0})
    assert ids(results)[0] == "c"
    assert results[0].score == pytest.approx(0.75)
    flat = convex({"dense": [("x", 0.4), ("y", 0.4)]})
    assert [r.score for r in flat] == [1.0, 1.0]


def test_fuse_dispatches_by_name_and_passes_params() -> None:
    lists = {"dense": DENSE, "lexical": LEXICAL}
    assert fuse(lists) == rrf(lists)
    assert fuse(lists, strategy="rrf", k=10) == rrf(lists, k=10)
    assert fuse(lists, strategy="convex", weights={"lexical": 2}) == convex(lists, {"lexical": 2})
    assert set(STRATEGIES) >= {"rrf", "convex"}


def test_unknown_strategy_lists_known_ones() -> None:
    with pytest.raises(ValueError, match=r"'borda'.*convex, learned, rrf"):
        fuse({"dense": DENSE}, strategy="borda")


def test_empty_input() -> None:
    assert fuse({}) == []
    assert fuse({"dense": [], "lexical": []}, strategy="convex") == []


def test_learned_ranks_by_the_given_relevance_and_ignores_list_scores() -> None:
    lists = {"dense": [("a", 0.9), ("b", 0.8), ("c", 0.1)], "lexical": [("c", 9.0), ("d", 1.0)]}
    fused = fuse(lists, strategy="learned", relevance={"a": 0.2, "b": 0.7, "c": 0.7, "d": 0.05})
    # b and c tie on relevance: c is first in the lexical list, b second in the dense one.
    assert [r.id for r in fused] == ["c", "b", "a", "d"]
    assert [r.score for r in fused] == [0.7, 0.7, 0.2, 0.05]
