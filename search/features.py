"""Relevance features: the absolute evidence the engine already holds about each candidate.

For one query, the candidates are the passages the dense and the lexical retriever returned
(top :data:`CANDIDATES` each). Every candidate gets the same features, whichever list found
it, all read from vectors and BM25 arrays that are already in memory (nothing is embedded at
query time):

* ``cos_passage``, ``cos_sentence``, ``cos_heading``: raw cosines of the query with the
  passage, its closest sentence and its section heading (a passage without sentence or
  heading vectors takes its own cosine); ``cos_best`` the largest of the three.
* ``cos_gap``: ``cos_best`` minus the query's best ``cos_best`` (0 for the closest passage).
  e5 cosines are compressed (most fall in 0.75-0.9), so the gap ranks while the absolute
  values calibrate.
* ``bm25`` (log1p of the plain BM25 sum), ``coverage`` (IDF-weighted share of the query's
  words in the passage) and ``coverage_gap`` (minus the query's best coverage).
* ``heading_match``: IDF-weighted share of the query's words in the document title or the
  passage's section path.
* ``dense_rr`` / ``lexical_rr``: ``1 / log2(1 + rank)`` in each retriever's list (0 when
  the passage is not in it).
* ``doc_cos`` / ``doc_hits``: the best ``cos_best`` among the candidates from the same
  document, and log1p of how many candidates that document has.
* ``known_share``, ``query_words``, ``top_cos``: query-level context (share of the query's
  words the corpus knows, log1p of its content words, the best ``cos_best`` of any
  candidate); they let the same evidence mean more for some queries than for others.
* ``dense_norm``, ``lexical_norm``, ``convex``: the ``convex`` strategy's evidence, the
  min-max normalised score in each retriever's list (the lexical one times ``known_share``)
  and their mean; relative within the query, so they rank but do not calibrate.
* ``cover_known``: ``coverage`` times ``known_share``, the share of the whole query covered.
* ``top_lift``: the query's best ``cos_best`` minus its mean cosine with an even sample of
  the corpus's passages (:data:`BASELINE_SAMPLE`). e5 gives every query its own offset (some
  queries are near everything); a question the corpus answers stands out from that
  baseline, one it cannot answer does not (seed dev: AUC 0.97 against 0.90 for the raw
  best cosine). ``best_cover``: the query's best ``cover_known``; ``best_bm25``: the query's
  best ``bm25`` (a question whose words are rare in the corpus and meet in one passage).
* ``top_margin``: the best passage cosine minus the :data:`MARGIN_RANK`-th best among the
  candidates (the last one in a smaller corpus). Relative to the corpus itself: on pages
  that all speak of one domain (housing), a question they do not answer is still close to
  many passages, but none stands out from the crowd, while the page that answers does. It
  also carries the corpus's size: the best-of features above are maxima over the corpus,
  and a maximum grows with the number it is taken over (on the whole LibreOffice help, a
  question it cannot answer finds a closer passage than on a 600-page sample of it), but so
  does the 50th best, so the margin shrinks where the same best match means less. It
  replaced the log of the passage count, whose fitted weight fell to nothing beside it
  (docs/BENCHMARKS.md).

* ``english_share``: how English the query is (:func:`.readable.english_share`), so that
  the answerability model reads ``known_share`` and the lexical evidence of an English
  question in a Danish corpus for what they are (few of its words can be known).

* ``readable_share``: the share of the query's content words that are words at all
  (:mod:`.readable`); not a model feature but a factor relevance is multiplied by.

Lexical mode has no query vector; its model reads :data:`LEXICAL_FEATURES` only. The hit
model ranks with :data:`RANK_FEATURES`; the answerability model reads the query-level
:data:`ANSWER_FEATURES` (see :mod:`.relevance`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import faiss
import numpy as np

from .catalog import Catalog
from .dense import DenseIndex
from .fields import HeadingField
from .lexical import LexicalIndex, LexicalScores
from .readable import english_share, readable_share
from .sentence_index import SentenceIndex

CANDIDATES = 100  # per retriever
BASELINE_SAMPLE = 512  # passages, evenly spaced, whose mean cosine is a query's baseline
MARGIN_RANK = 50  # top_margin: the best passage cosine minus the one at this rank

DENSE_FEATURES = (
    "cos_passage",
    "cos_sentence",
    "cos_heading",
    "cos_best",
    "cos_gap",
    "dense_rr",
    "doc_cos",
    "top_cos",
)
LEXICAL_FEATURES = (
    "bm25",
    "coverage",
    "coverage_gap",
    "heading_match",
    "lexical_rr",
    "doc_hits",
    "known_share",
    "query_words",
)
FUSION_FEATURES = ("dense_norm", "lexical_norm", "convex", "cover_known")
ANSWER_FEATURES = (
    "top_lift",
    "top_cos",
    "top_margin",
    "best_cover",
    "known_share",
    "best_bm25",
    "query_words",
    "english_share",
)
FEATURES = (
    DENSE_FEATURES
    + LEXICAL_FEATURES
    + FUSION_FEATURES
    + ("top_lift", "top_margin", "best_cover", "best_bm25", "english_share")
)
EXTRA_COLUMNS = ("readable_share",)  # no model feature: the relevance gate (see .relevance)
RANK_FEATURES = (
    "cos_best",
    "cos_gap",
    "dense_rr",
    "lexical_rr",
    "convex",
    "coverage_gap",
    "cover_known",
    "cos_heading",
    "cos_sentence",
)
# The trees boosted on the hit model also read the query's length and how much of it the
# corpus knows, and the title/heading match, so a match can count differently for a
# two-word query than for a question (see .relevance_fit.fit_hit).
TREE_FEATURES = (*RANK_FEATURES, "heading_match", "query_words", "known_share")


@dataclass(frozen=True)
class FeatureTable:
    """Feature values of one query's candidates: ``values[i]`` belongs to ``rows[i]``."""

    rows: list[int]
    names: tuple[str, ...]
    values: np.ndarray  # float64, shape (len(rows), len(names))

    def column(self, name: str) -> np.ndarray:
        return self.values[:, self.names.index(name)]

    def select(self, names: Sequence[str]) -> np.ndarray:
        """The columns ``names``, in that order."""
        return self.values[:, [self.names.index(n) for n in names]]


