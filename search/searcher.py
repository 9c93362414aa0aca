"""The searcher: query → dense and lexical candidates → fusion → filters, diversity,
snippets → named results. ``search`` is a thin wrapper over ``batch_search``."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .catalog import Catalog, PassageInfo
from .dense import DenseHit, DenseIndex
from .embed.base import Embedder
from .fusion import fuse
from .lexical import LexicalIndex
from .sentence_index import (
    SENTENCE_CANDIDATES,
    SentenceIndex,
    heading_of,
    lift_by_sentences,
    sentences_of,
)
from .snapshot import FORMAT_VERSION, SnapshotError, read_manifest
from .snippets import make_snippet
from .types import CaseRef, DocumentRef, Filters, Hit, Mode, SearchResponse

CANDIDATES = 100  # per retriever, deeper than any page
FILTERED_CANDIDATES = 2000
MAX_PER_CASE = 2


@dataclass
class Snapshot:
    path: Path
    manifest: dict[str, object]
    catalog: Catalog
    dense: DenseIndex
    lexical: LexicalIndex
    sentences: SentenceIndex

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    @classmethod
    def load(cls, path: Path) -> Snapshot:
        try:
            manifest = read_manifest(path)
        except FileNotFoundError:
            raise SnapshotError(f"{path} is not a snapshot (no manifest.json)") from None
        if manifest.get("format_version") != FORMAT_VERSION:
            raise SnapshotError(
                f"The index {path.name} has format {manifest.get('format_version')}, this version"
                f" reads format {FORMAT_VERSION}: run `vidensbank ingest --rebuild` (cached"
                " embeddings are reused)."
            )
        return cls(
            path=path,
            manifest=manifest,
            catalog=Catalog(path / "catalog.sqlite3"),
            dense=DenseIndex.load(path / "dense.faiss"),
            lexical=LexicalIndex.load(path / "lexical"),
            sentences=SentenceIndex.load(path / "sentences"),
        )

    def close(self) -> None:
        self.catalog.close()


def check_compatible(manifest: dict[str, object], embedder: Embedder) -> None:
    built = manifest.get("embedder") or {}
    assert isinstance(built, dict)
    if built.get("model_id") == embedder.model_id:
        return
    if (
        built.get("family")
        and built.get("family") == embedder.family
        and built.get("dimension") == embedder.dimension
    ):
        return
    raise SnapshotError(
        f"The index was built with embedder {built.get('model_id')!r} (family {built.get('family')!r}),"
        f" but queries would use {embedder.model_id!r} (family {embedder.family!r}); their vectors are"
        " not comparable. Set VIDENSBANK_EMBEDDER to the model the index was built with, or run"
        " `vidensbank ingest` to rebuild the index with the new model."
    )


class Searcher:
    def __init__(
        self,
        snapshot: Snapshot,
        embedder: Embedder,
        fusion: str = "convex",
        weights: dict[str, float] | None = None,
    ) -> None:
        check_compatible(snapshot.manifest, embedder)
        self.snapshot = snapshot
        self.embedder = embedder
        self.fusion = fusion
        self.weights = weights

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
    ) -> SearchResponse:
        return self.batch_search([query], k=k, offset=offset, mode=mode, filters=filters)[0]

    def batch_search(
        self,
        queries: Sequence[str],
        k: int = 10,
        offset: int = 0,
        mode: Mode | str = Mode.HYBRID,
        filters: Filters | None = None,
    ) -> list[SearchResponse]:
        mode = Mode(mode)
        filters = filters or Filters()
        started = time.perf_counter()
        allowed = self._allowed_rows(filters)
        depth = FILTERED_CANDIDATES if allowed is not None else CANDIDATES
        vectors = self.embedder.encode_queries(list(queries)) if mode is not Mode.LEXICAL else None
        responses = []
        for i, query in enumerate(queries):
            lists: dict[str, list[tuple[int, float]]] = {}
            if vectors is not None:
                hits = self._dense(vectors[i], depth)
                lists["dense"] = [
                    (h.row, h.score) for h in hits if allowed is None or h.row in allowed
                ]
            if mode is not Mode.DENSE:
                hits = self.snapshot.lexical.search(query, depth)
                lists["lexical"] = [
                    (h.row, h.score) for h in hits if allowed is None or h.row in allowed
                ]
            ranked = self._rank(lists, mode, query)
            collapsed = self._diversify(ranked)
            page = collapsed[offset : offset + k]
            results = self._hits(query, vectors[i] if vectors is not None else None, page, offset)
            took = (time.perf_counter() - started) * 1000 / len(queries)
            responses.append(
                SearchResponse(
                    query=query,
                    mode=mode,
                    total=len(collapsed),
                    took_ms=round(took, 2),
                    offset=offset,
                    k=k,
                    results=results,
                )
            )
        return responses

    def _dense(self, vector: np.ndarray, depth: int) -> list[DenseHit]:
        """Passages by their own similarity, lifted by a closer sentence of theirs."""
        dense = self.snapshot.dense
        passage_hits = dense.search(vector, depth)
        sentence_best = self.snapshot.sentences.passage_scores(vector, depth * SENTENCE_CANDIDATES)
        return lift_by_sentences(
            passage_hits, sentence_best, lambda row: float(dense.reconstruct(row) @ vector)
        )[:depth]

    def _rank(
        self, lists: dict[str, list[tuple[int, float]]], mode: Mode, query: str
    ) -> list[tuple[int, float]]:
        if mode is not Mode.HYBRID:
            return lists["dense" if mode is Mode.DENSE else "lexical"]
        # Word matches count as far as the corpus knows the query's words: for a question in
        # English (or full of typos) the lexical list holds chance matches ("social" in
        # "boligsocial"), so its weight shrinks with the share of words it could match.
        weights = {"dense": 1.0, "lexical": 1.0, **(self.weights or {})}
        weights["lexical"] *= self.snapshot.lexical.known_share(query)
        return [(int(f.id), f.score) for f in fuse(lists, strategy=self.fusion, weights=weights)]

    def _allowed_rows(self, filters: Filters) -> set[int] | None:
        docs = self.catalog.documents
        hide_superseded = not filters.include_superseded and any(
            d.superseded_by for d in docs.values()
        )
        if not filters.active() and not hide_superseded:
            return None
        allowed = set()
        for p in self.catalog.passages:
            doc = docs[p.document_id]
            if hide_superseded and doc.superseded_by and filters.document != doc.id:
                continue
            if filters.theme is not None and (p.theme or "").casefold() != filters.theme.casefold():
                continue
            if filters.document is not None and p.document_id != filters.document:
                continue
            if filters.year is not None and doc.year != filters.year:
                continue
            if filters.organisation is not None and filters.organisation.casefold() not in {
                o.casefold() for o in p.organisations
            }:
                continue
            allowed.add(p.row)
        return allowed

    def _diversify(self, ranked: list[tuple[int, float]]) -> list[tuple[int, float, int]]:
        """Fold a hit into an earlier one from the same section when their passages are
        adjacent, and keep at most MAX_PER_CASE hits per case, so one case cannot fill a page."""
        passages = self.catalog.passages
        kept: list[list[float]] = []  # [row, score, folded]
        shown: dict[tuple[str, int], list[int]] = {}  # (document, section) -> ordinals shown
        owner: dict[tuple[str, int, int], int] = {}  # (document, section, ordinal) -> kept index
        per_case: dict[str, int] = {}
        for row, score in ranked:
            p = passages[row]
            key = (p.document_id, p.section_idx)
            near = next(
                (o for o in (p.ordinal - 1, p.ordinal + 1) if o in shown.get(key, [])), None
            )
            if near is not None:
                index = owner[(*key, near)]
                kept[index][2] += 1
                shown[key].append(p.ordinal)
                owner[(*key, p.ordinal)] = index
                continue
            if p.case_id and per_case.get(p.case_id, 0) >= MAX_PER_CASE:
                continue
            per_case[p.case_id or ""] = per_case.get(p.case_id or "", 0) + 1
            shown.setdefault(key, []).append(p.ordinal)
            owner[(*key, p.ordinal)] = len(kept)
            kept.append([row, score, 0])
        return [(int(r), float(s), int(f)) for r, s, f in kept]

    def _hits(
        self,
        query: str,
        query_vector: np.ndarray | None,
        page: list[tuple[int, float, int]],
        offset: int,
    ) -> list[Hit]:
        texts = [self.catalog.passages[row].text for row, _, _ in page]
        spans = [self.snapshot.lexical.matching_spans(text, query) for text in texts]
        best: list[str | None] = [None] * len(page)
        if query_vector is not None:
            # Hits that share no word with the query show their closest sentence instead.
            for n, found in enumerate(spans):
                if not found:
                    best[n] = self._best_sentence(page[n][0], texts[n], query_vector)
        return [
            self._hit(row, score, offset + n + 1, folded, spans[n], best[n])
            for n, (row, score, folded) in enumerate(page)
        ]

    def _hit(
        self,
        row: int,
        score: float,
        rank: int,
        folded: int,
        spans: list[tuple[int, int]],
        best: str | None,
    ) -> Hit:
        p: PassageInfo = self.catalog.passages[row]
        doc = self.catalog.documents[p.document_id]
        case = self.catalog.cases.get(p.case_id) if p.case_id else None
        return Hit(
            passage_id=p.id,
            rank=rank,
            score=round(score, 6),
            text=p.text,
            snippet=make_snippet(p.text, spans),
            best_sentence=best,
            document=DocumentRef(
                id=doc.id, title=doc.title, year=doc.year, url=doc.url or doc.source
            ),
            section_path=p.section_path,
            theme=p.theme,
            page=p.page_start,
            case=CaseRef(id=case.id, title=case.title) if case else None,
            collapsed=folded,
            cited_by=self._cited_by(doc.metadata),
        )

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

    def _best_sentence(self, row: int, text: str, query_vector: np.ndarray) -> str | None:
        """The passage's sentence closest to the query, from the snapshot's sentence vectors;
        a passage stored without them has at most one sentence, which is then the answer."""
        best = self.snapshot.sentences.best_sentence(row, query_vector)
        if best is not None:
            return best
        sentences = sentences_of(text, heading_of(self.catalog.passages[row].section_path))
        return sentences[0] if sentences else None
