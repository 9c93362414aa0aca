"""Dense retrieval with FAISS on L2-normalised vectors (inner product = cosine).

Exact search (IndexFlatIP) up to a configurable size, HNSW above it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

HNSW_NEIGHBOURS = 32


@dataclass(frozen=True)
class DenseHit:
    row: int
    score: float


class DenseIndex:
    def __init__(self, index: faiss.Index) -> None:
        self.index = index

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    @property
    def kind(self) -> str:
        return "hnsw" if isinstance(self.index, faiss.IndexHNSWFlat) else "flat"

    @classmethod
    def build(cls, vectors: np.ndarray, exact_limit: int = 50_000) -> DenseIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = vectors.shape[1]
        if len(vectors) <= exact_limit:
            index: faiss.Index = faiss.IndexFlatIP(dim)
        else:
            index = faiss.IndexHNSWFlat(dim, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 200
            index.hnsw.efSearch = 128
        index.add(vectors)
        return cls(index)

    def search(self, query: np.ndarray, k: int) -> list[DenseHit]:
        return self.batch_search(np.atleast_2d(query), k)[0]

    def batch_search(self, queries: np.ndarray, k: int) -> list[list[DenseHit]]:
        if self.size == 0:
            return [[] for _ in range(len(queries))]
        k = min(k, self.size)
        scores, rows = self.index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        return [
            [DenseHit(int(r), float(s)) for r, s in zip(row_ids, row_scores, strict=True) if r >= 0]
            for row_ids, row_scores in zip(rows, scores, strict=True)
        ]

    def reconstruct(self, row: int) -> np.ndarray:
        return self.index.reconstruct(row)

    def save(self, path: Path) -> None:
        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        index = faiss.read_index(str(path))
        if isinstance(index, faiss.IndexHNSWFlat):
            index.hnsw.efSearch = 128
        return cls(index)
