"""The keyword detector's pinyin pass: where are pinyin-spelled terms (falungong, fa lun gong, 法lun功)?

A pinyin-spelled term of n characters holds a Latin letter and reaches at most n - 1 channel
characters beyond the run of letters it holds (each character beyond is a whole term character, and
the run holds one at least), so only windows around the letter runs of the sound lane are spelled
in pinyin and scanned. Public lists hold a few terms of 50-100 characters; one window width for all
would spell (and scan with every pattern) ~100 characters around each letter. So the spellings are
grouped in tiers by term length (``PINYIN_TIERS``), each with its own matcher and window width: most
terms are short. A match counts when it begins and ends on whole characters (西安 is not 先) and holds
a letter (without one, the sound lane already found it as a homophone); the caller verifies it.

The last tier (terms longer than the last limit) is not scanned around every letter: its ~100-character
windows covered most of a text with some Latin in it. A pinyin-spelled hit of a long term holds a
letter, so one of the term's ``ANCHOR_CHARS``-character chunks holding that letter is itself a
pinyin match; the chunks are patterns of the tier before ("anchor" entries), and the long tier is
scanned only in the windows that overlap an anchor found (``around``). The hit lies inside one such
window: the windows of its letters cover it and merge into one.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Sequence

import numpy as np

from hegui.moderation.matcher import Matcher
from hegui.moderation.normalize import fast

# Tier limits in term characters: terms of up to 8, up to 24, longer (each tier's window width is its
# longest term). The last tier (public lists' sentences of up to ~100 characters) is anchored: the
# spellings of its terms' ``ANCHOR_CHARS``-character chunks are patterns of the tier before it.
PINYIN_TIERS = (8, 24)
ANCHOR_CHARS = PINYIN_TIERS[-1]
# Up to this many channel characters (a message), the pass works on str slices in plain Python: a
# dozen numpy calls per tier would cost more than the work.
SHORT_TEXT = 2048
# (tier, pattern id, start, end in the original text)
PinyinMatch = tuple[int, int, int, int]
_LETTER_RUN = re.compile("[a-z]+")
_LETTER = re.compile("[a-z]")


def pinyin_matches(channel: fast.Channel, tiers: Sequence[tuple[int, Matcher]],
                   around: Sequence[tuple[int, int]] | None = None) -> list[PinyinMatch]:
    """Candidate pinyin matches for ``tiers`` = (window width, matcher) in the channel's text;
    with ``around`` (spans of the original text), only in the windows that overlap one of them."""
    all_codes = channel.sound.codes
    if not tiers:
        return []
    ranges = None if around is None else _lane_ranges(channel, around)
    if len(all_codes) <= SHORT_TEXT:
        return _short_text(channel, tiers, ranges)
    letters = fast.letter_positions(all_codes)
    if not len(letters):
        return []
    out: list[PinyinMatch] = []
    whole: tuple[bytes, fast.I64] | None = None
    origin = channel.origin
    for tier, (width, matcher) in enumerate(tiers):
        index: fast.I64 | None = fast.window_index(letters, len(all_codes), width - 1)
        assert index is not None
        if ranges is not None:
            index = _windows_overlapping(index, ranges)
            if index is None:
                continue
        if len(index) >= len(all_codes):
            # The windows cover (about) the whole text: spell it once for every tier.
            whole = whole or fast.spell(all_codes)
            (data, starts), codes, index = whole, all_codes, None
        else:
            codes = fast.window_codes(all_codes, index)
            data, starts = fast.spell(codes)
        found = matcher.scan(data)
        if not found:
            continue
        for pid, first, last in _whole_with_letter(found, codes, starts):
            if index is not None:
                first, last = int(index[first]), int(index[last])
            out.append((tier, pid, int(origin[first]), int(origin[last]) + 1))
    return out


def _lane_ranges(channel: fast.Channel, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Original-text spans as [lo, hi) channel character ranges."""
    bounds = np.searchsorted(channel.origin, np.asarray(spans, dtype=np.int64).ravel()).tolist()
    return list(zip(bounds[0::2], bounds[1::2], strict=True))


