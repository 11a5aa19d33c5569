"""Keyword libraries: the data model, the on-disk format, import, coverage checks, change log.

Format: docs/lexicon-format.md. Import and coverage: ``hegui.moderation.lexicon.importer`` and
``hegui.moderation.lexicon.coverage`` (also behind ``hegui lexicon import|check``).
"""

from hegui.moderation.lexicon.files import load_lexicon, load_lexicons, save_lexicon, seed_lexicon_path
from hegui.moderation.lexicon.model import (
    ALL_TRANSFORMS,
    DEFAULT_TRANSFORMS,
    ChangeLogEntry,
    ContextRule,
    Lexicon,
    MatchMode,
    Term,
    Transform,
)

__all__ = [
    "ALL_TRANSFORMS",
    "DEFAULT_TRANSFORMS",
    "ChangeLogEntry",
    "ContextRule",
    "Lexicon",
    "MatchMode",
    "Term",
    "Transform",
    "load_lexicon",
    "load_lexicons",
    "save_lexicon",
    "seed_lexicon_path",
]
