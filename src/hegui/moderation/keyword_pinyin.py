"""The keyword detector's pinyin pass: where are pinyin-spelled terms (falungong, fa lun gong, 法lun功)?

A pinyin-spelled term holds a Latin letter and spans at most as many channel characters either side
of it as it has characters, so only windows around the letters of the sound lane are spelled in
pinyin and scanned. Public lists hold a few terms of 50-100 characters; one window width for all
would spell (and scan with every pattern) ~100 characters around each letter. So the spellings are
grouped in tiers by term length (``PINYIN_TIERS``), each with its own matcher and window width: most
terms are short. A match counts when it begins and ends on whole characters (西安 is not 先) and holds
a letter (without one, the sound lane already found it as a homophone); the caller verifies it.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence

import numpy as np

from hegui.moderation.matcher import Matcher
from hegui.moderation.normalize import fast

# Tier limits in term characters: terms of up to 8, up to 24, longer.
PINYIN_TIERS = (8, 24)
# Up to this many Latin letters (a message), the pass works on byte slices in plain Python: a dozen
# numpy calls per tier would cost more than the work.
FEW_LETTERS = 32
# (tier, pattern id, start, end in the original text)
PinyinMatch = tuple[int, int, int, int]


def pinyin_matches(channel: fast.Channel, tiers: Sequence[tuple[int, Matcher]]) -> list[PinyinMatch]:
    """Candidate pinyin matches for ``tiers`` = (window width, matcher) in the channel's text."""
    all_codes = channel.sound.codes
    letters = fast.letter_positions(all_codes)
    if not len(letters) or not tiers:
        return []
    if len(letters) <= FEW_LETTERS:
        return _few_letters(channel, letters.tolist(), tiers)
    out: list[PinyinMatch] = []
    whole: tuple[bytes, fast.I64] | None = None
    origin = channel.origin
    for tier, (width, matcher) in enumerate(tiers):
        index: fast.I64 | None = fast.window_index(letters, len(all_codes), width)
        assert index is not None
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


def _few_letters(channel: fast.Channel, letters: list[int], tiers: Sequence[tuple[int, Matcher]]
                 ) -> list[PinyinMatch]:
    """The text is spelled once and each tier's windows are cut from that spelling as byte slices;
    the few matches are checked in plain Python."""
    codes = channel.sound.codes.tolist()
    n = len(codes)
    spelling = fast.spelling_table().get
    parts = [spelling(c, b"#") for c in codes]
    data = b"".join(parts)
    starts = list(itertools.accumulate(map(len, parts), initial=0))
    origin = channel.origin
    out: list[PinyinMatch] = []
    for tier, (width, matcher) in enumerate(tiers):
        windows = _merged_windows(letters, width, n)
        if windows == [(0, n)]:
            scanned, shifts, ends = data, [0], [len(data)]
        else:
            pieces = [data[starts[lo]:starts[hi]] for lo, hi in windows]
            scanned = b"#".join(pieces)  # "#" spells no sound: never part of a pattern
            # Where each window ends in ``scanned``, and what to add to reach ``data``.
            at, shifts, ends = 0, [], []
            for (lo, _hi), piece in zip(windows, pieces, strict=True):
                shifts.append(starts[lo] - at)
                at += len(piece)
                ends.append(at)
                at += 1
        for pid, sb, eb in matcher.scan(scanned):
            w = bisect.bisect_left(ends, sb + 1) if len(ends) > 1 else 0
            if eb > ends[w]:
                continue  # across a window separator: not text
            sb, eb = sb + shifts[w], eb + shifts[w]
            first = bisect.bisect_right(starts, sb) - 1
            after = bisect.bisect_left(starts, eb)
            if starts[first] != sb or after > n or starts[after] != eb:
                continue  # 西安 is not 先: matches begin and end on whole characters
            if not any(0x61 <= c <= 0x7A for c in codes[first:after]):
                continue  # no letter inside: the sound lane already found it as a homophone
            out.append((tier, pid, int(origin[first]), int(origin[after - 1]) + 1))
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


def _merged_windows(letters: list[int], width: int, n: int) -> list[tuple[int, int]]:
    """[lo, hi) character ranges ``width`` either side of each letter (sorted), overlaps merged."""
    out: list[tuple[int, int]] = []
    for p in letters:
        lo, hi = max(p - width, 0), min(p + width + 1, n)
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return out