def _windows_overlapping(index: fast.I64, ranges: list[tuple[int, int]]) -> fast.I64 | None:
    """Of the windows in ``index`` (``fast.window_index``: each window's codes, then -1), those
    overlapping one of ``ranges``; None for none."""
    ends = np.flatnonzero(index < 0)
    begins = np.concatenate(([0], ends[:-1] + 1))
    firsts, lasts = index[begins], index[ends - 1]
    keep = np.zeros(len(ends), dtype=bool)
    for lo, hi in ranges:
        keep |= (firsts < hi) & (lasts >= lo)
    if not keep.any():
        return None
    kept: fast.I64 = index[np.repeat(keep, ends - begins + 1)]
    return kept


def _short_text(channel: fast.Channel, tiers: Sequence[tuple[int, Matcher]],
                ranges: list[tuple[int, int]] | None = None) -> list[PinyinMatch]:
    """Each tier's windows are cut from the sound lane as str slices and spelled with one
    ``str.translate`` each; where a spelled character begins is worked out only for the few matches.
    With ``ranges``, only the windows overlapping one of them."""
    lane = channel.sound_text
    runs = [m.span() for m in _LETTER_RUN.finditer(lane)]
    if not runs:
        return []
    n = len(lane)
    table = fast.spelling_list()
    origin = channel.origin
    out: list[PinyinMatch] = []
    for tier, (width, matcher) in enumerate(tiers):
        windows = _merged_windows(runs, width - 1, n)
        if ranges is not None:
            windows = [(lo, hi) for lo, hi in windows if any(a < hi and lo < b for a, b in ranges)]
            if not windows:
                continue
        pieces = [lane[lo:hi].translate(table) for lo, hi in windows]
        found = matcher.scan("#".join(pieces).encode("ascii"))  # "#" is no sound: never in a pattern
        if not found:
            continue
        # Where each window's spelling begins in the scanned bytes.
        begins = list(itertools.accumulate((len(p) + 1 for p in pieces[:-1]), initial=0))
        starts_of: dict[int, list[int]] = {}
        for pid, sb, eb in found:
            w = bisect.bisect_right(begins, sb) - 1
            sb, eb = sb - begins[w], eb - begins[w]
            if eb > len(pieces[w]):
                continue  # across a window separator: not text
            lo, hi = windows[w]
            starts = starts_of.get(w)
            if starts is None:  # where each character's spelling begins in the window's
                lengths = lane[lo:hi].translate(fast.spelling_lengths()).encode("latin-1")
                starts = starts_of[w] = list(itertools.accumulate(lengths, initial=0))
            first = bisect.bisect_right(starts, sb) - 1
            after = bisect.bisect_left(starts, eb)
            if starts[first] != sb or starts[after] != eb:
                continue  # 西安 is not 先: matches begin and end on whole characters
            if _LETTER.search(lane, lo + first, lo + after) is None:
                continue  # no letter inside: the sound lane already found it as a homophone
            out.append((tier, pid, int(origin[lo + first]), int(origin[lo + after - 1]) + 1))
    return out


def _whole_with_letter(found: list[tuple[int, int, int]], codes: fast.U32, starts: fast.I64
                       ) -> list[tuple[int, int, int]]:
    """(pattern id, first, last code) of the pinyin matches that begin and end on whole characters
    (西安 is not 先) and hold a Latin letter (without one, the sound lane already found it as a
    homophone). ``starts``: where each code's spelling begins (``fast.spell``). Vectorized: around
    letters most matches are plain homophones, thrown away here."""
    arr = np.asarray(found, dtype=np.int64)
    sb, eb = arr[:, 1], arr[:, 2]
    first = np.searchsorted(starts, sb, side="right") - 1
    after = np.searchsorted(starts, eb, side="left")  # eb <= starts[-1]: always a valid index
    whole = (starts[first] == sb) & (starts[after] == eb)
    first, last = first[whole], after[whole] - 1
    # Letters before each code: a match holds one when the count grows across it.
    before = np.zeros(len(codes) + 1, dtype=np.int64)
    np.cumsum(((codes >= 0x61) & (codes <= 0x7A)).astype(np.int64), out=before[1:])
    lettered = before[last + 1] > before[first]
    return list(zip(arr[whole, 0][lettered].tolist(), first[lettered].tolist(), last[lettered].tolist(),
                    strict=True))


def _merged_windows(runs: list[tuple[int, int]], reach: int, n: int) -> list[tuple[int, int]]:
    """[lo, hi) character ranges ``reach`` either side of each letter run (sorted), overlaps merged
    (the same ranges as around each of the run's letters)."""
    out: list[tuple[int, int]] = []
    for a, b in runs:
        lo, hi = max(a - reach, 0), min(b + reach, n)
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return out
