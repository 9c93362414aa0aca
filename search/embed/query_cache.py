"""An LRU cache of query vectors in front of any embedder.

Staff repeat queries (the same question from many desks, the same query paged or filtered),
and embedding a query is most of a dense search's work. The cache key is
``(model_id, normalised query)``; the normalised query is NFC with every run of whitespace
made one space and the ends stripped. The engine's tokenizer already treats any whitespace
run as one space (measured: cosine 1.0000 between the spellings), and the query that is
embedded is the normalised one, so a hit returns exactly what a miss would compute.

Passages pass through uncached: the store's embedding cache covers them.
"""

from __future__ import annotations

import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from .base import Embedder

DEFAULT_SIZE = 2048  # 2048 × 384 floats ≈ 3 MB


def normalise_query(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


class QueryCachingEmbedder(Embedder):
    """Wraps ``inner``: same identity (model_id, family, dimension) and passage vectors;
    query vectors come from an LRU of ``size`` entries, safe to share between threads."""

    def __init__(self, inner: Embedder, size: int = DEFAULT_SIZE) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.family = inner.family
        self.dimension = inner.dimension
        self.size = size
        self._vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def __getattr__(self, name: str):  # token_count, precision, ... of the wrapped backend
        if name == "inner":  # not set yet (during unpickling/copy): avoid recursion
            raise AttributeError(name)
        return getattr(self.inner, name)

    def describe(self) -> dict[str, object]:
        return self.inner.describe()

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.encode_passages(texts)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        keys = [(self.model_id, normalise_query(t)) for t in texts]
        found = self._lookup(keys)
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        if missing:
            vectors = self.inner.encode_queries([query for _, query in missing])
            computed = dict(zip(missing, vectors, strict=True))
            self._store(computed)
            found.update(computed)
        if not keys:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)

    def _lookup(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], np.ndarray]:
        found: dict[tuple[str, str], np.ndarray] = {}
        with self._lock:
            for key in keys:
                vector = self._vectors.get(key)
                if vector is None:
                    self.misses += 1
                    continue
                self._vectors.move_to_end(key)
                found[key] = vector
                self.hits += 1
        return found

    def clear(self) -> None:
        """Forget every query vector (a benchmark times questions asked for the first time)."""
        with self._lock:
            self._vectors.clear()

    def _store(self, computed: dict[tuple[str, str], np.ndarray]) -> None:
        with self._lock:
            for key, vector in computed.items():
                frozen = np.array(vector, dtype=np.float32)
                frozen.flags.writeable = False  # shared between requests: nobody may edit it
                self._vectors[key] = frozen
                self._vectors.move_to_end(key)
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)
