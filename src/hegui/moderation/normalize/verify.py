"""Exact per-term checks of a candidate found in the lenient scan channel.

The scan channel has every transformation on, so it finds a superset of what any term accepts. Here a
candidate's ORIGINAL text is normalized with the term's own transformations (pure Python, but only
for the few candidates) and compared with the term's forms, which gives per-term switches exact
semantics and names the evasion used.
"""

from __future__ import annotations

from dataclasses import dataclass

from hegui.moderation.lexicon.model import Transform
from hegui.moderation.normalize.chars import normalize_term
from hegui.moderation.normalize.sound import char_sound, initials, is_syllable, readings
from hegui.moderation.normalize.split_forms import split_variants

# Initials of a shorter term collide with ordinary Latin words ("gc", "tm").
MIN_INITIALS_CHARS = 3


@dataclass(frozen=True, slots=True)
class TermForms:
    """What a term looks like under its own transformations."""

    text: str
    transforms: frozenset[Transform]
    normalized: str
    splits: frozenset[str]
    initials: str | None

    @classmethod
    def of(cls, text: str, transforms: frozenset[Transform]) -> TermForms:
        normalized = normalize_term(text, transforms)
        splits: frozenset[str] = frozenset()
        if Transform.SPLIT in transforms:
            splits = frozenset(normalize_term(v, transforms) for v in split_variants(normalized))
        letters = None
        if Transform.INITIALS in transforms and len(normalized) >= MIN_INITIALS_CHARS:
            letters = initials(normalized)
        return cls(text, transforms, normalized, splits, letters)


def accept(span_text: str, forms: TermForms) -> str | None:
    """How ``span_text`` (original text) spells the term — "exact", "normalized", "split",
    "initials", "homophone" or "pinyin" — or None when the term's own settings do not accept it."""
    if span_text == forms.text:
        return "exact"
    seen = normalize_term(span_text, forms.transforms)
    if not seen:
        return None
    if seen == forms.normalized:
        return "normalized"
    if seen in forms.splits:
        return "split"
    if forms.initials is not None and seen == forms.initials:
        return "initials"
    if Transform.HOMOPHONES in forms.transforms or Transform.PINYIN in forms.transforms:
        return align_sounds(seen, forms.normalized, forms.transforms)
    return None


def warm_up() -> None:
    """Load what the first verification reads (the readings table from disk, ~0.15 s; the per-
    character normalization tables): a server calls this before its first request."""
    for seen in ("法lun功", "发轮功", "fa轮gong", "法輪功"):
        accept(seen, TermForms.of("法轮功", frozenset(Transform)))


def align_sounds(seen: str, term: str, transforms: frozenset[Transform]) -> str | None:
    """Match normalized text against a normalized term unit by unit: equal characters, a character
    sounding like one of the term character's readings (HOMOPHONES), or a term character spelled out
    in Latin letters as one of its readings (PINYIN). Whole characters only: 西安 never matches 先
    ("xi"+"an" ≠ "xian")."""
    homophones = Transform.HOMOPHONES in transforms
    pinyin = Transform.PINYIN in transforms
    memo: dict[tuple[int, int], tuple[bool, bool] | None] = {}  # (a dict: functools.cache costs ~5 µs a call)

    def go(i: int, j: int) -> tuple[bool, bool] | None:
        """(homophone used, pinyin used) for matching seen[i:] against term[j:], or None."""
        key = (i, j)
        if key in memo:
            return memo[key]
        memo[key] = result = step(i, j)
        return result

    def step(i: int, j: int) -> tuple[bool, bool] | None:
        if j == len(term):
            return (False, False) if i == len(seen) else None
        if i == len(seen):
            return None
        x, y = seen[i], term[j]
        if x == y and (rest := go(i + 1, j + 1)) is not None:
            return rest
        if not is_syllable(y):
            return None
        sounds = readings(y)
        if (homophones and is_syllable(x) and char_sound(x) in sounds
                and (rest := go(i + 1, j + 1)) is not None):
            return True, rest[1]
        if pinyin and "a" <= x <= "z":
            for syllable in sounds:
                if seen.startswith(syllable, i) and (rest := go(i + len(syllable), j + 1)) is not None:
                    return rest[0], True
        return None

    used = go(0, 0)
    if used is None:
        return None
    return "pinyin" if used[1] else "homophone" if used[0] else "normalized"
