"""The "sound" of normalized characters, for homophone and pinyin matching.

Each CJK character becomes its toneless pinyin (most common reading, ü written v), each digit the
pinyin of its Chinese numeral (so 1, 一, 壹 and 医 all sound "yi"), each Latin letter itself. Any
other kept character sounds like ``UNPRONOUNCEABLE``, which never occurs in a term's sound, so
nothing matches across it.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import os
import unicodedata
from pathlib import Path

UNPRONOUNCEABLE = "#"
# Longest toneless pinyin syllable ("zhuang", "shuang", "chuang").
MAX_SYLLABLE = 6
_DIGIT_SOUNDS = ("ling", "yi", "er", "san", "si", "wu", "liu", "qi", "ba", "jiu")


# Readings kept per character (pypinyin lists rare and literary ones too).
MAX_READINGS = 3


@functools.lru_cache(maxsize=1)
def all_readings() -> dict[int, tuple[str, ...]]:
    """codepoint → its distinct toneless readings, most common first, from pypinyin's character
    dictionary (no per-term pypinyin calls: far too slow for 100k-term libraries). Importing pypinyin
    costs ~0.5-1 s, so the table is cached on disk next to the normalizer tables."""
    try:
        version = importlib.metadata.version("pypinyin")  # not an import: that is the slow part
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    path = _cache_path(f"pinyin-{version}-{MAX_READINGS}.json")
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        return {int(cp): tuple(r) for cp, r in cached.items()}
    except (OSError, ValueError, AttributeError):
        pass
    from pypinyin.pinyin_dict import pinyin_dict

    table: dict[int, tuple[str, ...]] = {}
    for cp, listed in pinyin_dict.items():
        distinct = dict.fromkeys(_toneless(r) for r in listed.split(","))
        kept = tuple(r for r in distinct if 0 < len(r) <= MAX_SYLLABLE)[:MAX_READINGS]
        if kept:
            table[cp] = kept
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(table), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:  # read-only cache: rebuilt next time
        pass
    return table


def _cache_path(name: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hegui" / "normalize" / name


@functools.lru_cache(maxsize=1)
def pinyin_table() -> dict[int, str]:
    """codepoint → toneless pinyin of its first (most common) reading."""
    return {cp: r[0] for cp, r in all_readings().items()}


@functools.lru_cache(maxsize=1)
def _other_readings() -> dict[str, tuple[str, ...]]:
    """character → all its toneless readings, most common first — only for characters with several."""
    return {chr(cp): r for cp, r in all_readings().items() if len(r) > 1}


@functools.lru_cache(maxsize=1)
def polyphonic_chars() -> frozenset[str]:
    return frozenset(_other_readings())


@functools.lru_cache(maxsize=1)
def second_readings() -> dict[str, str]:
    """polyphonic character → its second most common reading."""
    return {ch: sounds[1] for ch, sounds in _other_readings().items()}


@functools.lru_cache(maxsize=1)
def sound_of_chars() -> dict[str, str]:
    """character → ``char_sound`` for every character that has a sound, and Latin letters."""
    table = {chr(cp): syl for cp, syl in pinyin_table().items() if len(syl) <= MAX_SYLLABLE}
    table.update({c: char_sound(c) for c in "abcdefghijklmnopqrstuvwxyz0123456789"})
    return table


def readings(ch: str) -> tuple[str, ...]:
    """Every sound of one normalized character, most common first (藏 → cang, zang)."""
    return _other_readings().get(ch) or (char_sound(ch),)


def _toneless(syllable: str) -> str:
    decomposed = unicodedata.normalize("NFD", syllable).replace("u\u0308", "v")  # ǜ → v
    return "".join(c for c in decomposed if c.isascii() and c.isalpha()).lower()


def char_sound(ch: str) -> str:
    """The sound of one NORMALIZED character (see module doc)."""
    if "a" <= ch <= "z":
        return ch
    if "0" <= ch <= "9":
        return _DIGIT_SOUNDS[ord(ch) - 48]
    sound = pinyin_table().get(ord(ch))
    return sound if sound and len(sound) <= MAX_SYLLABLE else UNPRONOUNCEABLE


def is_syllable(ch: str) -> bool:
    """True for characters that sound as a whole syllable (CJK, digits) rather than one letter."""
    return not ("a" <= ch <= "z") and char_sound(ch) != UNPRONOUNCEABLE


def initials(normalized: str) -> str | None:
    """Pinyin initials of a normalized CJK term ("法轮功" → "flg"); None if a character has no pinyin."""
    out = []
    for ch in normalized:
        sound = char_sound(ch)
        if sound == UNPRONOUNCEABLE:
            return None
        out.append(sound[0])
    return "".join(out)
