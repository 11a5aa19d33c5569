"""The fast normalizer: numpy table lookups instead of per-character Python.

``scan_channel(text)`` gives the text in the *scan channel* — normalized with every transformation on
and each CJK character or digit replaced by its homophone class — with, for each channel character,
the index of the original character it came from. It is the most lenient form, so scanning it finds
every candidate any term could accept; candidates are then verified with the term's own settings.
``pinyin_sounds`` spells a piece of that channel as ASCII pinyin, for terms written in pinyin.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from hegui.moderation.normalize.tables import CLASS_BASE, MULTI, tables

I64 = npt.NDArray[np.int64]
U32 = npt.NDArray[np.uint32]
BoolArray = npt.NDArray[np.bool_]


@dataclass(slots=True)
class Channel:
    """``codes`` (channel codepoints); ``origin[i]`` = original index of ``codes[i]``; ``utf8`` what
    the matcher scans."""

    codes: U32
    origin: I64
    utf8: bytes
    _byte_starts: I64 | None = field(default=None, repr=False)

    def char_index(self, byte_offset: int) -> int:
        """Index of the channel character that contains ``byte_offset`` of ``utf8``."""
        if self._byte_starts is None:
            c = self.codes
            lengths = 1 + (c >= 0x80).astype(np.int64) + (c >= 0x800) + (c >= 0x10000)
            self._byte_starts = np.cumsum(lengths) - lengths
        return int(np.searchsorted(self._byte_starts, byte_offset, side="right")) - 1

    def original_span(self, start_byte: int, end_byte: int) -> tuple[int, int]:
        """Original character span ``[start, end)`` of a match over ``utf8[start_byte:end_byte]``."""
        first = self.char_index(start_byte)
        last = self.char_index(end_byte - 1)
        return int(self.origin[first]), int(self.origin[last]) + 1


def codepoints(text: str) -> U32:
    # surrogatepass: a lone surrogate (possible in a Python str) must not make normalization fail.
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def scan_channel(text: str) -> Channel:
    t = tables()
    cps = codepoints(text)
    out = t.channel[cps]
    expanding = out == MULTI
    if expanding.any():
        return _with_expansions(cps, out, expanding)
    keep = out != 0
    codes = out[keep]
    return Channel(codes, np.flatnonzero(keep).astype(np.int64), to_utf8(codes))


def _with_expansions(cps: U32, out: U32, expanding: BoolArray) -> Channel:
    """Slow path for the rare text holding ß, ⑩, ㈱ …: variable-length output via np.repeat."""
    multi = tables().multi
    lengths = (out != 0).astype(np.int64)
    pieces: dict[int, U32] = {}
    for idx in np.flatnonzero(expanding):
        cp = int(cps[idx])
        if cp not in pieces:
            pieces[cp] = codepoints(multi[cp])
        lengths[idx] = len(pieces[cp])
    origin = np.repeat(np.arange(len(cps), dtype=np.int64), lengths)
    codes = np.repeat(out, lengths)
    starts = np.cumsum(lengths) - lengths
    for idx in np.flatnonzero(expanding):  # overwrite each expansion's run with its characters
        piece = pieces[int(cps[idx])]
        codes[starts[idx]: starts[idx] + len(piece)] = piece
    return Channel(codes, origin, to_utf8(codes))


def to_utf8(codes: U32) -> bytes:
    return codes.astype("<u4").tobytes().decode("utf-32-le").encode("utf-8")


def channel_form(normalized: str) -> str:
    """The channel form of an already normalized string (terms, phrases): classes for sounds."""
    table = tables().channel
    out = []
    for ch in normalized:
        code = int(table[ord(ch)])
        # A normalized character normalizes to itself, so only its class can differ.
        out.append(chr(code) if code >= CLASS_BASE and code != MULTI else ch)
    return "".join(out)


def has_latin_letters(codes: U32) -> bool:
    return bool(np.any((codes >= 0x61) & (codes <= 0x7A)))


def letter_positions(codes: U32) -> I64:
    return np.flatnonzero((codes >= 0x61) & (codes <= 0x7A)).astype(np.int64)


@dataclass(frozen=True, slots=True)
class Sounds:
    """Pinyin spelling of channel codes: ``data`` ASCII, ``owner[b]`` = channel index of byte ``b``,
    ``unit_start[b]`` True where a character's spelling begins."""

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
