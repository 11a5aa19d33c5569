"""The fast normalizer: numpy table lookups instead of per-character Python.

``scan_channel(text)`` normalizes a text with every transformation on and gives two *lanes* over the
same characters: ``plain`` (the normalized characters) and ``sound`` (each CJK character or digit
replaced by its homophone class), plus, for each character, the index of the original character it
came from. Scanning them finds every candidate a term could accept; candidates are then verified with
the term's own settings. ``pinyin_sounds`` spells sound-lane codes as ASCII pinyin.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from hegui.moderation.normalize.tables import CLASS_BASE, CLASS_LIMIT, MULTI, tables

I64 = npt.NDArray[np.int64]
U32 = npt.NDArray[np.uint32]
BoolArray = npt.NDArray[np.bool_]
Match = tuple[int, int, int]


# Lanes are scanned as UTF-16 code units; characters beyond the BMP (rare once normalized: CJK
# extension B and later) all become this one unit (U+FFFD itself is a symbol, so normalization drops
# it). A term holding such a character therefore needs its hits verified.
BEYOND_BMP = 0xFFFD


U16 = npt.NDArray[np.uint16]


# An odd multiplier (a bijection modulo 2**16), chosen by measurement: see ``_scan_units``.
_SPREAD = 0x6F4B


def _scan_units() -> U16:
    """``SCAN_UNIT[u]``: how lane unit ``u`` is written in the bytes a matcher scans — a permutation
    of the 16-bit units, so it changes which bytes are scanned, never what matches. Two reasons:

    - Spread: homophone classes are ~420 consecutive codes (CLASS_BASE…), so in plain UTF-16 every
      other byte of the sound lane is 0xE0 or 0xE1; Hyperscan's literal filter hashes a few bytes at
      each position and, with half of them constant, passes far more false candidates. ``u * _SPREAD
      mod 2**16`` spreads the classes over both bytes: the sound-lane scan of a 100k-term library runs
      3-7x faster (benchmarks/moderation_speed.py; multipliers 0x9E37, 0x2F1D, 0x6F4B all do).
    - No zero bytes: the Hyperscan binding hands literal patterns to C as NUL-terminated strings, so
      one pattern holding a zero byte sends the whole set to (~3x slower) regex mode. Each lane unit
      whose image holds a zero byte trades images with a surrogate unit whose image holds none;
      surrogates never occur in a lane (normalization drops them)."""
    units = np.arange(0x10000, dtype=np.uint32)
    table = (units * _SPREAD) & 0xFFFF
    has_zero = ((table & 0xFF) == 0) | ((table >> 8) == 0)
    surrogate = (units >= 0xD800) & (units <= 0xDFFF)
    moved = np.flatnonzero(has_zero & ~surrogate)
    partners = np.flatnonzero(surrogate & ~has_zero)[:len(moved)]
    table[moved], table[partners] = table[partners], table[moved]
    out: U16 = table.astype("<u2")
    out.flags.writeable = False
    return out


SCAN_UNIT = _scan_units()


@functools.lru_cache(maxsize=1)
def _scan_unit_of_code() -> U16:
    """``SCAN_UNIT`` for every code point (those from BEYOND_BMP up written as BEYOND_BMP): one
    gather per lane instead of a clamp and a gather (a few µs of a 1 KB message)."""
    table: U16 = SCAN_UNIT[np.minimum(np.arange(0x110000, dtype=np.uint32), BEYOND_BMP)]
    table.flags.writeable = False
    return table


def scan_bytes(codes: U32) -> bytes:
    """The bytes a matcher scans for lane codes: one unit per code (see BEYOND_BMP, ``SCAN_UNIT``)."""
    return _scan_unit_of_code()[codes].tobytes()


def lane_pattern(form: str) -> bytes:
    """How a lane pattern is written (see ``Lane``)."""
    return scan_bytes(codepoints(form))


@dataclass(slots=True)
class Lane:
    """One lane of a channel: ``codes`` and ``data``, what a matcher scans: one 16-bit unit per
    character (see BEYOND_BMP, ``SCAN_UNIT``), so byte offset // 2 is the character index (no offset
    tables, no UTF-8 encoding). A match at an odd offset is not one.

    Either may be given; the other is derived on first use. A text's lanes are normally written
    straight to ``data`` (one table lookup per character, ``_lane_units``), the codes left to
    whoever needs them (``_make``)."""

    _codes: U32 | None = None
    _data: bytes | None = field(default=None, repr=False, compare=False)
    _make: Callable[[], U32] | None = field(default=None, repr=False, compare=False)

    @property
    def codes(self) -> U32:
        if self._codes is None:
            assert self._make is not None
            codes = self._make()
            codes.flags.writeable = False  # (shared by the detectors of one message)
            self._codes = codes
        return self._codes

    @property
    def data(self) -> bytes:
        if self._data is None:  # (read by the scan and by the detector's checks: built once)
            self._data = scan_bytes(self.codes)
        return self._data


# The plain-unit table's values for a dropped character and for one that expands to several: no
# lane unit is written as either (``SCAN_UNIT`` images hold no zero byte).
_DROPPED, _EXPANDS = 0, 1


@functools.lru_cache(maxsize=1)
def _lane_units() -> npt.NDArray[np.uint32]:
    """For every code point, both lane units as scanned in one little-endian 32-bit word: the plain
    unit in the low half (``_DROPPED``, ``_EXPANDS`` or ``SCAN_UNIT`` of its normalized form), the
    sound unit in the high half. One gather per character writes both lanes (viewed as 16-bit
    pairs); the codes are rarely all needed (~15 ms to build, once)."""
    t = tables()
    written = _scan_unit_of_code()
    plain = written[np.minimum(t.normal, 0x10FFFF)].astype("<u4")
    plain[t.normal == 0] = _DROPPED
    plain[t.normal == MULTI] = _EXPANDS
    both: npt.NDArray[np.uint32] = plain | (written[np.minimum(t.sound, 0x10FFFF)].astype("<u4") << 16)
    both.flags.writeable = False
    return both


@functools.lru_cache(maxsize=1)
def letter_digits() -> npt.NDArray[np.uint8]:
    """Scanned lane unit → 1-26 for the Latin letters a-z, 0 for any other unit."""
    table = np.zeros(0x10000, dtype=np.uint8)
    table[SCAN_UNIT[0x61:0x7B]] = np.arange(1, 27, dtype=np.uint8)
    table.flags.writeable = False
    return table


@functools.lru_cache(maxsize=1)
def letter_units() -> BoolArray:
    """Scanned lane unit → is it a Latin letter a-z (letters have no sound class: same in both lanes)."""
    table: BoolArray = letter_digits() != 0
    table.flags.writeable = False
    return table


@functools.lru_cache(maxsize=1)
def _code_of_scan_unit() -> U32:
    """The inverse of ``SCAN_UNIT``: scanned unit → lane unit (= code, for a BMP character)."""
    table = np.empty(0x10000, dtype="<u4")
    table[SCAN_UNIT] = np.arange(0x10000, dtype=np.uint32)
    table.flags.writeable = False
    return table


class _Kept:
    """The original code points of a channel's characters (a text without expansions: one per
    channel character), taken from the text's code points only when a lane's codes are first
    asked for (shared by both lanes)."""

    __slots__ = ("_cps", "_kept", "_origin")

    def __init__(self, cps: U32, origin: I64) -> None:
        self._cps, self._origin = cps, origin
        self._kept: U32 | None = None

    def codes(self, table: U32) -> U32:
        if self._kept is None:
            self._kept = self._cps.take(self._origin)
        out: U32 = table.take(self._kept)
        return out


# Up to this many matches, spans are looked up one by one (cheaper than building arrays).
_FEW_SPANS = 16


@dataclass(slots=True)
class Channel:
    plain: Lane
    sound: Lane
    origin: I64  # original index of each character (both lanes have the same characters)
    _plain_text: str | None = field(default=None, repr=False)
    _sound_text: str | None = field(default=None, repr=False)
    _letters: I64 | None = field(default=None, repr=False)

    @property
    def letters(self) -> I64:
        """Where the lanes hold a Latin letter a-z (read off the plain lane's units)."""
        if self._letters is None:
            # (take: half the time of fancy indexing for a long text)
            self._letters = letter_units().take(np.frombuffer(self.plain.data, "<u2")).nonzero()[0]
        return self._letters

    @property
    def plain_text(self) -> str:
        if self._plain_text is None:
            self._plain_text = _decoded(self.plain.codes)
        return self._plain_text

    @property
    def sound_text(self) -> str:
        """The sound lane as a str of its 16-bit units (one character per lane character, beyond
        the BMP all BEYOND_BMP): for str methods (regex, translate) on short texts."""
        if self._sound_text is None:
            if self.sound._codes is None:  # read back off the lane's units (its codes never built)
                units: npt.NDArray[np.uint32] = _code_of_scan_unit().take(self.sound_units)
            else:
                units = np.minimum(self.sound._codes, BEYOND_BMP).astype("<u4")
            self._sound_text = units.tobytes().decode("utf-32-le", "surrogatepass")
        return self._sound_text

    @property
    def sound_units(self) -> U16:
        """The sound lane's units as scanned (a read-only view of its bytes)."""
        units: U16 = np.frombuffer(self.sound.data, dtype="<u2")
        return units

    def plain_between(self, lo: int, hi: int) -> str:
        """``plain_text[lo:hi]`` without normalizing all of a long text's characters for a few
        context checks: read back off the plain lane's units (every BMP character has a unit of its
        own; a character beyond the BMP does not, and sends the call to the codes)."""
        if self._plain_text is None and self.plain._codes is None:
            hi = max(0, min(hi, len(self.origin)))
            lo = max(0, min(lo, hi))
            units = np.frombuffer(self.plain.data, "<u2", hi - lo, 2 * lo)
            normalized = _code_of_scan_unit().take(units).tobytes().decode("utf-32-le")
            if "\ufffd" not in normalized:  # (BEYOND_BMP: normalization drops a real U+FFFD)
                return normalized
        return self.plain_text[lo:hi]

    def spans(self, matches: list[Match]) -> list[tuple[int, int, int, int]]:
        """For aligned matches ``(id, start_byte, end_byte)`` in a lane's ``data``: (first, end)
        channel characters and (start, end) original characters of each."""
        if not matches:
            return []
        if len(matches) <= _FEW_SPANS:
            origin = self.origin
            return [(sb >> 1, eb >> 1, int(origin[sb >> 1]), int(origin[(eb >> 1) - 1]) + 1)
                    for _pid, sb, eb in matches]
        arr = np.asarray(matches, dtype=np.int64)
        first = arr[:, 1] // 2
        last = arr[:, 2] // 2 - 1
        cols = (first, last + 1, self.origin[first], self.origin[last] + 1)
        return list(zip(*(c.tolist() for c in cols), strict=True))


def codepoints(text: str) -> U32:
    # surrogatepass: a lone surrogate (possible in a Python str) must not make normalization fail.
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


# The last text normalized and its channel. A moderation pipeline hands the same str object to every
# detector (the keyword stage and the classifier both read the channel): the second one reuses it.
# Identity, not equality, is compared (O(1)); the arrays are made read-only so that sharing is safe.
# (One tuple, replaced whole: threads see either the old pair or the new one.)
_last_channel: tuple[str, Channel] | None = None


def scan_channel(text: str) -> Channel:
    global _last_channel
    last = _last_channel
    if last is not None and last[0] is text:
        return last[1]
    channel = _scan_channel(text)
    channel.origin.flags.writeable = False
    for lane in (channel.plain, channel.sound):
        if lane._codes is not None:
            lane._codes.flags.writeable = False
    _last_channel = (text, channel)
    return channel


def _scan_channel(text: str) -> Channel:
    cps = codepoints(text)
    # (ndarray methods, not the np.* wrappers: a 1 KB message makes a dozen such calls)
    both = _lane_units().take(cps)  # each character's (plain unit, sound unit), 16 bits each
    origin = (both.view("<u2")[0::2] != _DROPPED).nonzero()[0]  # (nonzero of a bool array: ~4x faster)
    written = both.take(origin).view("<u2")
    plain_units, sound_units = written[0::2], written[1::2]
    t = tables()
    # (_EXPANDS is the smallest unit kept: one reduction tells whether any character expands; few
    # numpy calls matter for a 1 KB message)
    if len(origin) and plain_units.min() == _EXPANDS:
        at = (plain_units == _EXPANDS).nonzero()[0]
        if len(at) > _FEW_EXPANSIONS:
            out = t.normal[cps]
            codes, origin = _with_expansions(cps, out, out == MULTI)
            return Channel(Lane(codes), Lane(sound_classes(codes)), origin)
        return _spliced(cps, origin, plain_units, sound_units, at.tolist())
    kept_codes = _Kept(cps, origin)
    return Channel(Lane(None, plain_units.tobytes(), functools.partial(kept_codes.codes, t.normal)),
                   Lane(None, sound_units.tobytes(), functools.partial(kept_codes.codes, t.sound)),
                   origin)


def _decoded(codes: U32) -> str:
    return codes.astype("<u4").tobytes().decode("utf-32-le")


def _spliced(cps: U32, origin: I64, plain_units: U16, sound_units: U16, at: list[int]) -> Channel:
    """The channel of a text holding a few characters that expand (™, ㎡, ß): the units written at
    once, each expansion's spliced in (one copy into place per lane); the codes, when read, spliced
    the same way."""
    t = tables()
    pieces = [codepoints(t.multi[int(cps[origin[i]])]) for i in at]
    sounds = [sound_classes(piece) for piece in pieces]
    size = len(origin) + sum(len(piece) - 1 for piece in pieces)

    def spliced(whole: npt.NDArray[Any], inserted: list[npt.NDArray[Any]]) -> npt.NDArray[Any]:
        out = np.empty(size, dtype=whole.dtype)
        prev = done = 0
        for i, piece in zip(at, inserted, strict=True):
            out[done:done + i - prev] = whole[prev:i]
            done += i - prev
            out[done:done + len(piece)] = piece
            done += len(piece)
            prev = i + 1
        out[done:] = whole[prev:]
        return out

    written = [_scan_unit_of_code().take(piece) for piece in pieces]
    written_sounds = [_scan_unit_of_code().take(sound) for sound in sounds]
    starts = [np.full(len(piece), origin[i], dtype=np.int64) for i, piece in zip(at, pieces, strict=True)]
    kept = _Kept(cps, origin)

    def codes(table: U32, inserted: list[U32]) -> U32:
        out: U32 = spliced(kept.codes(table), inserted)
        return out

    return Channel(Lane(None, spliced(plain_units, written).tobytes(),
                        functools.partial(codes, t.normal, pieces)),
                   Lane(None, spliced(sound_units, written_sounds).tobytes(),
                        functools.partial(codes, t.sound, sounds)),
                   spliced(origin, starts))


def sound_classes(codes: U32) -> U32:
    """Normalized codepoints → homophone class codes (characters without a sound unchanged)."""
    klass = tables().klass
    classes: U32 = np.where(codes < CLASS_LIMIT, klass[np.minimum(codes, CLASS_LIMIT - 1)], codes)
    return classes


# Up to this many expanding characters in a text, each is spliced in on its own (``_spliced``: a text
# holds a ™ or a ㎡ here and there); beyond, one vectorized pass over the whole text.
_FEW_EXPANSIONS = 64


def _with_expansions(cps: U32, out: U32, expanding: BoolArray) -> tuple[U32, I64]:
    """Slow path for text holding ß, ⑩, ㈱ …: variable-length output via np.repeat, one numpy step
    per distinct expanding character."""
    multi = tables().multi
    lengths = (out != 0).astype(np.int64)
    where = np.flatnonzero(expanding)
    distinct = np.unique(cps[where])
    pieces = {int(cp): codepoints(multi[int(cp)]) for cp in distinct}
    for cp, piece in pieces.items():
        lengths[where[cps[where] == cp]] = len(piece)
    origin = np.repeat(np.arange(len(cps), dtype=np.int64), lengths)
    codes = np.repeat(out, lengths)
    starts = np.cumsum(lengths) - lengths
    for cp, piece in pieces.items():  # overwrite each expansion's run with its characters
        at = starts[where[cps[where] == cp]]
        codes[(at[:, None] + np.arange(len(piece))[None, :]).ravel()] = np.tile(piece, len(at))
    return codes, origin


def channel_form(normalized: str) -> str:
    """The sound-lane form of an already normalized string (a term, a phrase)."""
    return sound_classes(codepoints(normalized)).astype("<u4").tobytes().decode("utf-32-le")


@dataclass(frozen=True, slots=True)
class Sounds:
    """Pinyin spelling of sound-lane codes: ``data`` ASCII, ``owner[b]`` = index of the character
    byte ``b`` spells, ``unit_start[b]`` True where a character's spelling begins."""

    data: bytes
    owner: I64
    unit_start: BoolArray

    def is_boundary(self, byte_offset: int) -> bool:
        return byte_offset == len(self.data) or bool(self.unit_start[byte_offset])


def pinyin_sounds(codes: U32) -> Sounds:
    """Class codes → their syllable, Latin letters → themselves, anything else → ``#`` (one byte)."""
    t = tables()
    n_classes = len(t.syllables)
    cls = codes.astype(np.int64) - CLASS_BASE
    is_class = (cls >= 0) & (cls < n_classes)
    idx = np.where(is_class, cls, 0)
    lengths = np.where(is_class, t.syllable_len[idx], 1).astype(np.int64)
    rows = t.syllable_bytes[idx].copy()
    is_letter = (codes >= 0x61) & (codes <= 0x7A)
    rows[~is_class, 0] = np.where(is_letter[~is_class], codes[~is_class], ord("#")).astype(np.uint8)
    mask = np.arange(rows.shape[1])[None, :] < lengths[:, None]
    data = rows[mask].tobytes()
    owner = np.repeat(np.arange(len(codes), dtype=np.int64), lengths)
    unit_start = np.zeros(len(data), dtype=np.bool_)
    unit_start[(np.cumsum(lengths) - lengths)] = True
    return Sounds(data, owner, unit_start)


# Below this many Latin letters, pinyin windows are cut in plain Python (numpy's per-call cost wins).
_FEW_LETTERS = 24


def _merged_window_index(letters: I64, n: int, w: int) -> I64:
    """Vectorized: indexes of the codes ``w`` either side of each letter, overlapping windows merged,
    each window followed by -1."""
    lo = np.maximum(letters - w, 0)
    hi = np.minimum(letters + w + 1, n)
    # Merge overlapping windows: a new window starts where lo exceeds every earlier hi.
    run_hi = np.maximum.accumulate(hi)
    new = np.ones(len(lo), dtype=bool)
    new[1:] = lo[1:] > run_hi[:-1]
    starts = lo[new]
    ends = run_hi[np.append(np.flatnonzero(new[1:]), len(lo) - 1)]
    sizes = ends - starts + 1
    window = np.repeat(np.arange(len(starts)), sizes)
    pos = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    index: I64 = np.where(pos == sizes[window] - 1, -1, starts[window] + pos)
    return index



# --- pinyin spelling for the keyword detector's hot path: one table lookup per code, no owner arrays
# (a match's characters are found by bisecting the spelling starts, for the few matches only).

_SEPARATOR = ord("#")  # spells as itself, never part of a pattern: no match crosses windows


@functools.lru_cache(maxsize=1)
def _unit_spelling() -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint8]]:
    """Spellings and their lengths for every 16-bit code: a homophone class → its syllable, a Latin
    letter → itself, anything else → ``#``. Each spelling is zero padded to 8 bytes and read as one
    little-endian uint64 (one 8-byte gather per code instead of a gather of byte rows). Built once."""
    t = tables()
    assert t.syllable_bytes.shape[1] <= 8
    rows = np.zeros((0x10000, 8), dtype=np.uint8)
    rows[:, 0] = _SEPARATOR
    lengths = np.ones(0x10000, dtype=np.uint8)
    n = len(t.syllables)
    rows[CLASS_BASE:CLASS_BASE + n, :t.syllable_bytes.shape[1]] = t.syllable_bytes
    lengths[CLASS_BASE:CLASS_BASE + n] = t.syllable_len
    letters = np.arange(0x61, 0x7B)
    rows[letters, 0] = letters
    return rows.view("<u8").ravel(), lengths


