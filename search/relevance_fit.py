"""Fitting the relevance model (:mod:`.relevance`) on eval sets.

Every dev question's candidates (the union of the dense and lexical lists, as the searcher
builds them) are labelled relevant or not with the eval rules (a gold span in the passage,
or the passage's page among the relevant pages). Three logistic models are fitted:
``hit`` on the candidates of answerable questions (:data:`~.features.RANK_FEATURES`) in two
steps: a pairwise fit (relevant minus non-relevant candidate of the same question, against
the :data:`HARD_NEGATIVES` best non-relevant by the convex order) sets the direction, which
is what ranks, then a one-variable (Platt) fit of the labels on that score calibrates it;
both fold into one linear model. Pairwise, because a pointwise fit spends itself on the
easy negatives far down the lists (on the dev halves of both corpora it ranked worse than
the convex order). Then trees are boosted on the linear model's logit (LightGBM's
LambdaMART over :data:`~.features.TREE_FEATURES`, :data:`BOOSTING`): they correct the
linear order where the same evidence means something else for another kind of query (a
title match for "fryse rækker" but not for a question in everyday words), and the sum is
Platt-scaled again on each question's :data:`CALIBRATION_TOP` best candidates, the hits a
reader sees. ``answer`` on one row per question, answerable against no-answer, the classes weighed
equally (:data:`~.features.ANSWER_FEATURES`), and ``lexical`` on every candidate of every
question (:data:`~.features.LEXICAL_FEATURES`; no-answer questions add negatives). Each
question weighs the same within its set, and a set weighs in proportion to the square root
of its size, so a large keyword set cannot drown a small set of natural questions.

The floor keeps the first relevant hit of 95% of the answerable dev questions (those whose
relevant candidate ranks in the top 10) *of every corpus*: the 5th percentile is taken per
corpus (per snapshot the questions were asked of) and the lowest wins. Pooled, the hundreds of
LibreOffice keyword questions would decide alone, and the floor they chose (0.019) hid the
answer to a fifth of the seed's answerable questions. :func:`floor_curve` gives
the whole trade-off (answerable kept against no-answer emptied) for the report. The floor
is fitted on relevance as the searcher computes it, the model's gate included
(:data:`~.relevance.DEFAULT_GATE`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .eval import EvalQuery, in_index, normalise
from .features import (
    ANSWER_FEATURES,
    LEXICAL_FEATURES,
    RANK_FEATURES,
    TREE_FEATURES,
    FeatureTable,
)
from .relevance import DEFAULT_GATE, LogisticModel, RelevanceModel
from .searcher import Searcher
from .trees import Tree, scaled, trees_of
from .types import Mode

KEEP_SHARE = 0.95  # answerable questions whose first relevant hit the floor must keep
REGULARISATION = 0.1  # sklearn's C on standardised features (0.1 and 1 rank alike on seed dev)
# One row per question gives the answer model few rows; at 0.1 its coefficients shrank so far
# that gibberish (no known word, nothing covered) scored as answerable as a real question.
ANSWER_REGULARISATION = 1.0
HARD_NEGATIVES = 100  # per question, for the pairwise fit (30 or 50 ranked worse on dev)
# The trees boosted on the linear hit model's logit: small (4 leaves, at least 200
# candidates each) and many small steps, so they correct where the linear model is wrong
# for a kind of query (a title match counts for a two-word query, not for a question)
# without learning single questions. 50 rounds ranked worse on the dev halves.
BOOSTING = {"num_leaves": 4, "min_data_in_leaf": 200, "learning_rate": 0.05}
BOOSTING_ROUNDS = 100
CALIBRATION_TOP = 20  # candidates per question the boosted model is calibrated on


@dataclass(frozen=True)
class LabelledQuery:
    """One eval question's candidates with labels, for both models."""

    set_name: str
    query: EvalQuery
    full: FeatureTable
    full_labels: np.ndarray
    lexical: FeatureTable
    lexical_labels: np.ndarray
    corpus: str = ""  # the snapshot the question was asked of

    @property
    def answerable(self) -> bool:
        return bool(self.query.spans or self.query.pages)


