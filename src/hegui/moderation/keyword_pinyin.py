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

Most letters of ordinary Chinese text are English words and abbreviations (CPU, TLS, emmm) that no
pinyin spelling holds, so each tier keeps only the letters of *possible pieces* (``PieceFilter``). A
piece is a run of lane letters from adjacent characters of the text (a dropped space, symbol or zero-
width character ends it). A pinyin-spelled hit must be word-bounded (keyword: a pinyin or initials hit
must not continue a Latin word), so it cannot begin or end inside a piece — the letter beside its edge
would continue it — and therefore holds each piece it touches whole: that piece's letters are a
substring of the term's spelling, a pattern of the tier. (A candidate the verification accepts in
some other way — exact, normalized, homophone — is a lane hit anyway, or a homophone of a second
reading, which the lanes do not look for either.) Anchors are not word-bounded, so the tier holding
them keeps the pieces the long tier's spellings can hold too (a piece may cross from one chunk into
the next).

Many letters of Chinese text stand alone between characters (b站, x光, gdp, ip): a term may hold
such letters *literally* (傻b, qq群), but a pinyin-spelled hit spells at least one of its characters,
and a piece whose both edges touch a non-letter (or the text's edge) holds whole units of the term:
syllables spelled out and letter runs the term holds literally. A short such piece that splits into
literal runs only (``syllable_pieces`` says which can hold a syllable) holds no spelled character:
the hit's spelled characters lie in other pieces, whose windows reach over it (a literal letter is
one channel character per term character, like a CJK one), so it opens no window of its own. A piece
next to a dropped character (f a l u n: the letters of one syllable may be split) is always kept.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from hegui.moderation.matcher import MatchArrays, Matcher
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
_LETTER = re.compile("[a-z]")

# PieceFilter: substrings of up to GRAM letters, coded base _BASE with digits a-z = 1..26, any other
# pattern byte = 27 (0 = none: codes of different lengths never collide).
GRAM = 4
_BASE = 28
_DIGIT = np.full(256, 27, dtype=np.int64)
_DIGIT[0x61:0x7B] = np.arange(1, 27)
_DIGIT[ord("\n")] = 0  # (the separator between joined patterns)
_POWERS = [_BASE ** k for k in range(GRAM)]


class PieceFilter:
    """Which pieces of letters (see module doc) a pattern of one tier can hold: a piece is possible
    when each of its substrings of ``GRAM`` letters (the whole piece if shorter) occurs in one of the
    tier's patterns. Necessary, not sufficient (the scan and verification decide); with 4 letters it
    keeps about as many pieces as an exact substring test (measured: 1,040 vs 1,018 of 1,736 on the
    held-out benchmark text)."""

    def __init__(self, table: npt.NDArray[np.bool_]) -> None:
        self.table = table  # code of a letter substring -> does some pattern hold it
        self._bytes = table.tobytes()  # (one byte per code, for plain-Python lookups)
        self._seen: dict[str, bool] = {}

    @classmethod
    def of(cls, patterns: Sequence[bytes]) -> PieceFilter:
        digits = _DIGIT[np.frombuffer(b"\n".join(patterns) + b"\n" * GRAM, dtype=np.uint8)]
        table = np.zeros(_BASE ** GRAM, dtype=np.bool_)
        n = len(digits) - GRAM
        code = np.zeros(n, dtype=np.int64)
        inside = np.ones(n, dtype=np.bool_)
        for k in range(GRAM):  # the substrings of k + 1 letters starting at each byte
            digit = digits[k:k + n]
            inside &= digit != 0
            code += digit * _POWERS[k]
            table[code[inside]] = True
        return cls(table)

    def packed(self) -> npt.NDArray[np.uint8]:
        """The table in an eighth of the bytes (for the compiled-tables cache)."""
        return np.packbits(self.table)

    @classmethod
    def unpacked(cls, packed: npt.NDArray[np.uint8]) -> PieceFilter:
        return cls(np.unpackbits(packed, count=_BASE ** GRAM).astype(np.bool_))

    def possible(self, piece: str) -> bool:
        """For one piece (lowercase a-z), in plain Python (a message's few pieces)."""
        known = self._seen.get(piece)
        if known is None:
            table = self._bytes
            d = [ord(c) - 0x60 for c in piece]
            if len(d) <= GRAM:
                known = table[sum(x * p for x, p in zip(d, _POWERS, strict=False))] == 1
            else:
                known = all(table[sum(x * p for x, p in zip(d[i:i + GRAM], _POWERS, strict=True))]
                            for i in range(len(d) - GRAM + 1))
            if len(self._seen) >= 4096:
                self._seen.clear()
            self._seen[piece] = known
        return known


def _code(piece: str) -> int:
    return sum((ord(c) - 0x60) * p for c, p in zip(piece, _POWERS, strict=False))


