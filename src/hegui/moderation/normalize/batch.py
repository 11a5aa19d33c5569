"""Vectorized forms of many terms at once: normalizing a 100k-term library one term at a time in
Python takes seconds, which the start-up budget does not have."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from hegui.moderation.normalize import fast
from hegui.moderation.normalize.tables import CLASS_BASE, tables


@dataclass(frozen=True, slots=True)
class TermLanes:
    """Per term (same order as the input): its plain-lane form, the lane patterns of both lanes, its
    pinyin spelling, whether it holds a character with a sound, and whether every character has a
    lane unit of its own (see ``fast.BEYOND_BMP``)."""

    plain: list[str]
    plain_pattern: list[bytes]
    sound_pattern: list[bytes]
    spelling: list[str]
    has_sound: list[bool]
    own_units: list[bool]


def term_lanes(texts: list[str]) -> TermLanes:
    if not texts:
        return TermLanes([], [], [], [], [], [])
    channel = fast.scan_channel("".join(texts))
    bounds = np.cumsum([len(t) for t in texts])
    owner = np.searchsorted(bounds, channel.origin, side="right")  # term of each channel character
    cuts = np.searchsorted(owner, np.arange(1, len(texts)))
    plain_codes, sound_codes = channel.plain.codes, channel.sound.codes
    plain = _split(plain_codes.astype("<u4").tobytes().decode("utf-32-le"), cuts)
    plain_data, sound_data = channel.plain.data, channel.sound.data
    n_classes = len(tables().syllables)
    is_class = (sound_codes >= CLASS_BASE) & (sound_codes < CLASS_BASE + n_classes)
    shared_unit = plain_codes >= fast.BEYOND_BMP
    spelled = fast.pinyin_sounds(sound_codes)
    # owner[b] is the channel character byte b spells: cut where each term's characters begin.
    spelling = _split(spelled.data.decode("ascii"), np.searchsorted(spelled.owner, cuts))
    return TermLanes(
        plain=plain,
        plain_pattern=_split_bytes(plain_data, cuts),
        sound_pattern=_split_bytes(sound_data, cuts),
        spelling=spelling,
        has_sound=(np.bincount(owner[is_class], minlength=len(texts)) > 0).tolist(),
        own_units=(np.bincount(owner[shared_unit], minlength=len(texts)) == 0).tolist(),
    )


def _split(data: str, cuts: fast.I64) -> list[str]:
    edges = [0, *cuts.tolist(), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


def _split_bytes(data: bytes, cuts: fast.I64) -> list[bytes]:
    """Cut a lane's data (two bytes per character) at character indexes ``cuts``."""
    edges = [0, *(2 * cuts).tolist(), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]