def _vectors(index: DenseIndex) -> np.ndarray:
    """A read-only view of a flat or HNSW index's stored vectors (no copy)."""
    flat = index.index
    if isinstance(flat, faiss.IndexHNSWFlat):
        flat = faiss.downcast_index(flat.storage)
    if flat.ntotal == 0:
        return np.zeros((0, flat.d), dtype=np.float32)
    view = faiss.rev_swig_ptr(flat.get_xb(), flat.ntotal * flat.d)  # type: ignore[attr-defined]
    return view.reshape(flat.ntotal, flat.d)


def _normalised(ordered: Sequence[int], found: Sequence[tuple[int, float]]) -> np.ndarray:
    """Per row of ``ordered``: its min-max normalised score in ``found`` (0 when absent; 1
    when all scores are equal), as the ``convex`` fusion strategy computes it."""
    if not found:
        return np.zeros(len(ordered))
    scores = dict(found)
    low, high = min(scores.values()), max(scores.values())
    return np.array(
        [
            ((scores[r] - low) / (high - low) if high > low else 1.0) if r in scores else 0.0
            for r in ordered
        ]
    )


def _margin(passage_cosines: np.ndarray) -> float:
    """The best cosine minus the MARGIN_RANK-th best (the last when there are fewer)."""
    if not len(passage_cosines):
        return 0.0
    ordered = np.sort(passage_cosines)[::-1]
    return float(ordered[0] - ordered[min(MARGIN_RANK, len(ordered)) - 1])


def _rank_feature(rows: Sequence[int]) -> dict[int, float]:
    return {row: 1.0 / math.log2(1 + rank) for rank, row in enumerate(rows, start=1)}


