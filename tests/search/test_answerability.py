"""The answerability half of relevance: how far the best passage stands out from the corpus
and the question's language are read as such, and `vidensbank fusion fit --answer-only`
refits that half alone."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np
import pytest

from vidensbank.commands.fusion import run_fit
from vidensbank.search.dictionaries import HUNSPELL_DIR
from vidensbank.search.features import ANSWER_FEATURES, MARGIN_RANK, FeatureTable
from vidensbank.search.readable import english_share
from vidensbank.search.relevance import RelevanceModel

HAS_DANISH = (HUNSPELL_DIR / "da_DK.dic").is_file()
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not HAS_DANISH, reason="needs Debian's hunspell-da")
def test_english_share_tells_the_question_language() -> None:
    assert english_share("how do I make a table of contents") == 1.0
    assert english_share("hvordan laver jeg en indholdsfortegnelse") == 0.0
    mixed = english_share("hvordan opdaterer jeg en Power Query-forespørgsel i Excel?")
    assert 0.0 < mixed < 0.5


def test_english_share_without_dictionaries_decides_nothing() -> None:
    assert english_share("how do I make a table of contents", lambda word: "") == 0.5
    assert english_share("2024") == 0.5  # no word at all


def _table(searcher, query: str) -> FeatureTable:
    vector = searcher.embedder.encode_queries([query])[0]
    return searcher.candidates(query, vector).table


def _with(table: FeatureTable, name: str, value: float) -> FeatureTable:
    values = table.values.copy()
    values[:, table.names.index(name)] = value
    return dataclasses.replace(table, values=values)


@pytest.mark.skipif(not HAS_DANISH, reason="needs Debian's hunspell-da")
def test_an_english_question_is_not_held_unanswerable_for_its_unknown_words(
    seed_searcher,
) -> None:
    """Few words of an English question are in a Danish corpus; the answerability model
    knows that of an English question, so it is not read as a question the corpus cannot
    answer."""
    table = _table(seed_searcher, "how much does an eviction cost a housing association")
    assert table.column("english_share")[0] == 1.0
    answer = seed_searcher.model.answer
    as_english = answer.predict(table)[0]
    as_danish = answer.predict(_with(table, "english_share", 0.0))[0]
    assert as_english > 2 * as_danish


def test_the_margin_over_the_crowd_is_read_and_a_wider_one_means_more_answerable(
    seed_searcher,
) -> None:
    """top_margin is the best passage cosine minus the 50th best of the whole corpus (the
    dense retriever's candidates hold the 100 best; the seed has fewer than 50 passages, so
    it is the last), and the shipped answerability model reads a best passage that stands
    out from the crowd as more likely an answer."""
    query = "hvordan undgår vi udsættelser?"
    table = _table(seed_searcher, query)
    vector = seed_searcher.embedder.encode_queries([query])[0]
    passages = np.sort(seed_searcher.evidence.passage_vectors @ vector)[::-1]
    assert len(passages) < MARGIN_RANK
    margin = table.column("top_margin")
    assert np.allclose(margin, passages[0] - passages[-1], atol=1e-5)
    answer = seed_searcher.model.answer
    assert "top_margin" in answer.features
    here = answer.predict(table)[0]
    assert answer.predict(_with(table, "top_margin", margin[0] + 0.03))[0] > here
    assert answer.predict(_with(table, "top_margin", 0.0))[0] < here


def _fit_args(out: Path, answer_only: bool) -> argparse.Namespace:
    return argparse.Namespace(
        files=[str(ROOT / "eval" / "seed-natural-dev.jsonl")],
        out=out,
        dry_run=False,
        answer_only=answer_only,
    )


def test_answer_only_refit_keeps_the_ranking_and_refits_answerability_and_floor(
    seed_settings, seed_searcher, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shipped = RelevanceModel.load()
    out = tmp_path / "model.json"
    out.write_text((ROOT / "search" / "relevance_model.json").read_text(encoding="utf-8"))
    assert run_fit(_fit_args(out, answer_only=True), seed_settings) == 0
    refit = RelevanceModel.load(out)
    assert refit.hit == shipped.hit and refit.lexical == shipped.lexical
    assert refit.answer.features == ANSWER_FEATURES
    assert refit.answer != shipped.answer  # fitted on the seed's questions alone
    assert 0.0 <= refit.floor <= 1.0
    passages = len(seed_searcher.catalog.passages)
    assert refit.info["training_sets"] == [
        f"{ROOT / 'eval' / 'seed-natural-dev.jsonl'} ({passages:,} passages)"
    ]
    printed = capsys.readouterr().out
    assert "nothing for" in printed  # the no-answer figures are printed, pooled and per corpus
    assert f"  {passages:,} passages" in printed
    per_corpus = refit.info["floor_per_corpus"][f"{passages:,} passages"]
    assert per_corpus["dev"]["no_answer"] == 15 and per_corpus["dev"]["answerable"] > 0

    everything = tmp_path / "full.json"
    everything.write_text(out.read_text(encoding="utf-8"))
    assert run_fit(_fit_args(everything, answer_only=False), seed_settings) == 0
    assert RelevanceModel.load(everything).hit != shipped.hit


def test_answer_only_refit_replaces_a_model_that_reads_a_feature_no_longer_computed(
    seed_settings, seed_searcher, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A model file from an older version whose answerability model reads the corpus's
    passage count (since replaced by top_margin): `--answer-only` keeps its ranking models,
    prints no "before" figures it cannot compute, and writes a model that reads only what
    this version computes."""
    shipped = RelevanceModel.load()
    answer = shipped.answer
    older = dataclasses.replace(
        shipped,
        answer=dataclasses.replace(
            answer,
            features=(*answer.features, "corpus_size"),
            mean=(*answer.mean, 8.0),
            scale=(*answer.scale, 1.6),
            coef=(*answer.coef, -0.8),
        ),
    )
    out = tmp_path / "model.json"
    older.save(out)
    assert run_fit(_fit_args(out, answer_only=True), seed_settings) == 0
    printed = capsys.readouterr().out
    assert "does not compute (corpus_size)" in printed
    refit = RelevanceModel.load(out)
    assert refit.hit == shipped.hit and refit.answer.features == ANSWER_FEATURES
    relevance = refit.predict(_table(seed_searcher, "hvordan undgår vi udsættelser?"))
    assert len(relevance) and relevance.min() >= 0.0 and relevance.max() <= 1.0


