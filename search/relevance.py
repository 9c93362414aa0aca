"""Calibrated relevance: the probability that a hit answers the query, from its features.

With a query vector (hybrid and dense modes) relevance is a product of two logistic
regressions on standardised features (see :mod:`.features`)::

    relevance = P(the corpus answers the query) * P(this hit is relevant | it does)

times the query's *readable share* (:data:`DEFAULT_GATE`, :mod:`.readable`): the share of
its content words that are words at all (in the corpus or a Danish or English dictionary).
It is 1.0 for any real question, answerable or not, so it leaves the fit and the ranking
alone, and 0 for gibberish, which otherwise looks as answerable as a real question to the
models (the dev halves hold no gibberish to fit on).

* ``answer`` reads query-level evidence only (:data:`~.features.ANSWER_FEATURES`: how far
  the best cosine stands above the query's baseline, the raw best cosine, how far the best
  passage stands above the 50th best, the share of the query covered, the share of its
  words the corpus knows, the best BM25, the query's length and how English the query is).
  It is fitted on one row per dev question, answerable against no-answer, with the two
  classes weighed equally. The best-of evidence grows with the corpus whether it answers or
  not, so the fit takes sets asked of corpora of different sizes; ``fusion fit
  --answer-only`` refits this model and the floor and keeps the ranking models.
* ``hit`` reads :data:`~.features.RANK_FEATURES` (absolute and relative evidence: cosines
  of passage, sentence and heading, gaps to the query's best, ranks, the convex strategy's
  score) and is fitted on the candidates of answerable dev questions only: a linear model
  fitted pairwise for the order, then 100 small regression trees boosted on its logit
  (LambdaMART) over :data:`~.features.TREE_FEATURES`, which also read the query's length,
  the share of its words the corpus knows and the title/heading match, so that evidence can
  count differently for a two-word query than for a question; then Platt-scaled for the
  probability (see :mod:`.relevance_fit`). Within a query ``answer`` is a constant, so
  hybrid's ``learned`` order is the ``hit`` model's order.

Why two: a per-hit model alone leans on rank and gap features, so the best hit of any query
(gibberish too) looks relevant; the floor then cannot empty a no-answer question. The
product puts the "is there an answer at all" evidence where it belongs.

Lexical mode has no vector: ``lexical`` is one logistic regression over
:data:`~.features.LEXICAL_FEATURES`, fitted on all candidates (no-answer ones as negatives).

``vidensbank fusion fit`` fits all three on the dev halves of the team's eval sets and ships
them as readable JSON (:data:`DEFAULT_MODEL`): per model its feature names, the mean and
scale each feature is standardised with, the coefficients and the intercept, and the hit
model's trees as nested lists (``[feature, threshold, if <=, if >]``, a leaf is the number
added to the logit); plus the fitted floor, the training sets and the figures of the fit.

The floor is the relevance below which a hit is not returned: fitted as the value that keeps
the first relevant hit of 95% of the answerable dev questions whose relevant hit is in the
top 10, which fixes how many no-answer questions it can empty (the fit records the curve).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from .features import FeatureTable
from .trees import Tree, TreeArrays

DEFAULT_MODEL = Path(__file__).with_name("relevance_model.json")
FORMAT = "vidensbank.relevance/3"  # /3: the hit model may have trees
READABLE_FORMATS = ("vidensbank.relevance/2", FORMAT)  # a /2 file is read as it was: no trees
# Relevance is multiplied by the share of the query's words that are words at all, so a
# query of gibberish gets none whatever the dense model finds near it (see .readable).
DEFAULT_GATE = ("readable_share",)


@dataclass(frozen=True)
class LogisticModel:
    """``sigmoid(intercept + sum coef_i * (x_i - mean_i) / scale_i + sum trees(x))`` over
    named features. The trees (none for the answerability and lexical models) are boosted
    on top of the linear part (see :func:`.relevance_fit.fit_hit`) and add their leaves'
    values to the logit."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    trees: tuple[Tree, ...] = ()

    def logit(self, table: FeatureTable) -> np.ndarray:
        x = (table.select(self.features) - np.asarray(self.mean)) / np.asarray(self.scale)
        z = x @ np.asarray(self.coef) + self.intercept
        return z + self._trees.total(table) if self.trees else z

    @cached_property
    def _trees(self) -> TreeArrays:
        return TreeArrays.of(self.trees)

    def predict(self, table: FeatureTable) -> np.ndarray:
        """Relevance in [0, 1] of every row of ``table``."""
        if not table.rows:
            return np.zeros(0)
        return 1.0 / (1.0 + np.exp(-np.clip(self.logit(table), -40, 40)))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LogisticModel:
        return cls(
            features=tuple(data["features"]),
            mean=tuple(float(v) for v in data["mean"]),
            scale=tuple(float(v) for v in data["scale"]),
            coef=tuple(float(v) for v in data["coef"]),
            intercept=float(data["intercept"]),
            trees=tuple(data.get("trees", ())),
        )


