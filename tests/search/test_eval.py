"""The evaluation metrics on hand-made rankings, for both query formats in eval/."""

import json
import math
import re
from pathlib import Path

import pytest

from vidensbank.search.eval import (
    EvalQuery,
    Ranked,
    evaluate,
    format_report,
    format_side_by_side,
    read_queries,
    score_query,
)
from vidensbank.search.types import WEAK_RELEVANCE, DocumentRef, Hit, Mode


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


def test_no_answer_questions_stay_out_of_the_ranking_and_meet_the_floor() -> None:
    answerable = EvalQuery("a", "alfa", "keyword", spans=["alfa"])
    nothing = EvalQuery("n", "skimmel", "none")
    gibberish = EvalQuery("g", "qwxz", "none")
    results = {
        "alfa": [Ranked("beta", "d", 0.9), Ranked("alfa", "d", 0.6)],
        "skimmel": [Ranked("beta", "d", 0.2)],
        "qwxz": [],  # an engine that applies the floor itself returns nothing
    }
    queries = [answerable, nothing, gibberish]
    report = evaluate(queries, lambda q, mode: results[q], lambda d: d, ["hybrid"], floor=0.5)
    assert report.counts == {"all": 1, "keyword": 1}
    assert report.table["hybrid"]["all"]["MRR@10"] == 0.5
    assert report.no_answer.questions == 2
    assert report.no_answer.rate["hybrid"] == 1.0
    assert report.no_answer.kept["hybrid"] == 1.0
    higher = evaluate(queries, lambda q, mode: results[q], lambda d: d, ["hybrid"], floor=0.7)
    assert higher.no_answer.kept["hybrid"] == 0.0  # the relevant hit fell below the floor
    results["skimmel"] = [Ranked("beta", "d", 0.8)]
    lower = evaluate(queries, lambda q, mode: results[q], lambda d: d, ["hybrid"], floor=0.5)
    assert lower.no_answer.rate["hybrid"] == 0.5
    assert "nothing above the floor: 0.500" in format_report(lower)


def test_a_file_of_no_answer_questions_only_reports_the_floor_without_a_ranking_table() -> None:
    queries = [EvalQuery("n1", "skimmel", "none"), EvalQuery("n2", "parabol", "none")]
    results = {"skimmel": [Ranked("beta", "d", 0.2)], "parabol": [Ranked("beta", "d", 0.8)]}
    report = evaluate(queries, lambda q, mode: results[q], lambda d: d, ["hybrid"], floor=0.5)
    text = format_report(report)
    assert "MRR@10" not in text and "group" not in text
    assert "no-answer questions: 2" in text and "nothing above the floor: 0.500" in text


def test_weak_results_are_counted_as_the_page_tells_them() -> None:
    """Past the floor but below WEAK_RELEVANCE, the page says the results are weak: eval
    counts no-answer questions that get nothing or only that, and answerable ones alike."""
    queries = [
        EvalQuery("a1", "alfa", "k", spans=["alfa"]),
        EvalQuery("a2", "gamma", "k", spans=["gamma"]),
        EvalQuery("n1", "skimmel", "none"),
        EvalQuery("n2", "parabol", "none"),
        EvalQuery("n3", "vandseng", "none"),
    ]
    weak, sure = WEAK_RELEVANCE / 2, WEAK_RELEVANCE * 3
    results = {
        "alfa": [Ranked("alfa", "d", sure)],
        "gamma": [Ranked("gamma", "d", weak)],  # answered, but told it is weak
        "skimmel": [Ranked("beta", "d", weak)],  # past the floor, told weak
        "parabol": [Ranked("beta", "d", weak / 10)],  # below the floor: nothing
        "vandseng": [Ranked("beta", "d", sure)],  # a sure-looking wrong answer
    }
    floor = weak / 2
    report = evaluate(queries, lambda q, mode: results[q], lambda d: d, ["hybrid"], floor=floor)
    assert report.no_answer.rate["hybrid"] == pytest.approx(1 / 3)
    assert report.no_answer.weak["hybrid"] == pytest.approx(2 / 3)
    assert report.no_answer.answerable_weak["hybrid"] == 0.5
    assert "nothing or only weak results: 0.667" in format_report(report)
    reference = evaluate(
        queries, lambda q, mode: results[q], lambda d: d, ["ref-hybrid"], floor=floor
    )
    assert reference.no_answer.weak["ref-hybrid"] is None
    assert "only weak" not in format_report(reference)


def test_no_answer_figure_is_not_available_without_a_floor_or_a_relevance() -> None:
    queries = [EvalQuery("a", "alfa", "k", spans=["alfa"]), EvalQuery("n", "x", "none")]
    plain = [Ranked("alfa", "d")]  # a hit without a relevance, like the reference's
    report = evaluate(queries, lambda q, mode: plain, lambda d: d, ["ref-hybrid"], floor=0.5)
    assert report.no_answer.rate["ref-hybrid"] is None
    assert report.no_answer.kept["ref-hybrid"] is None
    unset = evaluate(queries, lambda q, mode: plain, lambda d: d, ["hybrid"])
    assert unset.no_answer.floor is None and "floor: n/a" in format_report(unset)


