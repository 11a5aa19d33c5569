"""L2: the moderation engine — text in, Verdict out. An embeddable library: no web, DB or CLI imports.

Public entry points (imported lazily so ``import hegui.moderation`` stays cheap):
``Moderator`` and ``build_moderator`` from ``hegui.moderation.engine``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hegui.moderation.engine import Moderator, build_moderator

__all__ = ["Moderator", "build_moderator"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from hegui.moderation import engine

        return getattr(engine, name)
    raise AttributeError(name)
