"""The key two spellings of one term share, for de-duplication and counting: the normalized form
(NFKC, case folding, invisible characters, traditional → simplified, separators, numerals, homoglyphs
— the character-level transformations; homophones and pinyin are NOT folded: those are different terms).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from hegui.moderation.lexicon.model import DEFAULT_TRANSFORMS, Transform

# Sound-level transformations relate different strings; a key folds only character-level ones.
_CHAR_LEVEL = DEFAULT_TRANSFORMS - {Transform.HOMOPHONES, Transform.PINYIN, Transform.INITIALS,
                                    Transform.SPLIT}


def _fallback(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def key_function() -> Callable[[str], str]:
    """A function text → key. Uses the project normalizer when it is installed (through its shared
    per-character cache: normalization is context-free, and a 100k-term list has only a few thousand
    distinct characters), else NFKC + case folding without spaces."""
    try:
        from hegui.moderation.normalize import normalize_char_cached
    except ImportError:  # pragma: no cover - the normalizer ships with hegui; kept for partial installs
        return _fallback

    def key(text: str) -> str:
        return "".join([normalize_char_cached(ch, _CHAR_LEVEL) for ch in text])

    return key
