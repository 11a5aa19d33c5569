"""Plain, obviously-correct twins of the fast normalizer's pinyin helpers, for tests to compare the
hot path against (not shipped: nothing in hegui needs them)."""

from __future__ import annotations

import functools

import numpy as np

from hegui.moderation.normalize.fast import (
    _FEW_LETTERS,
    CLASS_BASE,
    I64,
    U32,
    Sounds,
    _merged_window_index,
    pinyin_sounds,
)
from hegui.moderation.normalize.tables import tables


def letter_positions(codes: U32) -> I64:
    """Where codes are Latin letters a-z."""
    return np.flatnonzero((codes >= 0x61) & (codes <= 0x7A)).astype(np.int64)


@functools.lru_cache(maxsize=1)
def _spelling_table() -> dict[int, str]:
    t = tables()
    table = {CLASS_BASE + i: syl for i, syl in enumerate(t.syllables)}
    table.update({c: chr(c) for c in range(0x61, 0x7B)})
    return table


def pinyin_sounds_small(codes: list[int]) -> Sounds:
    """``pinyin_sounds`` in plain Python: cheaper than a dozen numpy calls for a few dozen codes."""
    table = _spelling_table()
    parts = [table.get(c, "#") for c in codes]
    owner: list[int] = []
    starts = np.zeros(sum(map(len, parts)), dtype=np.bool_)
    at = 0
    for i, part in enumerate(parts):
        starts[at] = True
        owner.extend([i] * len(part))
        at += len(part)
    return Sounds("".join(parts).encode("ascii"), np.asarray(owner, dtype=np.int64), starts)


def pinyin_windows(all_codes: U32, letters: I64, w: int) -> tuple[list[int] | I64, U32, Sounds]:
    """Spell the parts of a sound lane that a pinyin-spelled term could occupy: ``w`` characters
    either side of each Latin letter (merged), all in one spelling, each window followed by an
    unpronounceable separator (never part of a pattern, so no match crosses windows). Returns, per
    spelled code, its index in ``all_codes`` (-1/any for separators), the codes and their spelling."""
    if len(letters) <= _FEW_LETTERS:
        return _windows_small(letters.tolist(), all_codes, w)
    return _windows_large(letters, all_codes, w)


def _windows_small(letters: list[int], all_codes: U32, w: int) -> tuple[list[int], U32, Sounds]:
    """The windows of a text with few letters, in plain Python (see ``_windows_large``)."""
    merged: list[list[int]] = []
    for p in letters:
        lo, hi = max(p - w, 0), min(p + w + 1, len(all_codes))
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    index: list[int] = []
    for lo, hi in merged:
        index.extend(range(lo, hi))
        index.append(-1)  # separator
    picked = all_codes[index].tolist()
    codes = [ord("#") if i < 0 else c for i, c in zip(index, picked, strict=True)]
    return index, np.asarray(codes, dtype=np.uint32), pinyin_sounds_small(codes)

def _windows_large(letters: I64, all_codes: U32, w: int) -> tuple[I64, U32, Sounds]:
    """All windows (letters ± w characters, merged) in one spelling for one scan, each followed by
    an unpronounceable separator (never part of a pattern, so no match crosses windows)."""
    merged = _merged_window_index(letters, len(all_codes), w)
    is_sep = merged < 0
    index = np.where(is_sep, 0, merged)
    codes = np.where(is_sep, np.uint32(ord("#")), all_codes[index]).astype(np.uint32)
    return index, codes, pinyin_sounds(codes)
