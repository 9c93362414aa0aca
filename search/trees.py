"""Regression trees over named features, as the relevance model's hit model adds them to
its logit (see :func:`.relevance_fit.fit_hit`): the plain nested lists the model file holds,
their evaluation for many rows at once, and their conversion from a LightGBM booster."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .features import FeatureTable

# A regression tree over named features: a leaf's value, or
# [feature, threshold, subtree where feature <= threshold, subtree where it is greater].
Tree = float | list


@dataclass(frozen=True)
class TreeArrays:
    """Trees as padded node arrays (tree × node), evaluated for all trees and rows at once:
    one step down every tree per level instead of a walk per tree."""

    features: tuple[str, ...]  # the features the trees split on
    feature: np.ndarray  # index into ``features``; -1 at a leaf
    threshold: np.ndarray
    left: np.ndarray  # child node where the value is <= the threshold
    right: np.ndarray
    value: np.ndarray  # a leaf's value (0 elsewhere)
    depth: int

    @classmethod
    def of(cls, trees: Sequence[Tree]) -> TreeArrays:
        features: dict[str, int] = {}
        nodes: list[list[tuple[int, float, int, int, float]]] = []
        depth = 0
        for tree in trees:
            flat: list[tuple[int, float, int, int, float]] = []
            depth = max(depth, _flatten(tree, flat, features))
            nodes.append(flat)
        width = max((len(n) for n in nodes), default=1)
        grid = np.zeros((len(nodes), width, 5))
        grid[:, :, 0] = -1
        for t, flat in enumerate(nodes):
            grid[t, : len(flat)] = flat
        return cls(
            tuple(features),
            grid[:, :, 0].astype(int),
            grid[:, :, 1],
            grid[:, :, 2].astype(int),
            grid[:, :, 3].astype(int),
            grid[:, :, 4],
            depth,
        )

    def total(self, table: FeatureTable) -> np.ndarray:
        """The sum over the trees of each row's leaf value."""
        x = table.select(self.features)
        trees = np.arange(len(self.feature))[:, None]
        rows = np.arange(len(table.rows))[None, :]
        node = np.zeros((len(self.feature), len(table.rows)), dtype=int)
        for _ in range(self.depth):
            feature = self.feature[trees, node]
            goes_left = x[rows, np.maximum(feature, 0)] <= self.threshold[trees, node]
            child = np.where(goes_left, self.left[trees, node], self.right[trees, node])
            node = np.where(feature < 0, node, child)
        return self.value[trees, node].sum(axis=0)


def _flatten(tree: Tree, out: list, features: dict[str, int]) -> int:
    """Append ``tree``'s nodes to ``out`` (its root first); returns its depth."""
    at = len(out)
    if not isinstance(tree, list):
        out.append((-1, 0.0, 0, 0, float(tree)))
        return 0
    name, threshold, left, right = tree
    out.append((features.setdefault(name, len(features)), float(threshold), 0, 0, 0.0))
    left_at, left_depth = len(out), _flatten(left, out, features)
    right_at, right_depth = len(out), _flatten(right, out, features)
    out[at] = (*out[at][:2], left_at, right_at, 0.0)
    return 1 + max(left_depth, right_depth)


def trees_of(booster, names) -> list[Tree]:
    """A LightGBM booster's trees over ``names`` as :data:`Tree` lists."""
    return [_tree(info["tree_structure"], names) for info in booster.dump_model()["tree_info"]]


def _tree(node: dict, names) -> Tree:
    """A LightGBM tree dump as a :data:`Tree`."""
    if "leaf_value" in node:
        return round(float(node["leaf_value"]), 6)
    if node["decision_type"] != "<=":
        raise ValueError(f"Unexpected split {node['decision_type']!r} in a boosted tree")
    return [
        names[node["split_feature"]],
        float(node["threshold"]),
        _tree(node["left_child"], names),
        _tree(node["right_child"], names),
    ]


def scaled(tree: Tree, factor: float) -> Tree:
    """``tree`` with every leaf value times ``factor``."""
    if not isinstance(tree, list):
        return round(tree * factor, 6)
    feature, threshold, left, right = tree
    return [feature, threshold, scaled(left, factor), scaled(right, factor)]
