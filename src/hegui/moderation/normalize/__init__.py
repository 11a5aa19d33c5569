"""Text normalization against evasion: NFKC and case folding, invisible characters and combining marks,
traditional → simplified, ignored separators/emoji, Chinese numerals, Latin homoglyphs, homophones and
pinyin, pinyin initials and split characters — each switchable per term (``Transform``).

Two implementations of one definition: ``chars`` (per character, pure Python: the reference, used
for terms and to verify candidates) and ``fast`` (numpy table lookups built from ``chars``: the hot
path). Both map every normalized character back to its original index.
"""

from __future__ import annotations

from hegui.moderation.normalize.chars import (
    normalize_char,
    normalize_char_cached,
    normalize_term,
    reference_normalize,
)
from hegui.moderation.normalize.fast import Channel, scan_channel
from hegui.moderation.normalize.verify import TermForms, accept

__all__ = [
    "Channel",
    "TermForms",
    "accept",
    "normalize_char",
    "normalize_char_cached",
    "normalize_term",
    "reference_normalize",
    "scan_channel",
]
