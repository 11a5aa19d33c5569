"""Text → hashed n-gram features, vectorised with numpy (no per-character Python).

The text is first normalized by the same fast normalizer the keyword stage uses (NFKC, case,
invisible characters, separators/emoji dropped, traditional → simplified, homoglyphs, numerals), so
the classifier sees through the usual disguises. Features are hashed 1–3-grams of the normalized
characters plus 2–3-grams of their homophone classes (the "sound lane"): a homophone substitution
changes the characters but not the sound, so half of the evidence survives it.

Values are 1 + log(count), L2-normalised per text. The hash is fixed arithmetic (no Python ``hash``),
so features are identical across processes and machines — the shipped weights depend on it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from hegui.moderation.normalize import scan_channel

FEATURE_VERSION = "ngram-v2"
DEFAULT_BITS = 18

U64 = npt.NDArray[np.uint64]
Indices = npt.NDArray[np.int64]
Values = npt.NDArray[np.float32]

_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xBF58476D1CE4E5B9)
_M3 = np.uint64(0x94D049BB133111EB)
# (lane, n) → salt; a family is one n-gram order over one lane.
_FAMILIES: tuple[tuple[str, int, int], ...] = (
    ("plain", 1, 0x11), ("plain", 2, 0x12), ("plain", 3, 0x13),
    ("sound", 1, 0x21), ("sound", 2, 0x22), ("sound", 3, 0x23),
)
_CJK_FIRST, _CJK_LAST = 0x3400, 0x9FFF
_LOWER_A, _LOWER_Z = 0x61, 0x7A
_MAX_PINYIN_RUN = 48  # longer letter runs are not a disguised word


def _mix(salted_keys: U64, bits: int) -> Indices:
    """splitmix64 finaliser over already salted keys → top ``bits`` bits. One call for all families
    of a text (per-call numpy overhead dominates on short texts); unsigned array arithmetic wraps
    silently, which is what the hash wants."""
    h = salted_keys * _M1
    h ^= h >> np.uint64(31)
    h *= _M2
    h ^= h >> np.uint64(29)
    h *= _M3
    h ^= h >> np.uint64(32)
    return (h >> np.uint64(64 - bits)).astype(np.int64)


def _ngram_keys(codes: U64, n: int) -> U64:
    """One 63-bit key per n-gram (codes are < 2**21, so three fit side by side)."""
    if n == 1:
        return codes
    if n == 2:
        out: U64 = codes[:-1] | (codes[1:] << np.uint64(21))
        return out
    out = codes[:-2] | (codes[1:-1] << np.uint64(21)) | (codes[2:] << np.uint64(42))
    return out


def text_features(text: str, bits: int = DEFAULT_BITS) -> tuple[Indices, Values]:
    """Sorted unique feature indices of ``text`` and their weights (L2 norm 1; empty for no text)."""
    channel = scan_channel(text)
    plain = channel.plain.codes
    lanes = {"plain": plain.astype(np.uint64) & np.uint64(0x1FFFFF),
             "sound": _spelled_as_sounds(plain, channel.sound.codes).astype(np.uint64) & np.uint64(0x1FFFFF)}
    parts = [_ngram_keys(lanes[lane], n) + np.uint64(salt)
             for lane, n, salt in _FAMILIES if len(lanes[lane]) >= n]
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    hashed = np.sort(_mix(np.concatenate(parts), bits))
    first = np.empty(len(hashed), dtype=bool)  # np.unique(return_counts=True), without its overhead
    first[0] = True
    np.not_equal(hashed[1:], hashed[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    idx = hashed[starts]
    counts = np.diff(np.append(starts, len(hashed)))
    vals = (1.0 + np.log(counts)).astype(np.float32)
    vals /= np.float32(np.sqrt(np.dot(vals, vals)))
    return idx, vals


def batch_features(texts: Sequence[str], bits: int = DEFAULT_BITS
                   ) -> tuple[npt.NDArray[np.int64], Indices, Values]:
    """CSR pieces (indptr, indices, values) for many texts."""
    indptr = np.zeros(len(texts) + 1, np.int64)
    all_idx: list[Indices] = []
    all_vals: list[Values] = []
    for i, text in enumerate(texts):
        idx, vals = text_features(text, bits)
        indptr[i + 1] = indptr[i] + len(idx)
        all_idx.append(idx)
        all_vals.append(vals)
    indices = np.concatenate(all_idx) if all_idx else np.zeros(0, np.int64)
    values = np.concatenate(all_vals) if all_vals else np.zeros(0, np.float32)
    return indptr, indices, values


@functools.cache
def _syllable_classes() -> dict[str, int]:
    from hegui.moderation.normalize.tables import CLASS_BASE, tables

    return {syl: CLASS_BASE + i for i, syl in enumerate(tables().syllables)}


def _segment(run: str, classes: dict[str, int]) -> list[int] | None:
    """Split a letter run into pinyin syllables (fewest syllables); None if it is not all pinyin."""
    n = len(run)
    best: list[list[int] | None] = [None] * (n + 1)
    best[0] = []
    for end in range(1, n + 1):
        for start in range(max(0, end - 6), end):
            prev = best[start]
            code = classes.get(run[start:end])
            current = best[end]
            if prev is not None and code is not None and (current is None or len(prev) + 1 < len(current)):
                best[end] = [*prev, code]
    return best[n]


def _spelled_as_sounds(plain: npt.NDArray[np.uint32], sound: npt.NDArray[np.uint32]
                       ) -> npt.NDArray[np.uint32]:
    """The sound lane with pinyin written in Latin letters ("ren") turned into the homophone class of
    the characters it spells (人, 仁 …), so "河南ren" and "河南人" share sound features.

    Only for texts that also hold CJK characters: that is where a pinyin word is a disguise, and
    segmenting every English word would cost time for nothing."""
    letters = (plain >= _LOWER_A) & (plain <= _LOWER_Z)
    if not letters.any() or not ((plain >= _CJK_FIRST) & (plain <= _CJK_LAST)).any():
        return sound
    classes = _syllable_classes()
    edges = np.flatnonzero(np.diff(np.concatenate(([0], letters.view(np.int8), [0]))))
    pieces: list[npt.NDArray[np.uint32]] = []
    at = 0
    for start, end in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
        run = plain[start:end].tobytes().decode("utf-32-le")
        codes = _segment(run, classes) if len(run) <= _MAX_PINYIN_RUN else None
        if codes is None:
            continue
        pieces += [sound[at:start], np.asarray(codes, dtype=np.uint32)]
        at = end
    if not pieces:
        return sound
    pieces.append(sound[at:])
    return np.concatenate(pieces)
