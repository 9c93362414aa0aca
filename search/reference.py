"""The plain reference every ranking change is measured against (issue 13 §2).

Deliberately simple, so that it stays a fixed yardstick while the engine changes:

* **Chunks**: each document's page text (the store's cleaned text; the snapshot's passages
  joined in order when the store has none for that version) cut into consecutive chunks of
  exactly :data:`CHUNK_WORDS` whitespace-separated words (the last chunk of a page may be
  shorter). No overlap, no section boundaries, no headings added.
* **ref-bm25**: bm25s (Lucene BM25, k1 1.5, b 0.75) over lowercased ``\\w\\w+`` tokens with
  bm25s's Danish stop words removed and Snowball Danish stemming (PyStemmer). No compound
  splitting, no query coverage, no spelling folds.
* **ref-dense**: exact cosine with the engine's embedder (its e5 "passage: " / "query: "
  prefixes), chunk vectors read through the store's embedding cache (model id + sha256 of
  the chunk text), so a second build over the same documents embeds nothing.
* **ref-hybrid**: reciprocal rank fusion, ``sum 1 / (RRF_K + rank)`` with 1-based ranks, over
  the top :data:`DEPTH` of each list; ties go to the better single rank, then the lower row.
* **Pages** (``pages=True``): a page scores as its best chunk (max-pooling), so a page is
  ranked where its first chunk appears in the chunk ranking.

It has no calibrated relevance and no floor: its scores only order its own results.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_DANISH

from ..store import Store
from ..text import embed_sha256
from .catalog import Catalog
from .dense import DenseIndex
from .embed.base import Embedder
from .embedding import embed_with_cache

CHUNK_WORDS = 150
DEPTH = 100  # per retriever, as the engine's candidate lists
RRF_K = 60


class RefMode(StrEnum):
    BM25 = "ref-bm25"
    DENSE = "ref-dense"
    HYBRID = "ref-hybrid"


@dataclass(frozen=True)
class SourceDocument:
    """One page as the reference reads it: its id and its plain text."""

    id: str
    text: str


@dataclass(frozen=True)
class Chunk:
    row: int
    document_id: str
    ordinal: int  # position of the chunk within its document
    text: str


@dataclass(frozen=True)
class ReferenceHit:
    chunk: Chunk
    score: float

    @property
    def text(self) -> str:
        return self.chunk.text

    @property
    def document_id(self) -> str:
        return self.chunk.document_id


@dataclass(frozen=True)
class ReferenceStats:
    documents: int
    chunks: int
    embedded: int  # chunks embedded by this build (the rest came from the cache)
    seconds: float


def chunk_words(text: str, size: int = CHUNK_WORDS) -> list[str]:
    """``text`` as consecutive chunks of exactly ``size`` words (single-space joined); the
    last chunk holds what is left. Empty text gives no chunk."""
    words = text.split()
    return [" ".join(words[i : i + size]) for i in range(0, len(words), size)]


def rrf(lists: Sequence[Sequence[int]], k: float = RRF_K) -> list[tuple[int, float]]:
    """Reciprocal rank fusion of best-first lists of rows: ``(row, sum 1/(k + rank))``,
    best first; ties go to the better best rank, then the lower row."""
    scores: dict[int, float] = {}
    best: dict[int, int] = {}
    for ranking in lists:
        for rank, row in enumerate(ranking, start=1):
            scores[row] = scores.get(row, 0.0) + 1.0 / (k + rank)
            best[row] = min(best.get(row, rank), rank)
    order = sorted(scores, key=lambda row: (-scores[row], best[row], row))
    return [(row, scores[row]) for row in order]


def pool_pages(hits: Iterable[ReferenceHit]) -> list[ReferenceHit]:
    """One hit per document, its best chunk (max-pooling), in the order of ``hits``
    (best first)."""
    seen: set[str] = set()
    pooled = []
    for hit in hits:
        if hit.document_id not in seen:
            seen.add(hit.document_id)
            pooled.append(hit)
    return pooled


def _tokenize(texts: Sequence[str], stemmer: Stemmer.Stemmer) -> list[list[str]]:
    return bm25s.tokenize(
        [unicodedata.normalize("NFC", t) for t in texts],
        stopwords=list(STOPWORDS_DANISH),
        stemmer=stemmer.stemWords,
        return_ids=False,
        show_progress=False,
    )


class Reference:
    """The plain reference over a fixed set of documents; see the module docstring."""

    def __init__(
        self,
        chunks: list[Chunk],
        vectors: np.ndarray,
        embedder: Embedder,
        stats: ReferenceStats,
    ) -> None:
        self.chunks = chunks
        self.embedder = embedder
        self.stats = stats
        self._stemmer = Stemmer.Stemmer("danish")
        self._dense = DenseIndex.build(vectors, exact_limit=len(chunks) + 1)
        self._bm25: bm25s.BM25 | None = None
        if chunks:
            self._bm25 = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
            self._bm25.index(
                _tokenize([c.text for c in chunks], self._stemmer), show_progress=False
            )

    @classmethod
    def build(
        cls,
        documents: Iterable[SourceDocument],
        embedder: Embedder,
        store: Store,
        *,
        batch_size: int = 32,
        progress: bool = True,
    ) -> Reference:
        """Chunk ``documents`` and embed the chunks through ``store``'s embedding cache."""
        started = time.perf_counter()
        documents = list(documents)
        chunks: list[Chunk] = []
        for doc in documents:
            for ordinal, text in enumerate(chunk_words(doc.text)):
                chunks.append(Chunk(len(chunks), doc.id, ordinal, text))
        texts = [c.text for c in chunks]
        if texts:
            vectors, embedded = embed_with_cache(
                store,
                embedder,
                texts,
                [embed_sha256(t) for t in texts],
                batch_size=batch_size,
                progress=progress,
                label="Embedding reference chunks",
            )
        else:
            vectors, embedded = np.zeros((0, embedder.dimension), np.float32), 0
        stats = ReferenceStats(len(documents), len(chunks), embedded, time.perf_counter() - started)
        return cls(chunks, vectors, embedder, stats)

    def search(
        self, query: str, mode: RefMode | str, k: int = 10, *, pages: bool = False
    ) -> list[ReferenceHit]:
        return self.batch_search([query], mode, k, pages=pages)[0]

    def batch_search(
        self, queries: Sequence[str], mode: RefMode | str, k: int = 10, *, pages: bool = False
    ) -> list[list[ReferenceHit]]:
        """The ``k`` best chunks (or with ``pages``, pages by their best chunk) per query."""
        mode = RefMode(mode)
        vectors = self.embedder.encode_queries(list(queries)) if mode is not RefMode.BM25 else None
        results = []
        for i, query in enumerate(queries):
            lists = []
            if mode is not RefMode.DENSE:
                lists.append(self._bm25_rows(query))
            if vectors is not None:
                lists.append([(h.row, h.score) for h in self._dense.search(vectors[i], DEPTH)])
            if mode is RefMode.HYBRID:
                ranked = rrf([[row for row, _ in ranking] for ranking in lists])
            else:
                ranked = lists[0]
            hits = [ReferenceHit(self.chunks[row], score) for row, score in ranked]
            results.append((pool_pages(hits) if pages else hits)[:k])
        return results

    def _bm25_rows(self, query: str) -> list[tuple[int, float]]:
        """The top :data:`DEPTH` chunks by BM25, positive scores only, best first."""
        if self._bm25 is None:
            return []
        vocab = self._bm25.vocab_dict
        ids = [vocab[t] for t in _tokenize([query], self._stemmer)[0] if t in vocab]
        if not ids:
            return []
        scores = np.asarray(self._bm25.get_scores_from_ids(ids), dtype=np.float32)
        rows = np.flatnonzero(scores > 0)
        if rows.size > DEPTH:
            rows = rows[np.argpartition(-scores[rows], DEPTH - 1)[:DEPTH]]
        order = np.lexsort((rows, -scores[rows]))
        return [(int(rows[i]), float(scores[rows[i]])) for i in order]


def reference_documents(catalog: Catalog, store: Store) -> list[SourceDocument]:
    """The documents of the engine's snapshot, each with the store's cleaned page text when
    the store holds the same version of it (same sha256), else the snapshot's passages
    joined in order (an older store without cleaned text, or a store that moved on)."""
    versions = {r["id"]: r["sha256"] for r in catalog.query("SELECT id, sha256 FROM documents")}
    stored = {
        r["id"]: r["cleaned_text"]
        for r in store.conn.execute("SELECT id, sha256, cleaned_text FROM documents")
        if versions.get(r["id"]) == r["sha256"] and r["cleaned_text"].strip()
    }
    passages: dict[str, list[str]] = {}
    for p in catalog.passages:  # in row order = document, then ordinal
        passages.setdefault(p.document_id, []).append(p.text)
    return [
        SourceDocument(doc_id, stored.get(doc_id) or "\n\n".join(passages.get(doc_id, [])))
        for doc_id in sorted(catalog.documents)
    ]