def test_a_page_question_whose_pages_are_not_indexed_is_not_labelled_answerable(
    seed_searcher,
) -> None:
    """As in `vidensbank eval`: its answer is not in this corpus, so it must not teach the
    answerability model that the evidence it finds here means an answer."""
    from vidensbank.search.eval import EvalQuery
    from vidensbank.search.relevance_fit import label_queries

    question = "hvordan rådgiver boligorganisationerne beboere om økonomi?"
    queries = [
        EvalQuery("in", question, "natural", pages=["vaerdiskabende-gentagelser-2023.md"], format="pages"),
        EvalQuery("out", question, "natural", pages=["swriter/guide/page_break.html"], format="pages"),
        EvalQuery("both", question, "natural", format="pages",
                  pages=["swriter/guide/page_break.html", "vaerdiskabende-gentagelser-2023.md"]),
        EvalQuery("none", "hvem betaler for skimmelsvamp efter en vandskade?", "none", format="pages"),
    ]  # fmt: skip
    labelled = {item.query.id: item for item in label_queries(seed_searcher, queries, "pages")}
    assert sorted(labelled) == ["both", "in", "none"]
    assert labelled["both"].query.pages == ["vaerdiskabende-gentagelser-2023.md"]
    assert labelled["in"].answerable and labelled["in"].full_labels.all()
    assert not labelled["none"].answerable
