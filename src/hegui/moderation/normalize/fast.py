"""The fast normalizer: numpy table lookups instead of per-character Python.

``scan_channel(text)`` normalizes a text with every transformation on and gives two *lanes* over the
same characters: ``plain`` (the normalized characters) and ``sound`` (each CJK character or digit
replaced by its homophone class), plus, for each character, the index of the original character it
came from. Scanning them finds every candidate a term could accept; candidates are then verified with
the term's own settings. ``pinyin_sounds`` spells sound-lane codes as ASCII pinyin.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from hegui.moderation.normalize.tables import CLASS_BASE, CLASS_LIMIT, MULTI, tables

I64 = npt.NDArray[np.int64]
U32 = npt.NDArray[np.uint32]
BoolArray = npt.NDArray[np.bool_]
Match = tuple[int, int, int]


def lane_pattern(form: str) -> bytes:
    """How a lane pattern is written (see ``Lane``)."""
    return form.encode("utf-32-le")


@dataclass(slots=True)
class Lane:
    """One lane of a channel: ``codes`` and ``data``, what a matcher scans: the codes as UTF-32-LE,
    so byte offset // 4 is the character index (no offset tables) and no UTF-8 encoding is needed.
    Patterns are UTF-32-LE too; a match at an offset that is not a multiple of 4 is not one."""

    codes: U32

    @property
    def data(self) -> bytes:
        return self.codes.astype("<u4", copy=False).tobytes()


@dataclass(slots=True)
class Channel:
    plain: Lane
    sound: Lane
    origin: I64  # original index of each character (both lanes have the same characters)
    _plain_text: str | None = field(default=None, repr=False)

    @property
    def plain_text(self) -> str:
        if self._plain_text is None:
            self._plain_text = self.plain.data.decode("utf-32-le")
        return self._plain_text

    def spans(self, matches: list[Match]) -> list[tuple[int, int, int, int]]:
        """For aligned matches ``(id, start_byte, end_byte)`` in a lane's ``data``: (first, end)
        channel characters and (start, end) original characters of each."""
        if not matches:
            return []
        arr = np.asarray(matches, dtype=np.int64)
        first = arr[:, 1] // 4
        last = arr[:, 2] // 4 - 1
        cols = (first, last + 1, self.origin[first], self.origin[last] + 1)
        return list(zip(*(c.tolist() for c in cols), strict=True))


def codepoints(text: str) -> U32:
    # surrogatepass: a lone surrogate (possible in a Python str) must not make normalization fail.
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def scan_channel(text: str) -> Channel:
    t = tables()
    cps = codepoints(text)
    out = t.normal[cps]
    expanding = out == MULTI
    if expanding.any():
        codes, origin = _with_expansions(cps, out, expanding)
        return Channel(Lane(codes), Lane(sound_classes(codes)), origin)
    keep = out != 0
    origin = np.flatnonzero(keep)
    return Channel(Lane(out[origin]), Lane(t.sound[cps[origin]]), origin.astype(np.int64))


def sound_classes(codes: U32) -> U32:
    """Normalized codepoints → homophone class codes (characters without a sound unchanged)."""
    klass = tables().klass
    classes: U32 = np.where(codes < CLASS_LIMIT, klass[np.minimum(codes, CLASS_LIMIT - 1)], codes)
    return classes


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


def letter_positions(codes: U32) -> I64:
    return np.flatnonzero((codes >= 0x61) & (codes <= 0x7A)).astype(np.int64)


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