@functools.lru_cache(maxsize=1)
def spelling_table() -> dict[int, bytes]:
    """``spell_units`` for one code at a time (plain Python, for short texts): code → its spelling, for the
    codes that spell as something other than ``#``."""
    t = tables()
    table = {CLASS_BASE + i: syl.encode("ascii") for i, syl in enumerate(t.syllables)}
    table.update({c: bytes([c]) for c in range(0x61, 0x7B)})
    return table


@functools.lru_cache(maxsize=1)
def spelling_list() -> list[str]:
    """``spell_units`` as a ``str.translate`` table for lane codes (``Channel.sound_text``): code → its
    spelling, ``#`` for every code that spells as no sound."""
    table = ["#"] * 0x10000
    for code, syllable in spelling_table().items():
        table[code] = syllable.decode("ascii")
    return table


@functools.lru_cache(maxsize=1)
def spelling_lengths() -> list[str]:
    """A ``str.translate`` table for lane units: unit → the length of its spelling, as a character
    (``chr(n)``: encoded in latin-1, the lengths become bytes)."""
    return [chr(len(s)) for s in spelling_list()]


@functools.lru_cache(maxsize=1)
def _scanned_spelling() -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint8]]:
    """``_unit_spelling`` indexed by the unit as scanned (``SCAN_UNIT``): a long text's pinyin pass
    spells windows of the sound lane's bytes, never its codes."""
    words, lengths = _unit_spelling()
    by_scanned_words = np.empty_like(words)
    by_scanned_lengths = np.empty_like(lengths)
    by_scanned_words[SCAN_UNIT] = words
    by_scanned_lengths[SCAN_UNIT] = lengths
    return by_scanned_words, by_scanned_lengths


