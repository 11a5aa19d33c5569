"""L6 composition root: builds Settings-driven components and mounts the HTTP adapters."""

from __future__ import annotations

from fastapi import FastAPI

from hegui.core.settings import Settings, load_settings
from hegui.gateway.app import create_gateway


def create_app(settings: Settings | None = None) -> FastAPI:
    """The whole HTTP app. Everything it needs is built here from ``settings`` and passed in."""
    settings = settings or load_settings()
    from hegui.moderation import build_moderator

    moderator = build_moderator(settings)
    return create_gateway(settings, moderator=moderator)
