"""The hit model's boosted trees: LightGBM fits them, the shipped JSON holds them as plain
nested lists, and the engine evaluates them as LightGBM does."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import lightgbm
import numpy as np
import pytest

from vidensbank.search.eval import read_queries
from vidensbank.search.features import RANK_FEATURES, TREE_FEATURES, FeatureTable
from vidensbank.search.relevance import LogisticModel, RelevanceModel
from vidensbank.search.relevance_fit import fit_hit, label_queries
from vidensbank.search.trees import trees_of

ROOT = Path(__file__).resolve().parents[2]


def test_trees_evaluate_as_lightgbm_predicts() -> None:
    rng = np.random.default_rng(7)
    names = ("a", "b", "c")
    x = rng.normal(size=(600, 3))
    y = (x[:, 0] + x[:, 1] * x[:, 2] > 0.3).astype(int)  # an interaction, as in a ranking
    booster = lightgbm.train(
        {"objective": "lambdarank", "num_leaves": 4, "verbosity": -1, "min_data_in_leaf": 10},
        lightgbm.Dataset(x, y, group=[60] * 10),
        num_boost_round=20,
    )
    trees = trees_of(booster, names)
    assert all(isinstance(tree, list) and tree[0] in names for tree in trees)
    fresh = rng.normal(size=(200, 3))  # rows the trees were not fitted on
    table = FeatureTable(list(range(200)), names, fresh)
    trees_only = LogisticModel(("a",), (0.0,), (1.0,), (0.0,), 0.0, tuple(trees))
    assert np.allclose(trees_only.logit(table), booster.predict(fresh, raw_score=True), atol=1e-5)


def test_a_model_with_trees_adds_them_to_the_logit_and_survives_the_file(tmp_path) -> None:
    table = FeatureTable([0, 1], ("x", "y"), np.array([[0.0, 5.0], [1.0, -5.0]]))
    linear = LogisticModel(("x",), (0.0,), (1.0,), (2.0,), -1.0)
    boosted = dataclasses.replace(linear, trees=(["y", 0.0, -0.5, 0.5], 0.25))
    added = np.array([0.5 + 0.25, -0.5 + 0.25])  # the first tree by y, the second a leaf
    assert np.allclose(boosted.logit(table), linear.logit(table) + added)
    shipped = RelevanceModel.load()
    model = dataclasses.replace(shipped, hit=boosted)
    model.save(tmp_path / "model.json")
    assert RelevanceModel.load(tmp_path / "model.json").hit == boosted


def test_the_shipped_hit_model_has_trees_over_the_tree_features() -> None:
    hit = RelevanceModel.load().hit
    assert hit.features == RANK_FEATURES and hit.trees

    def used(tree) -> set[str]:
        return used(tree[2]) | used(tree[3]) | {tree[0]} if isinstance(tree, list) else set()

    assert set().union(*(used(t) for t in hit.trees)) <= set(TREE_FEATURES)


def _mrr(model: LogisticModel, labelled) -> float:
    ranks = []
    for item in labelled:
        order = np.argsort(-model.predict(item.full), kind="stable")
        hits = np.flatnonzero(item.full_labels[order])
        ranks.append(1 / (hits[0] + 1) if len(hits) and hits[0] < 10 else 0.0)
    return float(np.mean(ranks))


def test_the_trees_improve_the_linear_order_they_were_boosted_from(seed_searcher) -> None:
    """On the questions they were fitted on, and still calibrated: the trees correct the
    linear model's order, and the boosted model's relevance stays in [0, 1]."""
    queries = read_queries(ROOT / "eval" / "seed-natural-dev.jsonl")
    labelled = label_queries(seed_searcher, queries, "seed-natural-dev")
    linear = fit_hit(labelled, tree_names=())
    boosted = fit_hit(labelled)
    assert not linear.trees and boosted.trees
    assert boosted.features == linear.features and boosted.mean == linear.mean
    assert _mrr(boosted, labelled) > _mrr(linear, labelled)
    relevance = np.concatenate([boosted.predict(item.full) for item in labelled])
    assert relevance.min() >= 0.0 and relevance.max() <= 1.0


def test_a_model_file_of_the_linear_format_still_loads(tmp_path) -> None:
    """A model fitted before the trees (format /2) is read as it was fitted: no trees."""
    data = RelevanceModel.load().to_json()
    data["format"] = "vidensbank.relevance/2"
    for model in data["models"].values():
        model.pop("trees", None)
    (tmp_path / "old.json").write_text(json.dumps(data), encoding="utf-8")
    old = RelevanceModel.load(tmp_path / "old.json")
    assert not old.hit.trees and old.hit.coef == RelevanceModel.load().hit.coef
    data["format"] = "vidensbank.relevance/1"
    (tmp_path / "older.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="is not a relevance model"):
        RelevanceModel.load(tmp_path / "older.json")
