import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from vidensbank.ingest.pipeline import Ingestor
from vidensbank.search.embed.factory import create_embedder
from vidensbank.search.eval import evaluate, read_queries
from vidensbank.search.manifest import EmbedderInfo
from vidensbank.search.searcher import Searcher, Snapshot
from vidensbank.search.snapshot import (
    FORMAT_VERSION,
    SnapshotError,
    build_snapshot,
    current_path,
)
from vidensbank.search.types import Filters, Mode
from vidensbank.store import Store

ROOT = Path(__file__).resolve().parents[2]

DOCS = {
    "raadgivning.txt": "Gældsrådgivning\n\nØkonomiske rådgivere hjælper beboere med budget og gæld, "
    "så færre bliver sat ud af deres lejemål. Rådgiverne mødes med beboerne hver tirsdag.",
    "natur.txt": "Vilde blomster\n\nAfdelingen har sået vilde blomster på plænerne, og insekter og "
    "sommerfugle er vendt tilbage. Driften slår kun græsset to gange om året.",
    "strategi.txt": "Strategi\n\nOrganisationsbestyrelsen har vedtaget en biodiversitetsstrategi, der "
    "sætter mål for hvor mange kvadratmeter der skal være vild natur i hver afdeling.",
    "kursus.txt": "Efteruddannelse\n\nEjendomsfunktionærerne har været på kursus i konflikthåndtering "
    "og i at tale med beboere med psykisk sygdom.",
    "affald.txt": "Affaldssortering\n\nNye containere til madaffald, pap og plast er sat op ved alle "
    "opgange, og beboerne har fået en folder om sortering.",
}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("small")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    store = Store(root / "store.sqlite3")
    Ingestor(store, progress=False).run([corpus])
    embedder = create_embedder("bundled")
    build = build_snapshot(store, embedder, root / "index", progress=False)
    yield root, store, embedder, build
    store.close()


def searcher_for(root: Path, embedder, **options) -> Searcher:
    return Searcher(Snapshot.load(current_path(root / "index")), embedder, **options)


def top_document(searcher: Searcher, query: str, mode: Mode = Mode.HYBRID) -> str:
    return searcher.search(query, k=3, mode=mode).results[0].document.id


def test_paraphrase_with_no_word_in_common_ranks_first(small) -> None:
    root, _, embedder, _ = small
    # Ranking only: a five-passage corpus gives the answerability model no baseline to
    # stand out from, so the floor is off here (the floor has its own tests).
    searcher = searcher_for(root, embedder, min_relevance=0)
    query = "pengeproblemer hos lejere i restance"
    lexical = searcher.search(query, k=5, mode=Mode.LEXICAL).results
    assert "raadgivning" not in {h.document.id for h in lexical}  # no word in common
    assert top_document(searcher, query, Mode.DENSE) == "raadgivning"
    hit = searcher.search(query, k=3).results[0]
    assert hit.document.id == "raadgivning"
    assert "<mark>" not in hit.snippet and hit.best_sentence


def test_word_matches_weigh_as_much_as_the_share_of_known_query_words(small) -> None:
    root, _, embedder, _ = small
    searcher = searcher_for(root, embedder, fusion="convex", min_relevance=0)
    query = "budget help for residents in debt"  # English; only "budget" is a corpus word
    share = searcher.snapshot.lexical.known_share(query)
    assert share == pytest.approx(1 / 4)  # budget, help, residents, debt
    lexical = searcher.search(query, k=5, mode=Mode.LEXICAL).results
    assert [h.document.id for h in lexical] == ["raadgivning"]
    dense = searcher.search(query, k=5, mode=Mode.DENSE).results
    low, high = min(h.score for h in dense), max(h.score for h in dense)
    hybrid = searcher.search(query, k=5).results
    assert len(hybrid) == len(dense) == len(DOCS)
    for hit in hybrid:
        d = next(h.score for h in dense if h.passage_id == hit.passage_id)
        word_match = 1.0 if hit.document.id == "raadgivning" else 0.0
        expected = ((d - low) / (high - low) + share * word_match) / (1 + share)
        assert hit.score == pytest.approx(expected, abs=1e-5)


def test_folded_spelling_finds_the_danish_letters(small) -> None:
    root, _, embedder, _ = small
    searcher = searcher_for(root, embedder)
    response = searcher.search("lejemaal", k=3, mode=Mode.LEXICAL)
    assert response.results[0].document.id == "raadgivning"
    assert "<mark>lejemål</mark>" in response.results[0].snippet


def test_compound_query_finds_its_parts_and_back(small) -> None:
    root, _, embedder, _ = small
    searcher = searcher_for(root, embedder)
    assert top_document(searcher, "naturstrategi", Mode.LEXICAL) == "strategi"
    assert top_document(searcher, "strategi for biodiversitet", Mode.LEXICAL) == "strategi"