def _labels(searcher: Searcher, query: EvalQuery, rows: Sequence[int]) -> np.ndarray:
    passages, documents = searcher.catalog.passages, searcher.catalog.documents
    spans = [normalise(s) for s in query.spans]
    labels = np.zeros(len(rows))
    for n, row in enumerate(rows):
        p = passages[row]
        if spans:
            text = normalise(p.text)
            labels[n] = any(s in text for s in spans)
        elif query.pages:
            source = documents[p.document_id].source.replace("\\", "/")
            labels[n] = any(source.endswith(page) for page in query.pages)
    return labels


def label_queries(
    searcher: Searcher, queries: Sequence[EvalQuery], set_name: str
) -> list[LabelledQuery]:
    """Candidates, features and labels of every question (queries embedded in one batch).

    As in :func:`.eval.evaluate`, a page-set question keeps only its relevant pages that
    are in the index, and one left with none is skipped: its answer is not in this corpus,
    yet it is no no-answer question either (a page outside a sample may be answered in
    part by one inside it). Counted as answerable, such questions (390 of the 652 keyword
    dev questions on the 600-page LibreOffice sample) taught the answerability model that
    weak evidence means an answer."""
    queries = in_index(list(queries), [d.source for d in searcher.catalog.documents.values()])
    vectors = list(searcher.embedder.encode_queries([q.query for q in queries])) if queries else []
    out = []
    for query, vector in zip(queries, vectors, strict=True):
        full = searcher.candidates(query.query, vector, Mode.HYBRID).table
        lexical = searcher.candidates(query.query, None, Mode.LEXICAL).table
        out.append(
            LabelledQuery(
                set_name,
                query,
                full,
                _labels(searcher, query, full.rows),
                lexical,
                _labels(searcher, query, lexical.rows),
                searcher.snapshot.version,
            )
        )
    return out


def fit_linear(
    tables: Sequence[FeatureTable],
    labels: Sequence[np.ndarray],
    weights: np.ndarray,
    names,
    c: float = REGULARISATION,
) -> LogisticModel:
    """Logistic regression on standardised ``names`` columns of the pooled tables."""
    from sklearn.linear_model import LogisticRegression  # only needed to fit

    x = np.vstack([t.select(names) for t in tables])
    y = np.concatenate(labels)
    if len(set(y.tolist())) < 2:
        raise ValueError("The eval sets give no relevant (or no irrelevant) candidate to fit on")
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < 1e-6] = 1.0  # a constant feature (one document in the corpus) says nothing
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit((x - mean) / scale, y, sample_weight=weights)
    return LogisticModel(
        features=tuple(names),
        mean=tuple(round(float(v), 6) for v in mean),
        scale=tuple(round(float(v), 6) for v in scale),
        coef=tuple(round(float(v), 6) for v in model.coef_[0]),
        intercept=round(float(model.intercept_[0]), 6),
    )


def first_relevant(model: RelevanceModel, item: LabelledQuery) -> float | None:
    """Relevance of the first relevant candidate in the model's top 10, or None."""
    relevance = model.predict(item.full)
    order = np.argsort(-relevance, kind="stable")[:10]
    found = [relevance[i] for i in order if item.full_labels[i]]
    return float(found[0]) if found else None


def best_relevance(model: RelevanceModel, item: LabelledQuery) -> float:
    """The highest relevance of any candidate of the question (0 with none)."""
    return float(model.predict(item.full).max()) if item.full.rows else 0.0


