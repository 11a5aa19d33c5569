"""The keyword-library data model. Keyword hits are evidence with weights, not verdicts.

The on-disk format is documented in docs/lexicon-format.md and read/written by ``lexicon.files``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class MatchMode(enum.StrEnum):
    # Found in the normalized text wherever it occurs (the default, for CJK terms).
    SUBSTRING = "substring"
    # Like substring, but the original text must not continue the term with a Latin letter or digit on
    # either side (for Latin terms and abbreviations: "ass" must not fire inside "class").
    WORD = "word"
    # No normalization at all: the term must appear verbatim in the original text.
    EXACT = "exact"


class Transform(enum.StrEnum):
    """Normalizer transformations; every one can be switched off per term or per library."""

    NFKC = "nfkc"                # compatibility forms: full-width → half-width, ligatures, ①→1 …
    CASEFOLD = "casefold"
    INVISIBLE = "invisible"      # zero-width / format chars, variation selectors, combining marks
    T2S = "t2s"                  # traditional → simplified (character level)
    SEPARATORS = "separators"    # spaces, punctuation, symbols, emoji between characters ignored
    NUMERALS = "numerals"        # Chinese numerals (一二三, 壹贰叁) and circled digits → 0-9
    HOMOGLYPHS = "homoglyphs"    # Cyrillic/Greek look-alikes of Latin letters → Latin
    HOMOPHONES = "homophones"    # CJK chars with the same toneless pinyin are the same
    PINYIN = "pinyin"            # a CJK term spelled in pinyin (falungong, fa lun gong, 法lun功)
    INITIALS = "initials"        # a CJK term spelled as its pinyin initials (flg); word-bounded
    SPLIT = "split"              # split-character forms (弓长 for 张, 女干 for 奸)


ALL_TRANSFORMS: frozenset[Transform] = frozenset(Transform)
# On by default for every term; the others are opt-in per term or per library because they widen
# matching a lot (initials of a 2-character term match ordinary Latin words).
DEFAULT_TRANSFORMS: frozenset[Transform] = frozenset(ALL_TRANSFORMS - {Transform.INITIALS, Transform.SPLIT})


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    risk: str                                  # risk id, e.g. "A1.4"
    weight: float = 1.0                        # 0..1: how strong this hit is as evidence
    mode: MatchMode = MatchMode.SUBSTRING
    transforms: frozenset[Transform] = DEFAULT_TRANSFORMS  # the transformations on for this term
    note: str = ""
    source: str = ""                           # library name (and file) the term came from


@dataclass(frozen=True, slots=True)
class ContextRule:
    """Tames a noisy term: it counts only when (``require_any`` is empty or one of those words occurs
    within ``window`` characters of the hit) and none of ``exclude_any`` occurs there."""

    term: str
    require_any: tuple[str, ...] = ()
    exclude_any: tuple[str, ...] = ()
    window: int = 20


@dataclass(frozen=True, slots=True)
class ChangeLogEntry:
    version: str
    date: str          # ISO date
    summary: str
    added: int = 0
    removed: int = 0


@dataclass(slots=True)
class Lexicon:
    name: str
    version: str
    description: str = ""
    terms: list[Term] = field(default_factory=list)
    # Phrases in which a hit does not count (e.g. 法轮 inside 法轮常转 of Buddhist texts).
    allow: list[str] = field(default_factory=list)
    context: list[ContextRule] = field(default_factory=list)
    changelog: list[ChangeLogEntry] = field(default_factory=list)
    # Library-wide default transformations for terms that do not set their own.
    default_transforms: frozenset[Transform] = DEFAULT_TRANSFORMS