# How a window separator is written in scanned units (``window_units``): ``#`` spells as itself.
SEPARATOR_UNIT = int(SCAN_UNIT[_SEPARATOR])


def spell_units(units: U16) -> tuple[bytes, I64]:
    """``pinyin_sounds(codes).data`` for the codes of lane ``units`` as scanned (a window of
    ``Channel.sound_units``), and where each unit's spelling starts (``len(units) + 1`` offsets, the
    last = ``len(data)``): the same bytes in a few numpy steps."""
    words, lengths = _scanned_spelling()
    padded = words.take(units).view(np.uint8)
    data = padded[padded != 0].tobytes()  # spellings hold no zero byte: dropping zeros drops the padding
    starts = np.zeros(len(units) + 1, dtype=np.int64)
    np.cumsum(lengths.take(units), out=starts[1:], dtype=np.int64)
    return data, starts


def window_units(all_units: U16, index: I64) -> U16:
    """The scanned units at ``index`` (``window_index``), each -1 written as a separator."""
    units: U16 = np.where(index < 0, np.uint16(SEPARATOR_UNIT), all_units.take(index)).astype(np.uint16)
    return units


def window_index(letters: I64, n: int, w: int) -> I64:
    """Indexes of the codes ``w`` either side of each Latin letter (windows merged), each window
    followed by -1 (a separator): what ``pinyin_windows`` spells, as indexes only."""
    if len(letters) <= _FEW_LETTERS:
        out: list[int] = []
        hi_prev = -1
        for p in letters.tolist():
            lo, hi = max(p - w, 0), min(p + w + 1, n)
            if out and lo <= hi_prev:
                out.pop()  # the separator: this window continues the previous one
                out.extend(range(hi_prev, max(hi, hi_prev)))
                hi_prev = max(hi, hi_prev)
            else:
                out.extend(range(lo, hi))
                hi_prev = hi
            out.append(-1)
        return np.asarray(out, dtype=np.int64)
    return _merged_window_index(letters, n, w)
