"""Embed passages through the store's embedding cache: only new or changed text is embedded."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from tqdm import tqdm

from ..store import Store
from .embed.base import Embedder


def embed_with_cache(
    store: Store,
    embedder: Embedder,
    texts: Sequence[str],
    hashes: Sequence[str],
    *,
    batch_size: int = 32,
    progress: bool = True,
    label: str = "Embedding",
) -> tuple[np.ndarray, int]:
    """Vectors for ``texts`` (rows in order) and how many had to be embedded now.

    Each batch is written to the cache as soon as it is embedded, so an interrupted
    build resumes where it stopped."""
    cached = store.cached_embeddings(embedder.model_id, list(dict.fromkeys(hashes)))
    missing = [i for i, digest in enumerate(hashes) if digest not in cached]
    unique: dict[str, int] = {}
    for i in missing:
        unique.setdefault(hashes[i], i)
    todo = list(unique.items())
    batches = range(0, len(todo), batch_size)
    for start in tqdm(batches, desc=label, unit="batch", disable=not progress or not todo):
        chunk = todo[start : start + batch_size]
        vectors = embedder.encode_passages([texts[i] for _, i in chunk])
        store.put_embeddings(
            embedder.model_id, [(d, v) for (d, _), v in zip(chunk, vectors, strict=True)]
        )
        cached.update({d: v for (d, _), v in zip(chunk, vectors, strict=True)})
    matrix = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    for i, digest in enumerate(hashes):
        matrix[i] = cached[digest]
    return matrix, len(todo)