def test_results_identical_after_reloading_the_snapshot(small) -> None:
    root, _, embedder, _ = small
    queries = ["hjælp til gæld", "sommerfugle", "kursus for driften", "madaffald"]
    first = [
        searcher_for(root, embedder).search(q).model_dump(exclude={"took_ms"}) for q in queries
    ]
    again = [
        searcher_for(root, embedder).search(q).model_dump(exclude={"took_ms"}) for q in queries
    ]
    assert first == again
    assert first[0]["results"][0]["document"]["id"] == "raadgivning"


def test_snapshot_manifest_records_what_was_built(small) -> None:
    _root, _, embedder, build = small
    manifest = json.loads((build.path / "manifest.json").read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["embedder"]["model_id"] == embedder.model_id
    assert manifest["embedder"]["dimension"] == 384
    assert manifest["counts"]["passages"] == len(DOCS)
    assert len(manifest["corpus_hash"]) == 64
    assert (build.path / "dense.faiss").exists() and (build.path / "catalog.sqlite3").exists()


class ExplodingEmbedder:
    """The real embedder that dies after its first batch, like a killed build."""

    def __init__(self, inner) -> None:
        self.inner, self.calls = inner, 0
        self.model_id, self.family, self.dimension = "explode-test", inner.family, inner.dimension

    def encode_passages(self, texts):
        self.calls += 1
        if self.calls > 1:
            raise RuntimeError("killed mid-build")
        return self.inner.encode_passages(texts)

    def describe(self):
        return {"model_id": self.model_id, "family": self.family, "dimension": self.dimension}


def test_interrupted_build_leaves_the_previous_snapshot_current(small, tmp_path: Path) -> None:
    root, store, embedder, build = small
    index = tmp_path / "index"
    shutil.copytree(root / "index", index)
    before = searcher_for(tmp_path, embedder).search("sommerfugle").model_dump(exclude={"took_ms"})
    with pytest.raises(RuntimeError, match="killed"):
        build_snapshot(store, ExplodingEmbedder(embedder), index, batch_size=2, progress=False)
    assert current_path(index).name == build.version
    assert not list(index.glob(".tmp-*"))
    after = searcher_for(tmp_path, embedder).search("sommerfugle").model_dump(exclude={"took_ms"})
    assert after == before


def test_snapshot_from_another_embedder_is_refused(small) -> None:
    _root, _, embedder, _ = small
    built = EmbedderInfo(model_id="other/model", family="other", dimension=768)
    with pytest.raises(SnapshotError, match="VIDENSBANK_EMBEDDER"):
        built.require_compatible(embedder)


def test_filters_and_diversity_on_the_seed(seed_searcher) -> None:
    response = seed_searcher.search(
        "biodiversitet", k=10, filters=Filters(theme="Vilde velfærdsproblemer")
    )
    assert response.results and all(h.theme == "Vilde velfærdsproblemer" for h in response.results)
    response = seed_searcher.search("biodiversitet", k=10, filters=Filters(organisation="KAB"))
    assert response.results
    for hit in response.results:
        assert (
            "KAB"
            in seed_searcher.catalog.passages[
                seed_searcher.catalog.row_by_id[hit.passage_id]
            ].organisations
        )
    response = seed_searcher.search("biodiversitet i boligområder", k=10)
    per_case: dict[str, int] = {}
    for hit in response.results:
        if hit.case:
            per_case[hit.case.id] = per_case.get(hit.case.id, 0) + 1
    assert max(per_case.values()) <= 2
    ids = [h.passage_id for h in response.results]
    assert len(ids) == len(set(ids))


def test_seed_question_finds_the_case(seed_searcher) -> None:
    response = seed_searcher.search(
        "skolebørn lærer om planter og dyr i boligafdelingens have", k=3
    )
    assert any(h.case and h.case.title == "Boligområde som biologilokale" for h in response.results)
    hit = response.results[0]
    assert hit.document.title == "Værdiskabende gentagelser" and hit.document.year == 2023
    assert np.isfinite(hit.score)


def _overall(seed_searcher, name: str) -> dict[str, dict[str, float]]:
    report = evaluate(
        read_queries(ROOT / "eval" / name),
        lambda query, mode: seed_searcher.search(query, k=10, mode=mode, min_relevance=0).results,
        lambda document_id: seed_searcher.catalog.documents[document_id].source,
    )
    return {mode: report.table[mode]["all"] for mode in report.modes}


@pytest.mark.parametrize(
    "name", ["dev.jsonl", "seed-natural-dev.jsonl", "seed-natural-heldout.jsonl"]
)
def test_hybrid_ranks_at_least_as_well_as_either_retriever(seed_searcher, name: str) -> None:
    """Issue 13's bar on every seed set: hybrid >= dense and >= lexical on R@1, MRR@10 and
    nDCG@10 (held-out included: it was never fitted on)."""
    table = _overall(seed_searcher, name)
    for single in ("dense", "lexical"):
        for metric in ("R@1", "MRR@10", "nDCG@10"):
            assert table["hybrid"][metric] >= table[single][metric], (single, metric, table)


@pytest.mark.xfail(
    strict=True,
    reason="Not met since the hit model has boosted trees: hybrid R@5 0.944 on eval/dev.jsonl"
    " (d11, a number asked for, at rank 7); the linear model alone had every answer in the top"
    " five but MRR@10 0.928 and ranked below lexical on LibreOffice keyword questions",
)
def test_the_shipped_eval_set_finds_every_answer_in_the_top_five(seed_searcher) -> None:
    """What `vidensbank eval eval/dev.jsonl` reports on the shipped corpus: hybrid Recall@5
    = 1.0."""
    table = _overall(seed_searcher, "dev.jsonl")
    assert table["hybrid"]["R@5"] == 1.0, table


def test_the_shipped_eval_set_meets_the_mrr_bar(seed_searcher) -> None:
    """Issue 13's seed bar: hybrid MRR@10 >= 0.95 on eval/dev.jsonl."""
    table = _overall(seed_searcher, "dev.jsonl")
    assert table["hybrid"]["MRR@10"] >= 0.95, table


@pytest.mark.parametrize("query", ["qwxzyvbnmqwxz", "asdf jkl", "...", "?!"])
def test_gibberish_gets_nothing_above_the_default_floor(seed_searcher, query: str) -> None:
    """Nothing, and no nearest topics either: a string of no language is near nothing."""
    response = seed_searcher.search(query)
    assert response.total == 0 and response.results == [] and response.nearest == []
    assert seed_searcher.search(query, min_relevance=0).results  # hits exist below the floor


@pytest.mark.xfail(
    strict=True,
    reason="Half met on the seed: the default floor (0.022, chosen to keep 95% of each corpus's"
    " answerable dev questions) empties 25 of the seed's 30 no-answer questions (83%), but"
    " keeps the first relevant hit of only 91% of the answerable ones (dev 93%, held-out 89%)",
)
def test_the_default_floor_empties_most_seed_no_answer_questions(seed_searcher) -> None:
    """Issue 13's floor bar on the seed's natural sets (both halves): no-answer questions get
    nothing above the default floor while answerable ones keep their first relevant hit
    (>= 80% and >= 95%)."""
    queries = [
        q
        for name in ("seed-natural-dev.jsonl", "seed-natural-heldout.jsonl")
        for q in read_queries(ROOT / "eval" / name)
    ]
    report = evaluate(
        queries,
        lambda query, mode: seed_searcher.search(query, k=10, mode=mode, min_relevance=0).results,
        lambda document_id: seed_searcher.catalog.documents[document_id].source,
        modes=["hybrid"],
        floor=seed_searcher.min_relevance,
    )
    assert report.no_answer.rate["hybrid"] >= 0.8, report.no_answer
    assert report.no_answer.kept["hybrid"] >= 0.95, report.no_answer


def test_every_hit_carries_a_relevance_and_hybrid_ranks_by_it(small) -> None:
    root, _, embedder, _ = small
    searcher = searcher_for(root, embedder, min_relevance=0)
    for mode in Mode:
        hits = searcher.search("hjælp til gæld og budget", k=5, mode=mode).results
        assert hits and all(0.0 <= h.relevance <= 1.0 for h in hits)
    hybrid = searcher.search("hjælp til gæld og budget", k=5).results
    assert [h.relevance for h in hybrid] == sorted((h.relevance for h in hybrid), reverse=True)
    assert hybrid[0].document.id == "raadgivning"


def test_the_floor_drops_and_uncounts_hits_below_it(small) -> None:
    root, _, embedder, _ = small
    searcher = searcher_for(root, embedder)
    query = "hjælp til gæld og budget"
    everything = searcher.search(query, min_relevance=0)
    floor = everything.results[1].relevance + 1e-4  # between the first and second hit
    kept = searcher.search(query, min_relevance=floor)
    assert kept.min_relevance == floor
    assert kept.total == len(kept.results) == 1 < everything.total
    assert all(h.relevance >= floor for h in kept.results) and not kept.nearest


def test_nothing_above_the_floor_names_the_nearest_topics(small) -> None:
    root, _, embedder, _ = small
    searcher = searcher_for(root, embedder, min_relevance=1.0)
    response = searcher.search("hvem betaler for skimmelsvamp efter en vandskade?")
    assert response.total == 0 and response.results == []
    assert 1 <= len(response.nearest) <= 3
    assert all(t.title and t.passage_id and t.relevance < 1.0 for t in response.nearest)


def test_snippets_do_not_mark_question_function_words(small) -> None:
    root, _, embedder, _ = small
    searcher = searcher_for(root, embedder, min_relevance=0)
    hit = searcher.search("hvordan kan vi få sorteret madaffald", k=1).results[0]
    assert hit.document.id == "affald"
    assert "<mark>madaffald</mark>" in hit.snippet
    assert "<mark>kan</mark>" not in hit.snippet and "<mark>få</mark>" not in hit.snippet
