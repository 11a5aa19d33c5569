"""Disguised copies of test texts, for the evasion figure of benchmarks/moderation_quality.py.

Each function rewrites a share of a text's CJK characters the way evaders do: a homophone (same
toneless pinyin, a common character), the character's pinyin, symbols inserted between
characters, traditional script, or an emoji put in place of / between characters. Deterministic
for a given ``random.Random``.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from typing import Any

_EMOJI = "😀😂🤣😅🙏👍🔥💯🌹🐶🐱🍉🌸⭐🎉"
_SYMBOLS = "*.-_~|/·…•"


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


@functools.cache
def _homophones() -> dict[str, list[str]]:
    from hegui.moderation.normalize.sound import sound_of_chars

    by_sound: dict[str, list[str]] = {}
    # Common characters only (GB 2312 level 1: lead bytes B0–D7), so the disguise stays readable.
    for ch, sound in sound_of_chars().items():
        if _is_cjk(ch) and _is_common(ch):
            by_sound.setdefault(sound, []).append(ch)
    return {ch: [c for c in group if c != ch] for group in by_sound.values() for ch in group}


def _is_common(ch: str) -> bool:
    try:
        encoded = ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return 0xB0 <= encoded[0] <= 0xD7


def _pick(text: str, rng: random.Random, share: float) -> set[int]:
    positions = [i for i, ch in enumerate(text) if _is_cjk(ch)]
    k = max(1, round(len(positions) * share)) if positions else 0
    return set(rng.sample(positions, k))


def homophone(text: str, rng: random.Random, share: float = 0.2) -> str:
    table = _homophones()
    chosen = _pick(text, rng, share)
    return "".join(rng.choice(table[ch]) if i in chosen and table.get(ch) else ch
                   for i, ch in enumerate(text))


def pinyin(text: str, rng: random.Random, share: float = 0.2) -> str:
    from hegui.moderation.normalize.sound import char_sound

    chosen = _pick(text, rng, share)
    return "".join(char_sound(ch) if i in chosen else ch for i, ch in enumerate(text))


def symbols(text: str, rng: random.Random, share: float = 0.5) -> str:
    chosen = _pick(text, rng, share)
    return "".join(ch + rng.choice(_SYMBOLS) if i in chosen else ch for i, ch in enumerate(text))


def traditional(text: str, rng: random.Random, share: float = 1.0) -> str:
    return str(_s2t().convert(text))


@functools.cache
def _s2t() -> Any:
    from opencc import OpenCC

    return OpenCC("s2t")


def emoji(text: str, rng: random.Random, share: float = 0.2) -> str:
    chosen = _pick(text, rng, share)
    return "".join(ch + rng.choice(_EMOJI) if i in chosen else ch for i, ch in enumerate(text))


DISGUISES: dict[str, Callable[[str, random.Random], str]] = {
    "homophones": homophone, "pinyin": pinyin, "symbols": symbols, "traditional": traditional,
    "emoji": emoji,
}
