"""The "sound" of normalized characters, for homophone and pinyin matching.

Each CJK character becomes its toneless pinyin (most common reading, ü written v), each digit the
pinyin of its Chinese numeral (so 1, 一, 壹 and 医 all sound "yi"), each Latin letter itself. Any
other kept character sounds like ``UNPRONOUNCEABLE``, which never occurs in a term's sound, so
nothing matches across it.
"""

from __future__ import annotations

import functools
import unicodedata

UNPRONOUNCEABLE = "#"
# Longest toneless pinyin syllable ("zhuang", "shuang", "chuang").
MAX_SYLLABLE = 6
_DIGIT_SOUNDS = ("ling", "yi", "er", "san", "si", "wu", "liu", "qi", "ba", "jiu")


@functools.lru_cache(maxsize=1)
def pinyin_table() -> dict[int, str]:
    """codepoint → toneless pinyin of its first (most common) reading, straight from pypinyin's
    dictionary (no per-term pypinyin calls: those are far too slow for 100k-term libraries)."""
    from pypinyin.pinyin_dict import pinyin_dict  # lazy: ~0.5 s import

    table: dict[int, str] = {}
    for cp, readings in pinyin_dict.items():
        first = readings.split(",", 1)[0]
        table[cp] = _toneless(first)
    return table


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
