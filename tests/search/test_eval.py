"""The evaluation metrics on hand-made rankings, for both query formats in eval/."""

import json
import math
from pathlib import Path

import pytest
from vidensbank.search.eval import EvalQuery, evaluate, read_queries, score_query
from vidensbank.search.types import DocumentRef, Hit, Mode


def hit(text: str, document: str = "doc") -> Hit:
    return Hit(
        passage_id=text[:8],
        rank=1,
        score=1.0,
        text=text,
        snippet=text,
        document=DocumentRef(id=document, title=document),
        section_path="",
    )


SPANS = EvalQuery("q1", "regnvand", "crosslingual", spans=["Klimaparken", "regnvandet kan"])


def test_one_passage_can_cover_several_gold_spans() -> None:
    both = hit("I Klimaparken sikrer man, at **regnvandet** kan tilbageholdes.")
    marks = SPANS.judge([hit("Noget andet."), both, hit("Klimaparken igen.")], lambda d: d)
    assert marks == [None, (0, 1), ()]
    metrics = score_query(marks, SPANS.relevant)
    assert metrics["R@1"] == 0.0 and metrics["R@5"] == 1.0 and metrics["R@10"] == 1.0
    assert metrics["MRR@10"] == 0.5
    ideal = 1 + 1 / math.log2(3)
    assert metrics["nDCG@10"] == pytest.approx((1 / math.log2(3)) / ideal)


def test_spans_found_in_separate_passages_add_up() -> None:
    hits = [hit("Klimaparken i Vejle."), *(hit(f"Fyld {i}.") for i in range(5))]
    hits.append(hit("Regnvandet kan tilbageholdes."))  # case-insensitive
    metrics = score_query(SPANS.judge(hits, lambda d: d), SPANS.relevant)
    assert (metrics["R@1"], metrics["R@5"], metrics["R@10"]) == (0.5, 0.5, 1.0)
    assert metrics["MRR@10"] == 1.0


def test_pages_are_matched_by_source_path_suffix() -> None:
    query = EvalQuery("q2", "pivot", "CALC", pages=["text/scalc/01/pivot.html"])
    sources = {"a": "/x/text/shared/01/other.html", "b": "C:\\help\\text\\scalc\\01\\pivot.html"}
    marks = query.judge([hit("a", "a"), hit("b", "b")], sources.__getitem__)
    assert marks == [None, (0,)]
    assert score_query(marks, query.relevant)["MRR@10"] == 0.5


def test_no_relevant_hit_scores_zero() -> None:
    metrics = score_query(SPANS.judge([hit("Intet her.")], lambda d: d), SPANS.relevant)
    assert set(metrics.values()) == {0.0}


def test_read_queries_takes_both_formats_and_evaluate_averages(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    lines = [
        {"id": "s", "kind": "keyword", "query": "a", "relevant": ["alfa"]},
        {"id": "p", "app": "CALC", "query": "b", "relevant_pages": ["x/b.html"]},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n")
    queries = read_queries(path)
    assert [(q.id, q.kind) for q in queries] == [("s", "keyword"), ("p", "CALC")]
    results = {"a": [hit("beta"), hit("Alfa!")], "b": [hit("p", "b")]}
    report = evaluate(
        queries, lambda q, mode: results[q], lambda d: f"/h/x/{d}.html", modes=[Mode.LEXICAL]
    )
    assert report.table["lexical"]["all"]["MRR@10"] == pytest.approx((0.5 + 1.0) / 2)
    assert report.table["lexical"]["keyword"]["R@1"] == 0.0
    assert report.table["lexical"]["CALC"]["R@1"] == 1.0
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"query": "x"}\n')
    with pytest.raises(ValueError, match=r"bad\.jsonl:1"):
        read_queries(bad)