class EvidenceSource:
    """Per snapshot: vector views and each passage's heading and sentence entries, so that a
    query's features cost a few small matrix products."""

    def __init__(
        self,
        catalog: Catalog,
        dense: DenseIndex,
        lexical: LexicalIndex,
        sentences: SentenceIndex,
    ) -> None:
        self.catalog = catalog
        self.lexical = lexical
        # Keep the indexes referenced: the views point into their memory.
        self._indexes = (dense, sentences.dense)
        self.passage_vectors = _vectors(dense)
        step = max(1, len(self.passage_vectors) // BASELINE_SAMPLE)
        self.baseline_vectors = np.ascontiguousarray(self.passage_vectors[::step][:BASELINE_SAMPLE])
        self.entry_vectors = _vectors(sentences.dense)
        count = len(catalog.passages)
        owners = np.asarray(sentences.owners, dtype=np.int64)
        self.entry_start = np.searchsorted(owners, np.arange(count))
        self.entry_end = np.searchsorted(owners, np.arange(count) + 1)
        self.is_heading = np.asarray(sentences.headings, dtype=bool)
        self._heading_terms: dict[int, frozenset[str]] = {}

    @cached_property
    def headings(self) -> HeadingField:
        """The title-and-heading BM25 field (:mod:`.fields`), built on first use."""
        return HeadingField.build(self.catalog, self.lexical.analyzer)

    def readable(self, query: str) -> float:
        """The query's readable share (:mod:`.readable`) against this corpus's terms."""
        return readable_share(query, self.lexical.analyzer, self.lexical.knows)

    def heading_terms(self, row: int) -> frozenset[str]:
        """Index terms of the passage's document title and section path (cached)."""
        terms = self._heading_terms.get(row)
        if terms is None:
            p = self.catalog.passages[row]
            title = self.catalog.documents[p.document_id].title
            analyzer = self.lexical.analyzer
            terms = frozenset(analyzer.analyze(f"{title}\n{p.section_path}"))
            self._heading_terms[row] = terms
        return terms

    def cosines(self, rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """Per row: cosine with the passage, its best sentence and its heading (n, 3)."""
        passage = self.passage_vectors[rows] @ vector
        out = np.stack([passage, passage, passage], axis=1).astype(np.float64)
        starts, ends = self.entry_start[rows].tolist(), self.entry_end[rows].tolist()
        owned = [n for n, (start, end) in enumerate(zip(starts, ends, strict=True)) if end > start]
        if not owned:
            return out
        # One product per passage: BLAS rounds a product by its shape, so one product over
        # all entries would differ in the last bits and change relevance.
        sims = np.concatenate([self.entry_vectors[starts[n] : ends[n]] @ vector for n in owned])
        heading = np.concatenate([self.is_heading[starts[n] : ends[n]] for n in owned])
        sizes = [ends[n] - starts[n] for n in owned]
        bounds = np.cumsum([0, *sizes[:-1]])
        for column, mask in ((2, heading), (1, ~heading)):
            best = np.maximum.reduceat(np.where(mask, sims, -np.inf), bounds)
            found = np.isfinite(best)
            out[np.asarray(owned)[found], column] = best[found]
        return out

    def closest_sentence(
        self, row: int, vector: np.ndarray, skip: np.ndarray | None = None
    ) -> int | None:
        """The sentence entry of passage ``row`` closest to ``vector`` (None: it has none
        stored), chosen as ``SentenceIndex.best_sentence`` does, from the in-memory view
        rather than one FAISS call (and GIL release) per entry. Entries marked in ``skip``
        are passed over unless they are all the passage has."""
        start, end = int(self.entry_start[row]), int(self.entry_end[row])
        entries = [i for i in range(start, end) if not self.is_heading[i]]
        if skip is not None:
            entries = [i for i in entries if not skip[i]] or entries
        if not entries:
            return None
        return entries[int(np.argmax(self.entry_vectors[entries] @ vector))]

    def heading_match(self, rows: np.ndarray, scores: LexicalScores | None) -> np.ndarray:
        """IDF-weighted share of the query's words found in each row's title or section path."""
        if scores is None or not sum(scores.weights):
            return np.zeros(len(rows))
        total = sum(scores.weights)
        weighted = [
            (w, word.terms) for word, w in zip(scores.words, scores.weights, strict=True) if w
        ]
        out = [
            sum(w for w, terms in weighted if not self.heading_terms(row).isdisjoint(terms))
            for row in rows.tolist()
        ]
        return np.array(out, dtype=np.float64) / total

    def table(
        self,
        query: str,
        vector: np.ndarray | None,
        lists: Mapping[str, Sequence[tuple[int, float]]],
        scores: LexicalScores | None,
    ) -> FeatureTable:
        """Features of every row in ``lists`` (``dense`` and/or ``lexical``: ``(row, score)``
        pairs, best first)."""
        ranked = {name: [row for row, _ in found] for name, found in lists.items()}
        ordered = list(dict.fromkeys(row for rows in ranked.values() for row in rows))
        rows = np.asarray(ordered, dtype=np.int64)
        columns = self._lexical_columns(query, rows, ranked.get("lexical", []), scores)
        if vector is not None:
            columns.update(self._dense_columns(rows, vector, ranked.get("dense", [])))
            columns.update(self._fusion_columns(ordered, lists, columns))
            columns["english_share"] = np.full(len(rows), english_share(query))
        columns["readable_share"] = np.full(len(rows), self.readable(query))
        names = (FEATURES if vector is not None else LEXICAL_FEATURES) + EXTRA_COLUMNS
        values = np.column_stack([columns[n] for n in names]) if len(rows) else None
        return FeatureTable(ordered, names, np.zeros((0, len(names))) if values is None else values)

    def _dense_columns(
        self, rows: np.ndarray, vector: np.ndarray, ranked: Sequence[int]
    ) -> dict[str, np.ndarray]:
        cos = self.cosines(rows, vector)
        baseline = (
            float((self.baseline_vectors @ vector).mean()) if len(self.baseline_vectors) else 0.0
        )
        best = cos.max(axis=1)
        top = float(best.max()) if len(best) else 0.0
        rank = _rank_feature(ranked)
        doc_best: dict[str, float] = {}
        documents = [self.catalog.passages[int(r)].document_id for r in rows]
        for doc, value in zip(documents, best, strict=True):
            doc_best[doc] = max(doc_best.get(doc, -1.0), float(value))
        return {
            "cos_passage": cos[:, 0],
            "cos_sentence": cos[:, 1],
            "cos_heading": cos[:, 2],
            "cos_best": best,
            "cos_gap": best - top,
            "dense_rr": np.array([rank.get(int(r), 0.0) for r in rows]),
            "doc_cos": np.array([doc_best[d] for d in documents]),
            "top_cos": np.full(len(rows), top),
            "top_lift": np.full(len(rows), top - baseline),
            "top_margin": np.full(len(rows), _margin(cos[:, 0])),
        }

    def _fusion_columns(
        self,
        ordered: list[int],
        lists: Mapping[str, Sequence[tuple[int, float]]],
        columns: dict[str, np.ndarray],
    ) -> dict[str, np.ndarray]:
        """The convex strategy's normalised scores and the share of the query covered."""
        n = len(ordered)
        known = float(columns["known_share"][0]) if n else 0.0
        dense = _normalised(ordered, lists.get("dense", []))
        lexical = _normalised(ordered, lists.get("lexical", [])) * known
        cover = columns["coverage"] * known
        return {
            "dense_norm": dense,
            "lexical_norm": lexical,
            "convex": (dense + lexical) / (1.0 + known),
            "cover_known": cover,
            "best_cover": np.full(n, float(cover.max()) if n else 0.0),
            "best_bm25": np.full(n, float(columns["bm25"].max()) if n else 0.0),
        }

    def _lexical_columns(
        self,
        query: str,
        rows: np.ndarray,
        ranked: Sequence[int],
        scores: LexicalScores | None,
    ) -> dict[str, np.ndarray]:
        n = len(rows)
        if scores is not None:
            bm25, coverage = scores.bm25[rows].astype(np.float64), scores.coverage[rows]
            words = len(scores.words)
            known = sum(1 for w in scores.weights if w) / words if words else 0.0
        else:
            bm25, coverage = np.zeros(n), np.zeros(n)
            words, known = len(self.lexical.analyzer.query_words(query)), 0.0
        coverage = coverage.astype(np.float64)
        rank = _rank_feature(ranked)
        documents = [self.catalog.passages[int(r)].document_id for r in rows]
        per_doc: dict[str, int] = {}
        for doc in documents:
            per_doc[doc] = per_doc.get(doc, 0) + 1
        return {
            "bm25": np.log1p(bm25),
            "coverage": coverage,
            "coverage_gap": coverage - (coverage.max() if n else 0.0),
            "heading_match": self.heading_match(rows, scores),
            "lexical_rr": np.array([rank.get(int(r), 0.0) for r in rows]),
            "doc_hits": np.log1p([per_doc[d] for d in documents]),
            "known_share": np.full(n, known),
            "query_words": np.full(n, math.log1p(words)),
        }
