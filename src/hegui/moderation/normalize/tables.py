"""Lookup tables for the fast normalizer, built from the reference per-character functions.

Building them walks every assigned Unicode codepoint through ``chars.normalize_char`` (about two
seconds), so they are cached: in memory per process and on disk (``$XDG_CACHE_HOME/hegui/normalize``)
keyed by the Unicode, OpenCC and pypinyin versions and a hash of the code that defines them.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import logging
import os
import tempfile
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from hegui.moderation.normalize import chars, sound

log = logging.getLogger(__name__)

UNICODE_SIZE = 0x110000
# Marks a codepoint whose normalized form is several characters (ß → ss, ⑩ → 10, ㈱ → 株): rare,
# handled by a slower path.
MULTI = np.uint32(0xFFFFFFFF)
# Homophone classes are coded from here (the BMP private use area, 6,400 codes for ~420 syllables:
# real private-use characters are dropped by the INVISIBLE transformation, so no text character
# survives with these codes).
CLASS_BASE = 0xE000

U32 = npt.NDArray[np.uint32]
U8 = npt.NDArray[np.uint8]


# Codepoints at or above this have no sound, so the class table stops here.
CLASS_LIMIT = 0x32400


@dataclass(frozen=True, slots=True)
class Tables:
    """``normal``: codepoint → its normalized form with every transformation on (0 = dropped, MULTI =
    several characters, see ``multi``). ``klass``: normalized codepoint → its homophone class code
    (CJK characters and digits) or itself. Together they give the *scan channel*."""

    normal: U32
    multi: dict[int, str]        # codepoint → its normalized form when that is several characters
    klass: U32                   # (CLASS_LIMIT,)
    syllables: tuple[str, ...]   # class id → toneless syllable
    syllable_bytes: U8           # (classes, MAX_SYLLABLE) ASCII, zero padded
    syllable_len: U8             # (classes,)
    # codepoint → its sound-lane character (klass ∘ normal), derived at load time: one lookup per
    # character instead of two on the hot path.
    sound: U32 = field(default_factory=lambda: np.zeros(0, dtype=np.uint32))

    def with_sound(self) -> Tables:
        sound = self.normal.copy()
        has_class = self.normal < CLASS_LIMIT
        sound[has_class] = self.klass[self.normal[has_class]]
        return replace(self, sound=sound)


def _build() -> Tables:
    normal = np.arange(UNICODE_SIZE, dtype=np.uint32)
    multi: dict[int, str] = {}
    for cp in range(UNICODE_SIZE):
        ch = chr(cp)
        if unicodedata.category(ch) == "Cn":
            continue  # unassigned: kept as is
        out = chars.normalize_char(ch)
        if out == ch:
            continue
        if not out:
            normal[cp] = 0
        elif len(out) == 1:
            normal[cp] = ord(out)
        else:
            normal[cp] = MULTI
            multi[cp] = out
    sounding = {cp: syl for cp, syl in sound.pinyin_table().items()
                if cp < CLASS_LIMIT and len(syl) <= sound.MAX_SYLLABLE}
    sounding.update({ord(d): sound.char_sound(d) for d in "0123456789"})
    syllables = tuple(sorted(set(sounding.values())))
    class_of = {syl: CLASS_BASE + i for i, syl in enumerate(syllables)}
    klass = np.arange(CLASS_LIMIT, dtype=np.uint32)
    for cp, syl in sounding.items():
        klass[cp] = class_of[syl]
    syllable_bytes = np.zeros((len(syllables), sound.MAX_SYLLABLE), dtype=np.uint8)
    syllable_len = np.zeros(len(syllables), dtype=np.uint8)
    for i, syl in enumerate(syllables):
        raw = syl.encode("ascii")
        syllable_bytes[i, : len(raw)] = np.frombuffer(raw, dtype=np.uint8)
        syllable_len[i] = len(raw)
    return Tables(normal, multi, klass, syllables, syllable_bytes, syllable_len)


def _cache_key() -> str:
    h = hashlib.sha256()
    for module in (chars, sound, __import__(__name__, fromlist=["_build"])):
        h.update(Path(module.__file__ or "").read_bytes())
    for dist in ("opencc", "pypinyin", "numpy"):
        try:
            h.update(importlib.metadata.version(dist).encode())
        except importlib.metadata.PackageNotFoundError:
            h.update(dist.encode())
    h.update(unicodedata.unidata_version.encode())
    return h.hexdigest()[:16]


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hegui" / "normalize"


@functools.lru_cache(maxsize=1)
def tables() -> Tables:
    """The tables for this process (from the disk cache when possible)."""
    path = cache_dir() / f"tables-{_cache_key()}.npz"
    try:
        with np.load(path, allow_pickle=False) as data:
            keys = data["multi_keys"].tolist()
            values = str(data["multi_values"]).split("\x00")
            return Tables(data["normal"], dict(zip(keys, values, strict=True)), data["klass"],
                          tuple(str(data["syllables"]).split(",")),
                          data["syllable_bytes"], data["syllable_len"]).with_sound()
    except (OSError, KeyError, ValueError):
        pass
    built = _build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a concurrent reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, normal=built.normal, klass=built.klass,
                     multi_keys=np.array(list(built.multi), dtype=np.int64),
                     multi_values=np.array("\x00".join(built.multi.values())),
                     syllables=np.array(",".join(built.syllables)),
                     syllable_bytes=built.syllable_bytes, syllable_len=built.syllable_len)
        os.replace(tmp, path)
    except OSError as err:  # a read-only home is fine: we just rebuild next time
        log.info("normalizer tables not cached (%s)", err)
    return built.with_sound()