@dataclass(frozen=True)
class RelevanceModel:
    """The shipped models and floor; ``info`` records training sets and figures."""

    hit: LogisticModel
    answer: LogisticModel
    lexical: LogisticModel
    floor: float
    info: dict[str, Any] = field(default_factory=dict)
    gate: tuple[str, ...] = DEFAULT_GATE  # query-level columns in [0, 1] relevance is times

    def predict(self, table: FeatureTable) -> np.ndarray:
        """Relevance of each row: ``answer * hit`` when the table has the vector features,
        else the lexical model; times the :attr:`gate` columns."""
        if not self.hit.features or not set(self.hit.features) <= set(table.names):
            relevance = self.lexical.predict(table)
        else:
            relevance = self.answer.predict(table) * self.hit.predict(table)
        for name in self.gate:
            if name in table.names and table.rows:
                relevance = relevance * np.clip(table.column(name), 0.0, 1.0)
        return relevance

    def features(self) -> set[str]:
        """Every column the models read (a model of an older version may read one that
        :mod:`.features` no longer computes)."""
        return {*self.hit.features, *self.answer.features, *self.lexical.features, *self.gate}

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "floor": round(self.floor, 4),
            "gate": list(self.gate),
            "models": {
                "hit": _model_json(self.hit),
                "answer": _model_json(self.answer),
                "lexical": _model_json(self.lexical),
            },
            **self.info,
        }

    @classmethod
    def uniform(cls) -> RelevanceModel:
        """Every hit 0.5 and no floor: for gathering features before any model is fitted."""
        flat = LogisticModel((), (), (), (), 0.0)
        return cls(flat, flat, flat, 0.0)

    @classmethod
    def load_or_none(cls, path: Path) -> RelevanceModel | None:
        """The model in ``path``, or None when there is none or it is of another format."""
        try:
            return cls.load(path)
        except (OSError, ValueError, KeyError):
            return None

    def save(self, path: Path) -> None:
        path.write_text(_readable_json(self.to_json()) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = DEFAULT_MODEL) -> RelevanceModel:
        """Read a model file; ValueError naming the file when it is not one."""
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") not in READABLE_FORMATS:
            raise ValueError(
                f"{path} is not a relevance model ({FORMAT}); refit it with"
                " `vidensbank fusion fit eval/*-dev.jsonl`"
            )
        info = {k: v for k, v in data.items() if k not in {"format", "floor", "models", "gate"}}
        models = data["models"]
        return cls(
            hit=LogisticModel.from_json(models["hit"]),
            answer=LogisticModel.from_json(models["answer"]),
            lexical=LogisticModel.from_json(models["lexical"]),
            floor=float(data["floor"]),
            info=info,
            gate=tuple(data.get("gate", DEFAULT_GATE)),
        )


def _model_json(model: LogisticModel) -> dict[str, Any]:
    """A model's fields; ``trees`` only when it has some (only the hit model does)."""
    data = asdict(model)
    if not model.trees:
        del data["trees"]
    return data


def _readable_json(data: dict[str, Any]) -> str:
    """Indented JSON with each of the hit model's trees on a line of its own (indented,
    a tree of four leaves would take 30 lines)."""
    trees = data["models"]["hit"].get("trees", [])
    marks = [f"@tree{n}@" for n in range(len(trees))]
    hit = {**data["models"]["hit"], "trees": marks}
    text = json.dumps(
        {**data, "models": {**data["models"], "hit": hit}}, ensure_ascii=False, indent=1
    )
    for mark, tree in zip(marks, trees, strict=True):
        text = text.replace(f'"{mark}"', json.dumps(tree), 1)
    return text
