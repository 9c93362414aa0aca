"""The searcher: query → dense and lexical candidates → features → calibrated relevance →
ranking (``learned`` by default, or ``rrf``/``convex``) → floor → diversity, snippets →
named results. ``search`` is a thin wrapper over ``batch_search``.

Every hit carries ``relevance`` (see :mod:`.relevance`); hits below the floor
(``min_relevance``, by default the fitted one) are not returned and not counted. When none
passes, the response names up to three nearest cases or sections instead."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Generic, TypeVar, cast

import numpy as np

from . import fields as heading_field
from .catalog import Catalog, PassageInfo
from .citation import passage_citation
from .dense import DenseHit, DenseIndex
from .dictionaries import danish_dictionary, english_dictionary
from .embed.base import Embedder
from .facets import allowed_rows, query_facets, with_selected
from .features import CANDIDATES, EvidenceSource, FeatureTable
from .fusion import fuse
from .lexical import LexicalIndex, LexicalScores
from .match import (
    PassageAnalyses,
    TypedWord,
    close_in_meaning,
    decide,
    is_link_line,
    typed_words,
    words_in,
)
from .relevance import RelevanceModel
from .sentence_index import (
    SENTENCE_CANDIDATES,
    SentenceIndex,
    heading_of,
    lift_by_sentences,
    sentences_of,
)
from .snapshot import InvalidSnapshot, Manifest, verify_snapshot
from .snippets import make_snippet
from .types import (
    WEAK_RELEVANCE,
    CaseRef,
    DocumentRef,
    FacetCount,
    Filters,
    Hit,
    Match,
    Mode,
    NearestTopic,
    SearchResponse,
)

FILTERED_CANDIDATES = 2000  # fetched per retriever when filters drop rows; CANDIDATES kept
RANKINGS_KEPT = 256  # recent rankings per snapshot (some 40 KB each on the seed corpus)
PAGES_KEPT = 8  # pages of results kept with each ranking (offset, k and floor vary)
MAX_PER_RESULT = 2  # hits of one case or one short document (see Catalog.result_unit)
MAX_NEAREST = 3


# What a loader raises on a file that passed its checksum yet cannot be read (e.g. written
# by a build this version cannot read); the snapshot is then unusable, like a damaged one.
LOAD_ERRORS = (sqlite3.Error, RuntimeError, ValueError, KeyError, TypeError, OSError)


@dataclass
class Snapshot:
    path: Path
    manifest: Manifest
    catalog: Catalog
    dense: DenseIndex
    lexical: LexicalIndex
    sentences: SentenceIndex

    @property
    def version(self) -> str:
        return self.manifest.version

    @classmethod
    def load(cls, path: Path) -> Snapshot:
        """Load the snapshot folder ``path`` after checking its manifest and every file's
        checksum (``verify_snapshot``). Raises InvalidSnapshot (OutdatedSnapshot for another
        format), a SnapshotError whose message says how to fix it and names no path."""
        manifest = verify_snapshot(path)
        catalog = None
        try:
            catalog = Catalog(path / "catalog.sqlite3")
            return cls(
                path=path,
                manifest=manifest,
                catalog=catalog,
                dense=DenseIndex.load(path / "dense.faiss"),
                lexical=LexicalIndex.load(path / "lexical"),
                sentences=SentenceIndex.load(path / "sentences"),
            )
        except LOAD_ERRORS as err:
            if catalog is not None:
                catalog.close()
            raise InvalidSnapshot(
                manifest.version, f"its files cannot be read ({type(err).__name__})"
            ) from err

    def close(self) -> None:
        self.catalog.close()


def check_compatible(manifest: Manifest, embedder: Embedder) -> None:
    """Raise SnapshotError unless ``embedder`` can query a snapshot built as ``manifest``
    says (see ``EmbedderInfo.require_compatible``)."""
    manifest.embedder.require_compatible(embedder)


@dataclass(frozen=True)
class Ranked:
    """One candidate passage in ranking order: the strategy's score and its relevance."""

    row: int
    score: float
    relevance: float


@dataclass(frozen=True)
class Kept:
    """A ranked candidate that survived diversity, with how many neighbours it folded in."""

    ranked: Ranked
    folded: int
    same_text: tuple[int, ...] = ()  # rows of other documents' passages with the same text