def syllable_pieces(syllables: Iterable[str], literal_runs: Iterable[str]) -> PieceFilter:
    """The pieces of up to ``GRAM`` letters that can hold a spelled syllable: those that split into
    units — ``syllables`` (every reading) and the ``literal_runs`` of letters terms hold — at least
    one of them a syllable. Built for every such string at once: for each length, the best split of
    each string from its prefixes' results (0 = no split, 1 = literal runs only, 2 = a syllable)."""
    kind = np.zeros(_BASE ** GRAM, dtype=np.int8)
    for unit_kind, units in ((1, literal_runs), (2, syllables)):
        for unit in units:
            if 0 < len(unit) <= GRAM and unit.isascii() and unit.isalpha() and unit.islower():
                kind[_code(unit)] = max(unit_kind, kind[_code(unit)])
    best = np.zeros(_BASE ** GRAM, dtype=np.int8)
    best[0] = 1  # the empty prefix
    for k in range(1, GRAM + 1):
        digits = np.indices((26,) * k).reshape(k, -1) + 1  # every string of k letters, one per column
        codes = sum(digits[i].astype(np.int64) * _POWERS[i] for i in range(k))
        result = np.zeros(codes.shape, dtype=np.int8)
        for j in range(k):  # the last unit = letters j..k-1
            prefix = best[codes % _POWERS[j]] if j else best[np.zeros_like(codes)]
            unit = kind[codes // _POWERS[j]]
            result = np.maximum(result, np.where((prefix > 0) & (unit > 0), np.maximum(prefix, unit), 0))
        best[codes] = result
    best[0] = 0
    return PieceFilter(best == 2)


class PinyinTier(NamedTuple):
    """One tier as ``pinyin_matches`` scans it: window reach width - 1; ``pieces`` None = no filter."""

    width: int
    matcher: Matcher
    pieces: PieceFilter | None = None


def pinyin_matches(channel: fast.Channel, tiers: Sequence[PinyinTier],
                   around: Sequence[tuple[int, int]] | None = None,
                   syllables: PieceFilter | None = None) -> list[PinyinMatch]:
    """Candidate pinyin matches for ``tiers`` in the channel's text; with ``around`` (spans of the
    original text), only in the windows that overlap one of them; with ``syllables``
    (``syllable_pieces``), short pieces between non-letters that hold no syllable open no window in
    the tiers that filter their pieces."""
    letters = channel.letters
    if not tiers or not len(letters):
        return []
    ranges = None if around is None else _lane_ranges(channel, around)
    if len(channel.origin) <= SHORT_TEXT:
        return _short_text(channel, tiers, ranges, syllables)
    # (the lane's units as scanned, not its codes: a long text's sound codes are never built)
    all_units = channel.sound_units
    pieces = _Pieces(letters, all_units, channel.origin, syllables)
    out: list[PinyinMatch] = []
    whole: tuple[bytes, fast.I64] | None = None
    origin = channel.origin
    for tier, (width, matcher, piece_filter) in enumerate(tiers):
        kept = letters if piece_filter is None else pieces.possible_letters(piece_filter)
        if not len(kept):
            continue
        index: fast.I64 | None = fast.window_index(kept, len(all_units), width - 1)
        assert index is not None
        if ranges is not None:
            index = _windows_overlapping(index, ranges)
            if index is None:
                continue
        if len(index) >= len(all_units):
            # The windows cover (about) the whole text: spell it once for every tier.
            whole = whole or fast.spell_units(all_units)
            (data, starts), units, index = whole, all_units, None
        else:
            units = fast.window_units(all_units, index)
            data, starts = fast.spell_units(units)
        found = matcher.scan_arrays(data)
        if not len(found[0]):
            continue
        for pid, first, last in _whole_with_letter(found, units, starts):
            if index is not None:
                first, last = int(index[first]), int(index[last])
            out.append((tier, pid, int(origin[first]), int(origin[last]) + 1))
    return out


class _Pieces:
    """The pieces of a long text's letters (see module doc), vectorized: for each letter the code of
    the substring of up to ``GRAM`` letters starting there within its piece; filters look the codes
    up and keep the letters of pieces whose every code they know."""

    def __init__(self, letters: fast.I64, units: fast.U16, origin: fast.I64,
                 syllables: PieceFilter | None = None) -> None:
        self.letters = letters
        n = len(letters)
        # A piece ends where the next letter is not the next lane character or does not come from
        # the next character of the text (something was dropped between them, or one character
        # expanded to several).
        lane_next = np.diff(letters) == 1
        new = np.ones(n, dtype=np.bool_)
        new[1:] = ~lane_next | (np.diff(origin[letters]) != 1)
        self.piece_of = np.cumsum(new) - 1
        self.firsts = np.flatnonzero(new)
        piece_ends = np.append(self.firsts[1:], n)
        ends = piece_ends[self.piece_of]  # each letter's piece end (exclusive)
        left = ends - np.arange(n)  # letters from here to the piece end
        digits = np.zeros(n + GRAM, dtype=np.int64)
        digits[:n] = fast.letter_digits().take(units.take(letters))
        code = digits[:n].copy()
        for k in range(1, GRAM):
            code += np.where(left > k, digits[k:k + n], 0) * _POWERS[k]
        self.codes = code
        # Pieces that open no window (module doc): short, a non-letter lane character (or the lane's
        # edge) on both sides, no syllable in any split.
        self.literal_only: npt.NDArray[np.bool_] | None = None
        if syllables is not None:
            after_letter = np.zeros(n, dtype=np.bool_)  # the lane character before is a letter
            after_letter[1:] = lane_next
            before_letter = np.zeros(n, dtype=np.bool_)  # the lane character after is a letter
            before_letter[:-1] = lane_next
            lasts = piece_ends - 1
            self.literal_only = (~after_letter[self.firsts] & ~before_letter[lasts]
                                 & (piece_ends - self.firsts <= GRAM) & ~syllables.table[code[self.firsts]])

    def possible_letters(self, piece_filter: PieceFilter) -> fast.I64:
        unknown = (~piece_filter.table[self.codes]).astype(np.int64)
        ok = np.add.reduceat(unknown, self.firsts) == 0
        if self.literal_only is not None:
            ok &= ~self.literal_only
        kept: fast.I64 = self.letters[ok[self.piece_of]]
        return kept


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


def _short_text(channel: fast.Channel, tiers: Sequence[PinyinTier],
                ranges: list[tuple[int, int]] | None = None,
                syllables: PieceFilter | None = None) -> list[PinyinMatch]:
    """Each tier's windows are cut from the sound lane as str slices and spelled with one
    ``str.translate`` each; where a spelled character begins is worked out only for the few matches.
    With ``ranges``, only the windows overlapping one of them."""
    runs = _letter_runs(channel.letters.tolist())
    lane = channel.sound_text
    n = len(lane)
    table = fast.spelling_list()
    origin = channel.origin
    pieces = runs
    if any(t.pieces is not None for t in tiers):
        pieces = _short_pieces(runs, origin)
        if syllables is not None:  # a piece filling a whole run is between non-letters
            whole_runs = set(runs)
            pieces = [(a, b) for a, b in pieces if b - a > GRAM or (a, b) not in whole_runs
                      or syllables.possible(lane[a:b])]
    out: list[PinyinMatch] = []
    for tier, (width, matcher, piece_filter) in enumerate(tiers):
        kept = runs if piece_filter is None else [
            (a, b) for a, b in pieces if piece_filter.possible(lane[a:b])]
        if not kept:
            continue
        windows = _merged_windows(kept, width - 1, n)
        if ranges is not None:
            windows = [(lo, hi) for lo, hi in windows if any(a < hi and lo < b for a, b in ranges)]
            if not windows:
                continue
        pieces_spelled = [lane[lo:hi].translate(table) for lo, hi in windows]
        found = matcher.scan("#".join(pieces_spelled).encode("ascii"))  # "#": never in a pattern
        if not found:
            continue
        # Where each window's spelling begins in the scanned bytes.
        begins = list(itertools.accumulate((len(p) + 1 for p in pieces_spelled[:-1]), initial=0))
        starts_of: dict[int, list[int]] = {}
        for pid, sb, eb in found:
            w = bisect.bisect_right(begins, sb) - 1
            sb, eb = sb - begins[w], eb - begins[w]
            if eb > len(pieces_spelled[w]):
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


def _letter_runs(letters: list[int]) -> list[tuple[int, int]]:
    """[start, end) of each run of consecutive positions."""
    runs: list[tuple[int, int]] = []
    start = previous = letters[0]
    for at in letters[1:]:
        if at != previous + 1:
            runs.append((start, previous + 1))
            start = at
        previous = at
    runs.append((start, previous + 1))
    return runs


def _short_pieces(runs: list[tuple[int, int]], origin: fast.I64) -> list[tuple[int, int]]:
    """The letter runs cut into pieces (see ``_Pieces``), in plain Python."""
    out: list[tuple[int, int]] = []
    for a, b in runs:
        if b - a == 1:
            out.append((a, b))
            continue
        where = origin[a:b].tolist()
        start = a
        for i in range(1, b - a):
            if where[i] != where[i - 1] + 1:
                out.append((start, a + i))
                start = a + i
        out.append((start, b))
    return out


def _whole_with_letter(found: MatchArrays, units: fast.U16, starts: fast.I64) -> list[tuple[int, int, int]]:
    """(pattern id, first, last code) of the pinyin matches that begin and end on whole characters
    (西安 is not 先) and hold a Latin letter (without one, the sound lane already found it as a
    homophone). ``starts``: where each unit's spelling begins (``fast.spell_units``). Vectorized: around
    letters most matches are plain homophones, thrown away here."""
    pids, sb, eb = found
    first = np.searchsorted(starts, sb, side="right") - 1
    after = np.searchsorted(starts, eb, side="left")  # eb <= starts[-1]: always a valid index
    whole = (starts[first] == sb) & (starts[after] == eb)
    first, last = first[whole], after[whole] - 1
    # Letters before each code: a match holds one when the count grows across it.
    before = np.zeros(len(units) + 1, dtype=np.int64)
    np.cumsum(fast.letter_units().take(units), out=before[1:], dtype=np.int64)
    lettered = before[last + 1] > before[first]
    return list(zip(pids[whole][lettered].tolist(), first[lettered].tolist(), last[lettered].tolist(),
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
