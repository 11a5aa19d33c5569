"""The FastAPI application: health, error handling, request-size limit, and the routers.

Every user error comes back as ``{"error": {"type", "code", "message"}}`` with a 4xx status —
never a traceback.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hegui import __version__
from hegui.core.errors import HeguiError
from hegui.core.settings import Settings


def error_body(status: int, code: str, message: str) -> JSONResponse:
    kind = "invalid_request_error" if status < 500 else "server_error"
    body = {"error": {"type": kind, "code": code, "message": message}}
    return JSONResponse(status_code=status, content=body)


class BodySizeLimit:
    """Reject bodies over ``limit`` bytes with 413 before reading them into memory."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await self._reject(scope, receive, send)
                return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await self._reject(scope, receive, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_body(413, "payload_too_large", f"request body is larger than {self.limit} bytes")
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """At start-up, the moderator's detectors load their model weights in a background thread (the
    server answers meanwhile; a text arriving first waits for what it needs), so the first request
    does not pay for them. A failure is logged there and left to the first text, per ``on_error``."""
    warm_up = getattr(app.state.moderator, "warm_up", None)
    if warm_up is not None:
        threading.Thread(target=warm_up, name="hegui-warm-up", daemon=True).start()
    yield


def create_gateway(settings: Settings, *, moderator: Any) -> FastAPI:
    app = FastAPI(title="hegui", version=__version__, docs_url="/docs", redoc_url=None, lifespan=_lifespan)
    app.state.settings = settings
    app.state.moderator = moderator

    @app.exception_handler(HeguiError)
    async def _hegui_error(_: Request, err: HeguiError) -> JSONResponse:
        return error_body(err.http_status, err.code, err.message)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, err: RequestValidationError) -> JSONResponse:
        parts = []
        for e in err.errors()[:5]:
            if e.get("type") == "json_invalid":
                ctx = e.get("ctx") or {}
                why = f": {ctx['error']}" if ctx.get("error") else ""
                parts.append(f"request body is not valid JSON{why}")
                continue
            loc = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
            parts.append(f"{loc}: {e.get('msg', 'invalid')}")
        return error_body(400, "invalid_request", "; ".join(parts) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, err: StarletteHTTPException) -> JSONResponse:
        return error_body(err.status_code, "http_error", str(err.detail))

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__}

    from hegui.gateway import moderations

    app.include_router(moderations.router)
    try:
        # `import x.y as z` (not `from x import y`) so a missing module is a ModuleNotFoundError.
        import hegui.gateway.labeling as labeling
    except ModuleNotFoundError as err:  # labeling endpoints land with the labeling toolkit
        if err.name != "hegui.gateway.labeling":
            raise
    else:
        app.include_router(labeling.router)

    app.add_middleware(BodySizeLimit, limit=settings.max_request_bytes)
    return app
