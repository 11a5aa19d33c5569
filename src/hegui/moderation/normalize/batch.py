"""Vectorized forms of many terms at once: normalizing a 100k-term library one term at a time in
Python takes seconds, which the start-up budget does not have."""

from __future__ import annotations

import itertools

import numpy as np

from hegui.moderation.normalize import fast


def channel_forms(texts: list[str]) -> tuple[list[str], list[str]]:
    """Plain-lane and sound-lane forms of each text (see ``fast.scan_channel``)."""
    if not texts:
        return [], []
    channel = fast.scan_channel("".join(texts))
    cuts = _cuts(texts, channel.origin)
    lanes = (channel.plain.codes, channel.sound.codes)
    plain, sound = (_split(c.astype("<u4").tobytes().decode("utf-32-le"), cuts) for c in lanes)
    return plain, sound


def spellings(forms: list[str]) -> list[str]:
    """Pinyin spelling of each channel form (classes → syllables, letters kept, others ``#``)."""
    if not forms:
        return []
    joined = "".join(forms)
    spelled = fast.pinyin_sounds(fast.codepoints(joined))
    data = spelled.data.decode("ascii")
    # owner[b] is the character of ``joined`` that byte b spells; cut where each form's characters end.
    bounds = np.cumsum([len(f) for f in forms])
    cuts = np.searchsorted(spelled.owner, bounds[:-1])
    return _split(data, cuts)


def _cuts(texts: list[str], origin: fast.I64) -> fast.I64:
    bounds = np.cumsum([len(t) for t in texts])
    return np.searchsorted(origin, bounds[:-1])


def _split(data: str, cuts: fast.I64) -> list[str]:
    edges = [0, *cuts.tolist(), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]