def fit_floor(model: RelevanceModel, data: Sequence[LabelledQuery]) -> float:
    """The relevance that keeps the first relevant hit of KEEP_SHARE of the answerable
    questions whose relevant hit is in the top 10, in every corpus (0 when there are none)."""
    floors = [_corpus_floor(model, [d for d in data if d.corpus == c]) for c in _corpora(data)]
    return min((f for f in floors if f is not None), default=0.0)


def _corpora(data: Sequence[LabelledQuery]) -> list[str]:
    return sorted({item.corpus for item in data})


def _corpus_floor(model: RelevanceModel, data: Sequence[LabelledQuery]) -> float | None:
    firsts = [first_relevant(model, item) for item in data if item.answerable]
    values = [v for v in firsts if v is not None]
    if not values:
        return None  # nothing to keep here: the other corpora decide
    return float(np.floor(np.quantile(values, 1 - KEEP_SHARE, method="lower") * 1000) / 1000)


def _set_weights(data: Sequence[LabelledQuery]) -> np.ndarray:
    """Per question: sqrt(set size)/set size."""
    sizes: dict[str, int] = {}
    for item in data:
        sizes[item.set_name] = sizes.get(item.set_name, 0) + 1
    return np.array([np.sqrt(sizes[d.set_name]) / sizes[d.set_name] for d in data])


def _rows_weights(data: Sequence[LabelledQuery], tables: str) -> np.ndarray:
    """Per candidate row: its question's set weight shared among the question's rows."""
    per_question = _set_weights(data)
    parts = [
        np.full(len(getattr(d, tables).rows), w / max(len(getattr(d, tables).rows), 1))
        for d, w in zip(data, per_question, strict=True)
    ]
    out = np.concatenate(parts) if parts else np.zeros(0)
    return out * (len(out) / out.sum()) if out.sum() else out


def fit_answer(data: Sequence[LabelledQuery]) -> LogisticModel:
    """Answerability from one row per question; both classes weigh the same in total."""
    asked = [d for d in data if d.full.rows]
    first_rows = [FeatureTable(d.full.rows[:1], d.full.names, d.full.values[:1]) for d in asked]
    labels = np.array([float(d.answerable) for d in asked])
    weights = _set_weights(asked)
    for value in (0.0, 1.0):
        share = weights[labels == value].sum()
        if share:
            weights[labels == value] *= len(asked) / 2 / share
    return fit_linear(
        first_rows,
        [labels[i : i + 1] for i in range(len(asked))],
        weights,
        ANSWER_FEATURES,
        ANSWER_REGULARISATION,
    )