@dataclass(frozen=True)
class Candidates:
    """Everything one query's ranking was decided from: the retrievers' lists (rows, best
    first), the feature table of their union and the ranking with relevance; and the pages
    of results already shown from it, by (floor, offset, k), so that a repeated question
    builds no hit twice."""

    lists: dict[str, list[tuple[int, float]]]
    table: FeatureTable
    ranked: list[Ranked]
    pages: RecentValues[tuple[float, int, int], ResultPage] = field(
        default_factory=lambda: RecentValues(PAGES_KEPT), repr=False
    )


@dataclass(frozen=True)
class ResultPage:
    """One page of a ranking as shown: the hits, how many pass the floor, whether even
    the best of them is weak and, when none does, the nearest topics."""

    total: int
    results: list[Hit]
    nearest: list[NearestTopic]
    weak: bool = False


RankingKey = tuple[str, Mode, bytes | None, bytes | None]
K = TypeVar("K")
V = TypeVar("V")


class RecentValues(Generic[K, V]):
    """The ``size`` most recently used values by key, safe to share between threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._found: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, compute: Callable[[], V]) -> V:
        with self._lock:
            found = self._found.get(key)
            if found is not None:
                self._found.move_to_end(key)
                return found
        found = compute()  # outside the lock: two threads may compute the same value
        with self._lock:
            self._found[key] = found
            self._found.move_to_end(key)
            while len(self._found) > self.size:
                self._found.popitem(last=False)
        return found


class RankingCache(RecentValues[RankingKey, Candidates]):
    """The most recent rankings of one snapshot, keyed by everything a ranking is computed
    from: the query as typed, its vector, the mode and the rows the filters allow. Staff
    page through a question's results and ask the same questions from many desks; a later
    page or a repeat then reads its ranking instead of retrieving and scoring again. It
    belongs to the searcher, so it is dropped with the snapshot."""

    def __init__(self, size: int = RANKINGS_KEPT) -> None:
        super().__init__(size)

    @staticmethod
    def key(
        query: str, vector: np.ndarray | None, mode: Mode, allowed: set[int] | None
    ) -> RankingKey:
        # The allowed rows by digest: a key must stay small when a filter allows most of a
        # large corpus.
        rows = None if allowed is None else np.fromiter(sorted(allowed), np.int64, len(allowed))
        return (
            query,
            mode,
            None if vector is None else vector.tobytes(),
            None if rows is None else hashlib.blake2b(rows.tobytes(), digest_size=16).digest(),
        )


class Searcher:
    def __init__(
        self,
        snapshot: Snapshot,
        embedder: Embedder,
        fusion: str = "learned",
        weights: dict[str, float] | None = None,
        min_relevance: float | None = None,
        model: RelevanceModel | None = None,
    ) -> None:
        """``fusion`` names the hybrid ranking (``learned``, ``rrf`` or ``convex``);
        ``min_relevance`` is the default floor (None: the model's fitted floor)."""
        check_compatible(snapshot.manifest, embedder)
        self.snapshot = snapshot
        self.embedder = embedder
        self.fusion = fusion
        self.weights = weights
        self.model = model or RelevanceModel.load()
        self.min_relevance = self.model.floor if min_relevance is None else min_relevance
        self.evidence = EvidenceSource(
            snapshot.catalog, snapshot.dense, snapshot.lexical, snapshot.sentences
        )
        self.analyses = PassageAnalyses(snapshot.catalog, snapshot.lexical.analyzer)
        self.rankings = RankingCache()

    def warm_up(self) -> None:
        """Build now what the first search would otherwise wait for: the spelling suggester
        and the hunspell dictionaries (up to ~1.5 s), the marks of the sentence entries
        that are web addresses and the passages' text digests (``first_of_same_text``)."""
        _ = self.snapshot.lexical.speller
        danish_dictionary(), english_dictionary()
        _ = self._link_lines
        self.catalog.first_of_same_text(())

    @property
    def catalog(self) -> Catalog:
        return self.snapshot.catalog

    def search(
        self,
        query: str,
        k: int = 10,
        offset: int = 0,
        mode: Mode | str = Mode.HYBRID,
        filters: Filters | None = None,
        min_relevance: float | None = None,
        facets: Sequence[str] = (),
    ) -> SearchResponse:
        return self.batch_search(
            [query],
            k=k,
            offset=offset,
            mode=mode,
            filters=filters,
            min_relevance=min_relevance,
            facets=facets,
        )[0]

    def batch_search(
        self,
        queries: Sequence[str],
        k: int = 10,
        offset: int = 0,
        mode: Mode | str = Mode.HYBRID,
        filters: Filters | None = None,
        min_relevance: float | None = None,
        facets: Sequence[str] = (),
    ) -> list[SearchResponse]:
        """Ranked hits at or above the floor (``min_relevance``; None = the default floor,
        0 = no floor); ``total`` counts them after diversity. ``facets`` names the facet
        kinds whose values are counted over those hits (see ``facets.query_facets``)."""
        mode = Mode(mode)
        floor = self.min_relevance if min_relevance is None else min_relevance
        started = time.perf_counter()
        filters = filters or Filters()
        allowed = self._allowed_rows(filters)
        vectors = self.embedder.encode_queries(list(queries)) if mode is not Mode.LEXICAL else None
        responses = []
        for i, query in enumerate(queries):
            vector = vectors[i] if vectors is not None else None
            found = self._ranking(query, vector, mode, allowed)
            shown = self._page(query, vector, found, floor, offset, k)
            took = (time.perf_counter() - started) * 1000 / len(queries)
            responses.append(
                SearchResponse(
                    query=query,
                    mode=mode,
                    total=shown.total,
                    took_ms=round(took, 2),
                    offset=offset,
                    k=k,
                    min_relevance=floor,
                    results=shown.results,
                    nearest=shown.nearest,
                    weak=shown.weak,
                    suggestion=self.snapshot.lexical.speller.suggest(query),
                    facets=self._query_facets(
                        query, vector, mode, filters, floor, found.ranked, facets
                    )
                    if facets
                    else None,
                )
            )
        return responses

    def _page(
        self,
        query: str,
        vector: np.ndarray | None,
        found: Candidates,
        floor: float,
        offset: int,
        k: int,
    ) -> ResultPage:
        """Results ``offset``..``offset + k`` of ``found`` at or above ``floor``, built once
        per ranking and kept with it."""

        def build() -> ResultPage:
            collapsed = self._diversify([r for r in found.ranked if r.relevance >= floor])
            return ResultPage(
                total=len(collapsed),
                results=self._hits(
                    query, vector, collapsed[offset : offset + k], offset, found.table
                ),
                nearest=[] if collapsed else self._nearest(query, found.ranked),
                weak=bool(collapsed)
                and max(kept.ranked.relevance for kept in collapsed) < WEAK_RELEVANCE,
            )

        return found.pages.get((floor, offset, k), build)

    def candidates(
        self,
        query: str,
        vector: np.ndarray | None,
        mode: Mode = Mode.HYBRID,
        allowed: set[int] | None = None,
    ) -> Candidates:
        """Retrieve, compute features and relevance, and rank one query's candidates (no
        floor, no diversity). With a vector both retrievers run, so a passage's relevance
        does not depend on the mode; lexical mode has no vector and uses the lexical model.

        A passage's relevance does not depend on the filters either: it is computed among
        the unfiltered candidates, so a facet count and the results after selecting that
        value agree. Filtered lists reach deeper; rows found only there are scored in a
        second table that appends them to the unfiltered lists."""
        scores = self._lexical_scores(query, vector)
        full = self._lists(vector, scores, CANDIDATES if allowed is None else FILTERED_CANDIDATES)
        base = {name: found[:CANDIDATES] for name, found in full.items()}
        table = self.evidence.table(query, vector, base, scores)
        relevance = dict(zip(table.rows, self.model.predict(table).tolist(), strict=True))
        if allowed is None:
            return Candidates(base, table, self._rank(base, mode, scores, relevance))
        lists = {
            name: [(row, score) for row, score in found if row in allowed][:CANDIDATES]
            for name, found in full.items()
        }
        extra = {
            name: [hit for hit in found if hit[0] not in relevance] for name, found in lists.items()
        }
        if any(extra.values()):
            table = self.evidence.table(
                query, vector, {name: base[name] + extra[name] for name in base}, scores
            )
            predicted = self.model.predict(table).tolist()
            for row, value in zip(table.rows, predicted, strict=True):
                relevance.setdefault(row, value)
        return Candidates(lists, table, self._rank(lists, mode, scores, relevance))

    def _ranking(
        self, query: str, vector: np.ndarray | None, mode: Mode, allowed: set[int] | None
    ) -> Candidates:
        """``candidates``, from the recent rankings when this one is among them."""
        key = RankingCache.key(query, vector, mode, allowed)
        return self.rankings.get(key, lambda: self.candidates(query, vector, mode, allowed))

    def _lists(
        self, vector: np.ndarray | None, scores: LexicalScores | None, depth: int
    ) -> dict[str, list[tuple[int, float]]]:
        """Each retriever's ``(row, score)`` list, best first, ``depth`` long."""
        lists: dict[str, list[tuple[int, float]]] = {}
        if vector is not None:
            lists["dense"] = [(h.row, h.score) for h in self._dense(vector, depth)]
        if scores is not None:
            lists["lexical"] = [(h.row, h.score) for h in scores.top(depth)]
        return lists

    def _lexical_scores(self, query: str, vector: np.ndarray | None) -> LexicalScores | None:
        """BM25 evidence for the lexical list: lexical mode (no vector) ranks with the heading
        field and expands synonyms; the list hybrid fuses is plain BM25 (see :mod:`.fields`)."""
        lexical_mode = vector is None
        scores = self.snapshot.lexical.scores(
            query, synonyms=lexical_mode or heading_field.HYBRID_SYNONYMS
        )
        if scores is None:
            return None
        if not lexical_mode and not heading_field.HYBRID_HEADING_WEIGHT:
            return scores
        weight = None if lexical_mode else heading_field.HYBRID_HEADING_WEIGHT
        return self.evidence.headings.add_to(scores, weight)

    def _dense(self, vector: np.ndarray, depth: int) -> list[DenseHit]:
        """Passages by their own similarity, lifted by a closer sentence of theirs."""
        passage_hits = self.snapshot.dense.search(vector, depth)
        sentence_best = self.snapshot.sentences.passage_scores(vector, depth * SENTENCE_CANDIDATES)
        # The in-memory view, not one FAISS call per passage: each call releases the GIL,
        # and under concurrent requests every release is a wait to get it back.
        stored = self.evidence.passage_vectors
        return lift_by_sentences(
            passage_hits, sentence_best, lambda row: float(stored[row] @ vector)
        )[:depth]

    def _rank(
        self,
        lists: dict[str, list[tuple[int, float]]],
        mode: Mode,
        scores: LexicalScores | None,
        relevance: dict[int, float],
    ) -> list[Ranked]:
        """Dense and lexical modes keep their retriever's order; hybrid fuses by strategy."""
        if mode is not Mode.HYBRID:
            own = lists.get("dense" if mode is Mode.DENSE else "lexical", [])
            return [Ranked(row, score, relevance[row]) for row, score in own]
        if self.fusion == "learned":
            fused = fuse(lists, strategy="learned", relevance=relevance)
            return [Ranked(cast(int, f.id), f.score, f.score) for f in fused]
        # Word matches count as far as the corpus knows the query's words: for a question in
        # English (or full of typos) the lexical list holds chance matches ("social" in
        # "boligsocial"), so its weight shrinks with the share of words it could match.
        weights = {"dense": 1.0, "lexical": 1.0, **(self.weights or {})}
        if scores is not None and scores.words:
            weights["lexical"] *= sum(1 for w in scores.weights if w) / len(scores.words)
        fused = fuse(lists, strategy=self.fusion, weights=weights)
        return [Ranked(cast(int, f.id), f.score, relevance[cast(int, f.id)]) for f in fused]

    def _allowed_rows(self, filters: Filters) -> set[int] | None:
        return allowed_rows(self.catalog, filters)

    def _query_facets(
        self,
        query: str,
        vector: np.ndarray | None,
        mode: Mode,
        filters: Filters,
        floor: float,
        ranked: list[Ranked],
        kinds: Sequence[str],
    ) -> dict[str, list[FacetCount]]:
        """Each kind's values among the hits at or above the floor, counted as results. A
        kind with selected values is counted over a ranking without its own filter."""
        shown = [r for r in ranked if r.relevance >= floor]
        out = {}
        for kind in kinds:
            counts = query_facets(self.catalog, kind, shown, filters, self._result_rows)
            if filters.values(kind):
                allowed = allowed_rows(self.catalog, filters, ignore=kind)
                own = self._ranking(query, vector, mode, allowed).ranked
                hits = [r for r in own if r.relevance >= floor]
                others = query_facets(self.catalog, kind, hits, filters, self._result_rows)
                counts = with_selected(kind, others, counts, filters)
            out[kind] = counts
        return out

    def _result_rows(self, ranked: list[Ranked]) -> list[int]:
        return [kept.ranked.row for kept in self._diversify(ranked)]

    def _diversify(self, ranked: list[Ranked]) -> list[Kept]:
        """Show a text once (see ``Catalog.first_of_same_text``), fold a hit into an
        earlier one from the same section when their passages are adjacent, and keep at
        most MAX_PER_RESULT hits per case or short document, so one case or one web page
        cannot fill a page of results."""
        catalog = self.catalog
        passages = catalog.passages
        kept: list[Ranked] = []
        folded: list[int] = []
        shown: dict[tuple[str, int], list[int]] = {}  # (document, section) -> ordinals shown
        owner: dict[tuple[str, int, int], int] = {}  # (document, section, ordinal) -> kept index
        per_unit: dict[str, int] = {}
        distinct, same = catalog.first_of_same_text(item.row for item in ranked)
        wanted = set(distinct)
        for item in ranked:
            if item.row not in wanted:
                continue
            p = passages[item.row]
            key = (p.document_id, p.section_idx)
            near = next(
                (o for o in (p.ordinal - 1, p.ordinal + 1) if o in shown.get(key, [])), None
            )
            if near is not None:
                index = owner[(*key, near)]
                folded[index] += 1
                shown[key].append(p.ordinal)
                owner[(*key, p.ordinal)] = index
                continue
            unit = catalog.result_unit(p)
            if unit is not None:
                if per_unit.get(unit, 0) >= MAX_PER_RESULT:
                    continue
                per_unit[unit] = per_unit.get(unit, 0) + 1
            shown.setdefault(key, []).append(p.ordinal)
            owner[(*key, p.ordinal)] = len(kept)
            kept.append(item)
            folded.append(0)
        return [
            Kept(item, count, tuple(same.get(item.row, ())))
            for item, count in zip(kept, folded, strict=True)
        ]

    def _nearest(self, query: str, ranked: list[Ranked]) -> list[NearestTopic]:
        """Up to MAX_NEAREST distinct cases or sections of the most relevant candidates (one
        per short document, as in the results): what the corpus holds closest to a question
        it has no sure answer to. Front matter and adverts are no topic, and a query without
        a word of any language has none."""
        topics: dict[str, NearestTopic] = {}
        if not self.evidence.readable(query):
            return []
        catalog = self.catalog
        for item in sorted(ranked, key=lambda r: -r.relevance):
            p = catalog.passages[item.row]
            if not catalog.is_subject(p):
                continue
            key = catalog.result_unit(p) or f"section:{p.document_id}:{p.section_idx}"
            if key in topics:
                continue
            case = catalog.cases.get(p.case_id) if p.case_id else None
            if case is not None:
                kind, title = "case", case.title
            else:
                title = heading_of(p.section_path) or catalog.documents[p.document_id].title
                kind = "section"
            topics[key] = NearestTopic(
                kind=kind,
                title=title,
                case_id=case.id if case is not None else None,
                document_id=p.document_id,
                passage_id=p.id,
                section_path=p.section_path,
                relevance=round(item.relevance, 4),
            )
            if len(topics) == MAX_NEAREST:
                break
        return list(topics.values())

    def _hits(
        self,
        query: str,
        query_vector: np.ndarray | None,
        page: list[Kept],
        offset: int,
        table: FeatureTable | None = None,
    ) -> list[Hit]:
        texts = [self.catalog.passages[item.ranked.row].text for item in page]
        analyzer = self.snapshot.lexical.analyzer
        wanted = analyzer.marked_terms(query)
        spans = [
            self.analyses[item.ranked.row].body.matching_spans(wanted) if wanted else []
            for item in page
        ]
        words = typed_words(analyzer, query)
        best: list[str | None] = [None] * len(page)
        if query_vector is not None:
            # Hits that share no word with the query show their closest sentence instead.
            for n, found in enumerate(spans):
                if not found:
                    best[n] = self._best_sentence(page[n].ranked.row, texts[n], query_vector)
        matches = [
            self._match(words, query_vector, item.ranked.row, table, best[n])
            for n, item in enumerate(page)
        ]
        return [
            self._hit(item, offset + n + 1, spans[n], best[n], matches[n])
            for n, item in enumerate(page)
        ]

    def _match(
        self,
        query_words: Sequence[TypedWord],
        query_vector: np.ndarray | None,
        row: int,
        table: FeatureTable | None,
        best: str | None,
    ) -> Match:
        """Why the passage ``row`` matched (see :mod:`.match`), from the query's features."""
        p = self.catalog.passages[row]
        words = words_in(query_words, self.analyses[row].indexed)
        gap = None
        if table is not None and "cos_gap" in table.names and row in table.rows:
            gap = float(table.column("cos_gap")[table.rows.index(row)])
        by_meaning = not words or close_in_meaning(gap)
        if by_meaning and best is None and query_vector is not None:
            best = self._best_sentence(row, p.text, query_vector)
        return decide(words, gap, best)

    def _hit(
        self,
        item: Kept,
        rank: int,
        spans: Sequence[tuple[int, int]],
        best: str | None,
        match: Match | None = None,
    ) -> Hit:
        p: PassageInfo = self.catalog.passages[item.ranked.row]
        doc = self.catalog.documents[p.document_id]
        case = self.catalog.cases.get(p.case_id) if p.case_id else None
        return Hit(
            passage_id=p.id,
            rank=rank,
            score=round(item.ranked.score, 6),
            relevance=round(item.ranked.relevance, 4),
            text=p.text,
            snippet=make_snippet(p.text, spans),
            best_sentence=best,
            document=self._document_ref(p.document_id),
            section_path=p.section_path,
            theme=p.theme,
            page=p.page_start,
            case=CaseRef(id=case.id, title=case.title) if case else None,
            collapsed=item.folded,
            same_text_in=[
                self._document_ref(d)
                for d in dict.fromkeys(self.catalog.passages[r].document_id for r in item.same_text)
            ],
            cited_by=self._cited_by(doc.metadata),
            citation=passage_citation(doc, p),
            match=match,
        )

    def _document_ref(self, document_id: str) -> DocumentRef:
        doc = self.catalog.documents[document_id]
        return DocumentRef(id=doc.id, title=doc.title, year=doc.year, url=doc.url or doc.source)

    def _cited_by(self, metadata: dict[str, object]) -> list[CaseRef]:
        """The cases whose links led to this (fetched, linked) document."""
        refs: dict[str, CaseRef] = {}
        sources = metadata.get("linked_from")
        for source in sources if isinstance(sources, list) else []:
            case_id = source.get("case_id") if isinstance(source, dict) else None
            case = self.catalog.cases.get(case_id) if isinstance(case_id, str) else None
            if case is not None and case.id not in refs:
                refs[case.id] = CaseRef(id=case.id, title=case.title)
        return list(refs.values())

    @cached_property
    def _link_lines(self) -> np.ndarray:
        """Sentence entries that are mostly a web address: never shown as the closest one."""
        return np.array([is_link_line(t) for t in self.snapshot.sentences.texts], dtype=bool)

    def _best_sentence(self, row: int, text: str, query_vector: np.ndarray) -> str | None:
        """The passage's sentence closest to the query, from the snapshot's sentence vectors;
        a passage stored without them has at most one sentence, which is then the answer."""
        entry = self.evidence.closest_sentence(row, query_vector, skip=self._link_lines)
        if entry is not None:
            return self.snapshot.sentences.texts[entry]
        sentences = sentences_of(text, heading_of(self.catalog.passages[row].section_path))
        return sentences[0] if sentences else None
