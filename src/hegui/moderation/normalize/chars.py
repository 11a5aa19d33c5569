"""The reference, per-character normalizer: one small function per transformation.

Everything here works one input character at a time (an input character may become zero, one or a few
output characters). That makes normalization context-free: the normalization of a text is the
concatenation of the normalizations of its characters, so any chunking gives the same result and the
fast numpy path (``fast``) can be a table lookup built from ``normalize_char``. Terms are normalized
with the same functions, so a term and its evasions meet in the same form.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable

from hegui.moderation.lexicon.model import ALL_TRANSFORMS, Transform

# Characters that render as nothing (or as blank) but are not in a "format" or "mark" category.
_EXTRA_INVISIBLE = frozenset(
    "\u115f\u1160\u3164\uffa0"  # Hangul fillers
    "\u2800"                    # braille pattern blank
    "\u180e"                    # Mongolian vowel separator (Cf in old Unicode, kept explicit)
)
# Deleted by INVISIBLE: format characters (zero-width space/joiners, bidi controls, soft hyphen),
# combining marks (strike-through, underline, accents) and variation selectors (which are Mn).
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Mn", "Me", "Cs", "Co"})
# Deleted by SEPARATORS: everything a writer can sprinkle between term characters.
_SEPARATOR_CATEGORY_INITIALS = frozenset("ZPS")

# Latin look-alikes, applied AFTER case folding so both cases of a letter agree (a requirement of the
# candidate/verify design: switching a transformation on may only ever merge more characters).
# Cyrillic follows the capital's look (В → b, Н → h), Greek the small letter's (η → n, ν → v, μ → u).
HOMOGLYPHS: dict[str, str] = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "з": "3", "к": "k", "м": "m", "н": "h", "о": "o",
    "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j",
    "ԁ": "d", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w", "ү": "y", "ɡ": "g", "ь": "b",
    # Greek
    "α": "a", "β": "b", "ε": "e", "ζ": "z", "η": "n", "ι": "i", "κ": "k", "μ": "u", "ν": "v",
    "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j",
    # Latin extensions that read as plain letters
    "ı": "i", "ȷ": "j", "ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ŀ": "l", "ɑ": "a", "ɩ": "i",
    "ʏ": "y", "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ғ": "f", "ɢ": "g", "ʜ": "h",
    "ɪ": "i", "ᴊ": "j", "ᴋ": "k", "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ʀ": "r",
    "ꜱ": "s", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ᴢ": "z",
}

# Chinese numerals → ASCII digits (character level: 十/百/千 carry place value, so they are left alone).
# Traditional and financial forms are listed directly so NUMERALS works with T2S switched off.
NUMERALS: dict[str, str] = {}
for _digit, _chars in enumerate(
    ("零〇", "一壹弌", "二贰貳弍", "三叁參弎", "四肆", "五伍", "六陆陸", "七柒", "八捌", "九玖")
):
    for _ch in _chars:
        NUMERALS[_ch] = str(_digit)


@functools.lru_cache(maxsize=1)
def _t2s_converter() -> object:
    import opencc  # lazy: ~20 ms to load its dictionaries

    return opencc.OpenCC("t2s")


@functools.lru_cache(maxsize=65536)
def t2s_char(ch: str) -> str:
    """Simplified form of one character (OpenCC t2s applied to the character alone)."""
    if ch < "\u2e80":  # nothing below the CJK radicals block has a simplified form
        return ch
    try:
        out: str = _t2s_converter().convert(ch)  # type: ignore[attr-defined]
    except (UnicodeError, ValueError):  # a lone surrogate cannot reach OpenCC's UTF-8 API
        return ch
    return out if len(out) == 1 else ch


def is_invisible(ch: str) -> bool:
    return ch in _EXTRA_INVISIBLE or unicodedata.category(ch) in _INVISIBLE_CATEGORIES


def is_separator(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat[0] in _SEPARATOR_CATEGORY_INITIALS or cat == "Cc"


def _strip_marks(s: str) -> str:
    """Drop combining marks after canonical decomposition (ǎ → a, é → e); Hangul syllables recompose."""
    decomposed = unicodedata.normalize("NFD", s)
    if decomposed == s:
        return s
    kept = "".join(c for c in decomposed if unicodedata.category(c) not in ("Mn", "Me"))
    return unicodedata.normalize("NFC", kept)


def normalize_char(ch: str, transforms: frozenset[Transform] = ALL_TRANSFORMS) -> str:
    """The normalized form of one character under ``transforms`` ("" when it is ignored).

    Order: invisible → NFKC → case fold → marks stripped → homoglyphs → t2s → numerals → separators.
    """
    if Transform.INVISIBLE in transforms and is_invisible(ch):
        return ""
    s = unicodedata.normalize("NFKC", ch) if Transform.NFKC in transforms else ch
    if Transform.CASEFOLD in transforms:
        s = s.casefold()
    out: list[str] = []
    for c in (_strip_marks(s) if Transform.INVISIBLE in transforms else s):
        if Transform.INVISIBLE in transforms and is_invisible(c):
            continue
        if Transform.HOMOGLYPHS in transforms:
            c = HOMOGLYPHS.get(c, c)
        if Transform.T2S in transforms:
            c = t2s_char(c)
        if Transform.NUMERALS in transforms:
            c = NUMERALS.get(c, c)
        if Transform.SEPARATORS in transforms and is_separator(c):
            continue
        out.append(c)
    return "".join(out)


# The same, remembered for the characters verification meets again and again (candidates of a
# 100k-term library are checked per character, ~5 µs each uncached) and for the keys that de-duplicate
# imported terms (``lexicon.keys``). Separate from ``normalize_char``:
# building the fast tables walks every codepoint once, which a cache would only fill.
normalize_char_cached = functools.lru_cache(maxsize=1 << 14)(normalize_char)


def reference_normalize(
    text: str, transforms: Iterable[Transform] = ALL_TRANSFORMS
) -> tuple[str, list[int]]:
    """Normalize ``text`` character by character; also return, for each output character, the index
    of the original character it came from. The slow, obviously-correct twin of ``fast.compact``."""
    tset = frozenset(transforms)
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        piece = normalize_char_cached(ch, tset)
        out.append(piece)
        origin.extend([i] * len(piece))
    return "".join(out), origin


def normalize_term(text: str, transforms: Iterable[Transform] = ALL_TRANSFORMS) -> str:
    """The normalized form of a term or phrase (what the matcher looks for): ``reference_normalize``
    without the origins (verification normalizes every candidate's text)."""
    tset = transforms if isinstance(transforms, frozenset) else frozenset(transforms)
    return "".join([normalize_char_cached(ch, tset) for ch in text])