def _pairs(
    data: Sequence[LabelledQuery], names, scale: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Standardised differences relevant - non-relevant within each question, and their
    weights (each question its set weight, shared among its pairs)."""
    diffs, weights = [], []
    for item, w in zip(data, _set_weights(data), strict=True):
        x = item.full.select(names) / scale
        labels = item.full_labels.astype(bool)
        order = np.argsort(-item.full.column("convex"), kind="stable")
        negatives = [i for i in order if not labels[i]][:HARD_NEGATIVES]
        positives = np.flatnonzero(labels)
        if not negatives or not len(positives):
            continue
        d = (x[positives][:, None, :] - x[negatives][None, :, :]).reshape(-1, len(names))
        diffs.append(d)
        weights.append(np.full(len(d), w / len(d)))
    return np.vstack(diffs), np.concatenate(weights)


def fit_hit(
    data: Sequence[LabelledQuery], names=RANK_FEATURES, tree_names=TREE_FEATURES
) -> LogisticModel:
    """The linear model (pairwise direction, then Platt scaling of it), then trees boosted
    on its logit, then Platt scaling of the sum over each question's top candidates (see
    the module); ``tree_names=()`` gives the linear model alone."""
    answerable = [d for d in data if d.answerable and d.full.rows and d.full_labels.any()]
    if not answerable:
        raise ValueError("The eval sets give no relevant candidate to fit on")
    linear = _fit_linear_hit(answerable, names)
    if not tree_names:
        return linear
    trees = _boost(answerable, linear, tree_names)
    boosted = dataclasses.replace(linear, trees=tuple(trees))
    slope, intercept = _platt_top(answerable, boosted)
    return dataclasses.replace(
        linear,
        coef=tuple(round(c * slope, 6) for c in linear.coef),
        intercept=round(linear.intercept * slope + intercept, 6),
        trees=tuple(scaled(tree, slope) for tree in trees),
    )


def _fit_linear_hit(answerable: Sequence[LabelledQuery], names) -> LogisticModel:
    from sklearn.linear_model import LogisticRegression  # only needed to fit

    x = np.vstack([d.full.select(names) for d in answerable])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    diffs, weights = _pairs(answerable, names, scale)
    weights *= len(weights) / weights.sum()
    both = np.vstack([diffs, -diffs])
    target = np.r_[np.ones(len(diffs)), np.zeros(len(diffs))]
    pairwise = LogisticRegression(C=REGULARISATION, max_iter=3000, fit_intercept=False)
    pairwise.fit(both, target, sample_weight=np.r_[weights, weights])
    direction = pairwise.coef_[0]
    score = ((x - mean) / scale) @ direction
    platt = LogisticRegression(C=1.0, max_iter=2000)
    platt.fit(
        score[:, None],
        np.concatenate([d.full_labels for d in answerable]),
        sample_weight=_rows_weights(answerable, "full"),
    )
    return LogisticModel(
        features=tuple(names),
        mean=tuple(round(float(v), 6) for v in mean),
        scale=tuple(round(float(v), 6) for v in scale),
        coef=tuple(round(float(v), 6) for v in direction * platt.coef_[0][0]),
        intercept=round(float(platt.intercept_[0]), 6),
    )


def _boost(answerable: Sequence[LabelledQuery], linear: LogisticModel, names) -> list[Tree]:
    """LambdaMART trees over ``names`` that correct the linear model's order, boosted from
    its logit; each question weighs its set weight (:func:`_set_weights`)."""
    import lightgbm  # only needed to fit

    weights = _set_weights(answerable)
    dataset = lightgbm.Dataset(
        np.vstack([d.full.select(names) for d in answerable]),
        np.concatenate([d.full_labels for d in answerable]).astype(int),
        group=[len(d.full.rows) for d in answerable],
        weight=np.concatenate(
            [np.full(len(d.full.rows), w) for d, w in zip(answerable, weights, strict=True)]
        )
        * (len(answerable) / weights.sum()),
        init_score=np.concatenate([linear.logit(d.full) for d in answerable]),
        feature_name=list(names),
    )
    params = {"objective": "lambdarank", "verbosity": -1, "deterministic": True, "seed": 1}
    booster = lightgbm.train({**params, **BOOSTING}, dataset, num_boost_round=BOOSTING_ROUNDS)
    return trees_of(booster, names)


def _platt_top(answerable: Sequence[LabelledQuery], model: LogisticModel) -> tuple[float, float]:
    """Slope and intercept that calibrate ``model``'s logit on each question's
    :data:`CALIBRATION_TOP` best candidates (the hits a reader can see), each question
    weighing its set weight."""
    from sklearn.linear_model import LogisticRegression  # only needed to fit

    scores, labels, weights = [], [], []
    for item, w in zip(answerable, _set_weights(answerable), strict=True):
        logit = model.logit(item.full)
        top = np.argsort(-logit, kind="stable")[:CALIBRATION_TOP]
        scores.append(logit[top])
        labels.append(item.full_labels[top])
        weights.append(np.full(len(top), w / len(top)))
    weight = np.concatenate(weights)
    platt = LogisticRegression(C=1.0, max_iter=2000)
    platt.fit(
        np.concatenate(scores)[:, None],
        np.concatenate(labels),
        sample_weight=weight * (len(weight) / weight.sum()),
    )
    return float(platt.coef_[0][0]), float(platt.intercept_[0])


def fit_model(
    data: Sequence[LabelledQuery],
    info: dict | None = None,
    rank: Sequence[str] = RANK_FEATURES,
    lexical_features: Sequence[str] = LEXICAL_FEATURES,
    gate: Sequence[str] = DEFAULT_GATE,
    ranking: RelevanceModel | None = None,
) -> RelevanceModel:
    """The three models and the floor from labelled dev questions (``rank``: the hit
    model's features, ``lexical_features``: the lexical model's, ``gate``: the query-level
    columns relevance is multiplied by, before the floor is fitted). With ``ranking`` its
    hit and lexical models are kept (every ranking stays as it is) and only the
    answerability model and the floor are fitted."""
    if ranking is not None:
        hit, lexical = ranking.hit, ranking.lexical
    else:
        hit = fit_hit(data, rank)
        asked = [d for d in data if d.lexical.rows]
        lexical = fit_linear(
            [d.lexical for d in asked],
            [d.lexical_labels for d in asked],
            _rows_weights(asked, "lexical"),
            lexical_features,
        )
    model = RelevanceModel(hit, fit_answer(data), lexical, 0.0, dict(info or {}), tuple(gate))
    return dataclasses.replace(model, floor=fit_floor(model, data))


@dataclass(frozen=True)
class Reliability:
    """Predicted relevance against observed precision, over the top 10 of each question."""

    bins: list[tuple[float, float]]
    count: list[int]
    predicted: list[float]
    observed: list[float]


def reliability(model: RelevanceModel, data: Sequence[LabelledQuery], bins: int = 5) -> Reliability:
    edges = np.linspace(0, 1, bins + 1)
    predicted, observed = [], []
    for item in data:
        relevance = model.predict(item.full)
        top = np.argsort(-relevance, kind="stable")[:10]
        predicted.extend(relevance[top].tolist())
        observed.extend(item.full_labels[top].tolist())
    p, o = np.asarray(predicted), np.asarray(observed)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    return Reliability(
        bins=[(float(edges[b]), float(edges[b + 1])) for b in range(bins)],
        count=[int((which == b).sum()) for b in range(bins)],
        predicted=[float(p[which == b].mean()) if (which == b).any() else 0.0 for b in range(bins)],
        observed=[float(o[which == b].mean()) if (which == b).any() else 0.0 for b in range(bins)],
    )


def floor_figures(model: RelevanceModel, data: Sequence[LabelledQuery]) -> dict[str, float | None]:
    """Share of answerable questions (relevant hit in the top 10) whose first relevant hit
    passes the floor, and share of no-answer questions with nothing at or above it."""
    firsts = [first_relevant(model, d) for d in data if d.answerable]
    found = [v for v in firsts if v is not None]
    nothing = [best_relevance(model, d) < model.floor for d in data if not d.answerable]
    return {
        "answerable_kept": sum(v >= model.floor for v in found) / len(found) if found else None,
        "no_answer_empty": sum(nothing) / len(nothing) if nothing else None,
        "answerable": len(found),
        "no_answer": len(nothing),
    }


@dataclass(frozen=True)
class FloorPoint:
    """At ``floor``: share of answerable questions (relevant hit in the top 10) keeping their
    first relevant hit, and share of no-answer questions given nothing."""

    floor: float
    answerable_kept: float
    no_answer_empty: float


def floor_curve(
    model: RelevanceModel, data: Sequence[LabelledQuery], floors: Sequence[float]
) -> list[FloorPoint]:
    firsts = [v for v in (first_relevant(model, d) for d in data if d.answerable) if v is not None]
    bests = [best_relevance(model, d) for d in data if not d.answerable]
    return [
        FloorPoint(
            floor,
            sum(v >= floor for v in firsts) / len(firsts) if firsts else 0.0,
            sum(v < floor for v in bests) / len(bests) if bests else 0.0,
        )
        for floor in floors
    ]
