"""The embedder interface: every backend turns texts into L2-normalised float32 rows."""

from __future__ import annotations

import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np


def nfc(texts: Sequence[str]) -> list[str]:
    return [unicodedata.normalize("NFC", t) for t in texts]


class Embedder(ABC):
    """Encode queries and passages into one vector space.

    ``model_id`` names the weights (what the embedding cache is keyed by);
    ``family`` names the model family: two embedders of the same family
    produce interchangeable vectors (e.g. the bundled 4-bit e5 and the
    exported sentence-transformers e5), which snapshot compatibility checks use.
    """

    model_id: str
    family: str
    dimension: int

    @abstractmethod
    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    @abstractmethod
    def encode_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode_queries([text])[0]

    def describe(self) -> dict[str, object]:
        return {"model_id": self.model_id, "family": self.family, "dimension": self.dimension}


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vectors / norms, dtype=np.float32)
