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
# lane → (n, salt); a family is one n-gram order over one lane.
_SALTS: dict[str, tuple[tuple[int, int], ...]] = {
    "plain": ((1, 0x11), (2, 0x12), (3, 0x13)),
    "sound": ((1, 0x21), (2, 0x22), (3, 0x23)),
}
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
    _indptr, idx, vals = span_features(text, [(0, len(text))], bits)
    return idx, vals


def span_features(text: str, spans: Sequence[tuple[int, int]], bits: int = DEFAULT_BITS
                  ) -> tuple[Indices, Indices, Values]:
    """CSR pieces (indptr, indices, values) for the windows ``spans`` of ``text`` (character offsets
    into the original text): each row holds the n-grams whose characters all lie inside its window.

    One normalization and one hashing pass serve every window of a text — the normalizer maps each
    character on its own, so a window's n-grams are exactly those of the whole text that fall inside
    it (only whether a Latin run reads as pinyin is decided once, for the whole text). Per-window
    numpy calls were ~80 % of the cost of scoring a 1 KB message window by window."""
    channel = scan_channel(text)
    plain = channel.plain.codes
    sound, sound_first, sound_last = _spelled_as_sounds(plain, channel.sound.codes)
    n_rows = len(spans)
    if not n_rows:
        return _no_features(0)
    # Window bounds in normalized characters (origin is non-decreasing): [start, stop).
    bounds = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
    start, stop = np.searchsorted(channel.origin, bounds.T, "left")
    keys: list[U64] = []
    lo_parts: list[Indices] = []
    hi_parts: list[Indices] = []
    for lane, codes in (("plain", plain), ("sound", sound)):
        masked = codes.astype(np.uint64) & np.uint64(0x1FFFFF)
        if lane == "plain" or sound_first is None or sound_last is None:  # one per character
            lo, hi = start, stop
        else:  # a pinyin syllable stands for its whole letter run
            lo, hi = np.searchsorted(sound_first, start), np.searchsorted(sound_last, stop)
        for n, salt in _SALTS[lane]:
            if len(masked) >= n:
                keys.append(_ngram_keys(masked, n) + np.uint64(salt))
                lo_parts.append(lo)
                hi_parts.append(hi - (n - 1))  # the n-gram's last element must be inside too
    if not keys:
        return _no_features(n_rows)
    hashed = _mix(np.concatenate(keys), bits)
    rows, members = _window_members(lo_parts, hi_parts, [len(k) for k in keys])
    # One sort over (row, feature) pairs gives every row's unique features and their counts.
    combined = np.sort((rows << np.int64(bits)) | hashed[members])
    if not len(combined):
        return _no_features(n_rows)
    first = np.empty(len(combined), dtype=bool)
    first[0] = True
    np.not_equal(combined[1:], combined[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    unique = combined[starts]
    counts = np.diff(np.append(starts, len(combined)))
    row_of = unique >> np.int64(bits)
    vals = (1.0 + np.log(counts)).astype(np.float32)
    norms = np.sqrt(np.bincount(row_of, weights=vals * vals, minlength=n_rows)).astype(np.float32)
    vals /= norms[row_of]
    indptr = np.searchsorted(row_of, np.arange(n_rows + 1, dtype=np.int64)).astype(np.int64)
    return indptr, unique & np.int64((1 << bits) - 1), vals


def _no_features(n_rows: int) -> tuple[Indices, Indices, Values]:
    return np.zeros(n_rows + 1, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)


def _window_members(lo_parts: list[Indices], hi_parts: list[Indices], sizes: list[int]
                    ) -> tuple[Indices, Indices]:
    """(row, n-gram) pairs: window w takes n-grams lo_parts[f][w] .. hi_parts[f][w] of family f
    (a contiguous run: the lanes are in text order), family f starting at sum(sizes[:f]) in the
    concatenated keys — built as one index array, no windows × n-grams matrix."""
    offsets = np.cumsum([0, *sizes[:-1]])
    lo = np.concatenate(lo_parts) + np.repeat(offsets, len(lo_parts[0]))
    hi = np.maximum(np.concatenate(hi_parts) + np.repeat(offsets, len(lo_parts[0])), lo)
    lengths = hi - lo
    rows = np.repeat(np.tile(np.arange(len(lo_parts[0]), dtype=np.int64), len(lo_parts)), lengths)
    # the concatenated ranges lo[i]..hi[i]: a running index shifted per range
    shift = np.repeat(lo - (np.cumsum(lengths) - lengths), lengths)
    members = np.arange(int(lengths.sum()), dtype=np.int64) + shift
    return rows, members


def batch_features(texts: Sequence[str], bits: int = DEFAULT_BITS
                   ) -> tuple[npt.NDArray[np.int64], Indices, Values]:
    """CSR pieces (indptr, indices, values) for many texts, each one row (training)."""
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
                       ) -> tuple[npt.NDArray[np.uint32], Indices | None, Indices | None]:
    """The sound lane with pinyin written in Latin letters ("ren") turned into the homophone class of
    the characters it spells (人, 仁 …), so "河南ren" and "河南人" share sound features; with, when
    that changed the lane, the first and last plain character each sound element stands for (a
    syllable stands for its whole letter run). ``None``: one element per plain character.

    Only for texts that also hold CJK characters: that is where a pinyin word is a disguise, and
    segmenting every English word would cost time for nothing."""
    letters = (plain >= _LOWER_A) & (plain <= _LOWER_Z)
    if not letters.any() or not ((plain >= _CJK_FIRST) & (plain <= _CJK_LAST)).any():
        return sound, None, None
    edges = np.flatnonzero(np.diff(np.concatenate(([0], letters.view(np.int8), [0]))))
    at_plain = np.arange(len(plain), dtype=np.int64)
    pieces: list[npt.NDArray[np.uint32]] = []
    first_parts: list[Indices] = []
    last_parts: list[Indices] = []
    at = 0
    for start, end in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
        codes = _pinyin_codes(plain[start:end].tobytes()) if end - start <= _MAX_PINYIN_RUN else None
        if codes is None:
            continue
        pieces += [sound[at:start], codes]
        first_parts += [at_plain[at:start], np.full(len(codes), start, np.int64)]
        last_parts += [at_plain[at:start], np.full(len(codes), end - 1, np.int64)]
        at = end
    if not pieces:
        return sound, None, None
    pieces.append(sound[at:])
    first_parts.append(at_plain[at:])
    last_parts.append(at_plain[at:])
    return np.concatenate(pieces), np.concatenate(first_parts), np.concatenate(last_parts)


@functools.lru_cache(maxsize=4096)
def _pinyin_codes(run_utf32: bytes) -> npt.NDArray[np.uint32] | None:
    """A letter run's syllable classes (cached: the same words recur), or None if not pinyin."""
    codes = _segment(run_utf32.decode("utf-32-le"), _syllable_classes())
    return None if codes is None else np.asarray(codes, dtype=np.uint32)