def test_page_questions_with_no_page_in_the_index_are_skipped_and_counted() -> None:
    queries = [
        EvalQuery("p1", "pivot", "CALC", pages=["scalc/pivot.html", "gone.html"], format="pages"),
        EvalQuery("p2", "gone", "CALC", pages=["swriter/gone.html"], format="pages"),
    ]
    sources = {"a": "/h/scalc/pivot.html", "b": "/h/other.html"}
    ranking = [Ranked("x", "b"), Ranked("y", "b"), Ranked("z", "a")]
    report = evaluate(
        queries,
        lambda q, mode: ranking,
        sources.__getitem__,
        ["dense"],
        indexed_sources=sources.values(),
    )
    assert report.skipped == 1 and report.counts["all"] == 1
    # Pages deduplicated before ranking; the absent page does not count as relevant.
    assert report.table["dense"]["all"]["R@1"] == 0.0
    assert report.table["dense"]["all"]["R@5"] == 1.0
    assert report.table["dense"]["all"]["MRR@10"] == 0.5
    assert "skipped: 1 questions" in format_report(report)


def test_files_side_by_side_name_each_file() -> None:
    query = EvalQuery("a", "alfa", "k", spans=["alfa"])
    reports = [
        evaluate([query], lambda q, m, r=r: [hit(r)], lambda d: d, ["hybrid", "ref-bm25"], name=n)
        for n, r in (("set-dev", "alfa"), ("set-heldout", "beta"))
    ]
    text = format_side_by_side(reports)
    assert "set-dev (n=1)" in text and "set-heldout (n=1)" in text
    row = next(line for line in text.splitlines() if line.startswith("ref-bm25"))
    assert row.split()[1:] == ["1.000"] * 3 + ["0.000"] * 3


PAGES = {
    "raadgivning.txt": "Gældsrådgivning\n\nØkonomiske rådgivere hjælper beboere med budget og gæld,"
    " så færre bliver sat ud af deres lejemål.",
    "natur.txt": "Vilde blomster\n\nAfdelingen har sået vilde blomster på plænerne, og insekter og"
    " sommerfugle er vendt tilbage.",
    "affald.txt": "Affaldssortering\n\nNye containere til madaffald, pap og plast er sat op ved alle"
    " opgange.",
}


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from vidensbank.settings import load_settings
    from vidensbank.writes import ingest_and_build

    root = tmp_path_factory.mktemp("tiny-eval")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in PAGES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    settings = load_settings(data_dir=root / "data", corpus_dir=corpus)
    assert not ingest_and_build(settings, [corpus], progress=False).report.failed
    return root


def write_set(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return path


def test_eval_command_reports_engine_and_reference_per_file(
    tiny_data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from vidensbank.cli import main

    monkeypatch.setenv("VIDENSBANK_DATA_DIR", str(tiny_data / "data"))
    dev = write_set(
        tiny_data / "tiny-dev.jsonl",
        [
            {"id": "1", "kind": "natural", "query": "hjælp til gæld", "relevant": ["budget og"]},
            {"id": "2", "kind": "none", "query": "hvem betaler for skimmelsvamp?", "relevant": []},
        ],
    )
    heldout = write_set(
        tiny_data / "tiny-heldout.jsonl",
        [
            {"id": "3", "kind": "natural", "query": "sommerfugle", "relevant_pages": ["natur.txt"]},
            {"id": "4", "kind": "natural", "query": "pivot", "relevant_pages": ["x/pivot.html"]},
        ],
    )
    assert main(["eval", str(dev), str(heldout)]) == 0
    out = capsys.readouterr()
    assert "Plain reference: 3 documents, 3 chunks" in out.err
    first, second = out.out.index("tiny-dev.jsonl:"), out.out.index("tiny-heldout.jsonl:")
    for block in (out.out[first:second], out.out[second:]):
        for mode in ("hybrid", "dense", "lexical", "ref-bm25", "ref-dense", "ref-hybrid"):
            assert re.search(rf"^all +1  {mode} ", block, re.M), (mode, block)
    assert "1 no-answer" in out.out[first:second]
    assert "skipped: 1 questions with no relevant page" in out.out[second:]
    assert "tiny-dev (n=1)" in out.out and "tiny-heldout (n=1)" in out.out

    assert main(["eval", str(dev), str(heldout), "--json", "--min-relevance", "0.5"]) == 0
    out = capsys.readouterr()
    assert "embedded now" not in out.err or "0 embedded now" in out.err  # the cache answers
    data = json.loads(out.out)
    assert data["reference"]["chunks"] == 3 and data["reference"]["embedded"] == 0
    assert list(data["files"]) == [str(dev), str(heldout)]
    page_set = data["files"][str(heldout)]
    assert page_set["skipped"] == 1 and page_set["counts"] == {"all": 1, "natural": 1}
    assert page_set["table"]["ref-hybrid"]["all"]["MRR@10"] == 1.0
    no_answer = data["files"][str(dev)]["no_answer"]
    assert no_answer["floor"] == 0.5 and no_answer["questions"] == 1
    assert no_answer["rate"]["ref-hybrid"] is None  # the reference has no relevance
    assert all(no_answer["rate"][m] in (0.0, 1.0) for m in ("hybrid", "dense", "lexical"))
