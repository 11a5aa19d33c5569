"""A scripted OpenAI-compatible chat-completions server for tests: real HTTP on 127.0.0.1.

    with ScriptedUpstream(["Safety: Safe", Reply(status=500), Reply.drop()]) as server:
        client = ...(base_url=server.base_url)   # http://127.0.0.1:PORT/v1

Each ``POST /v1/chat/completions`` takes the next reply of the script (a list, consumed in order) or
asks the script (a callable given the recorded request). A reply is text (answered as a normal
completion, or as SSE chunks when the request says ``"stream": true``), an error status, a delay,
a raw (garbage) body, or a dropped connection. Every request is recorded, and the server keeps the
highest number of requests it was serving at the same time (to test concurrency limits).
Never imported by hegui itself.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["RecordedRequest", "Reply", "ScriptedUpstream", "closed_port"]


@dataclass(frozen=True)
class Reply:
    """One scripted answer. Defaults: 200 with ``text`` as the assistant message.

    ``status`` != 200 answers an OpenAI-style error body (unless ``body`` is given); ``delay``
    seconds pass before anything is sent; ``body`` is sent as-is instead of a completion;
    ``drop`` closes the connection without a response; ``chunks`` splits a streamed answer
    (default: pieces of ``chunk_chars``), ``chunk_delay`` seconds apart; ``sse`` streams (True) or
    not (False) whatever the request asked — a slow trickle, or a stream nobody asked for.
    """

    text: str = ""
    status: int = 200
    delay: float = 0.0
    body: bytes | None = None
    drop: bool = False
    chunks: Sequence[str] | None = None
    chunk_chars: int = 4
    chunk_delay: float = 0.0
    content_type: str = "application/json"
    sse: bool | None = None  # answer as an SSE stream: None = as the request asks

    @classmethod
    def error(cls, status: int, message: str = "scripted error") -> Reply:
        return cls(text=message, status=status)

    @classmethod
    def garbage(cls, body: bytes = b"<html>502 Bad Gateway</html>", status: int = 200) -> Reply:
        return cls(body=body, status=status, content_type="text/html")

    @classmethod
    def slow(cls, seconds: float, text: str = "") -> Reply:
        return cls(text=text, delay=seconds)

    @classmethod
    def drop_connection(cls) -> Reply:
        return cls(drop=True)

    def stream_pieces(self) -> list[str]:
        if self.chunks is not None:
            return list(self.chunks)
        step = max(1, self.chunk_chars)
        return [self.text[i:i + step] for i in range(0, len(self.text), step)] or [""]


@dataclass(frozen=True)
class RecordedRequest:
    """What the server received. ``json`` is the parsed body, or None when it was not JSON."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any = None
    received_at: float = field(default_factory=time.monotonic)

    @property
    def messages(self) -> list[dict[str, Any]]:
        data = self.json if isinstance(self.json, dict) else {}
        messages = data.get("messages")
        return messages if isinstance(messages, list) else []


Script = Sequence["Reply | str"] | Callable[[RecordedRequest], "Reply | str"]


class ScriptedUpstream:
    """The server; a context manager (``start()``/``stop()`` also work). ``model`` is what
    ``GET /v1/models`` lists and what completions report when the request names none."""

    def __init__(self, script: Script, *, model: str = "scripted-model") -> None:
        self.model = model
        self.requests: list[RecordedRequest] = []
        self.max_in_flight = 0
        self._script = script
        self._replies: Iterator[Reply | str] | None = (
            None if callable(script) else iter(list(script)))
        self._lock = threading.Lock()
        self._in_flight = 0
        self._ids = itertools.count(1)
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> ScriptedUpstream:
        handler = type("Handler", (_Handler,), {"upstream": self})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        server.block_on_close = False  # a delayed reply must not hold up the test's teardown
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="scripted-upstream", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes replies that are waiting out their delay
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ScriptedUpstream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the scripted upstream is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL, ending in ``/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    # ------------------------------------------------------------------ used by the handler

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _done(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _next_reply(self, request: RecordedRequest) -> Reply:
        if callable(self._script):
            reply = self._script(request)
        else:
            with self._lock:
                assert self._replies is not None
                reply = next(self._replies, Reply.error(500, "scripted upstream: script exhausted"))
        return Reply(text=reply) if isinstance(reply, str) else reply

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def _completion_id(self) -> str:
        with self._lock:
            return f"chatcmpl-scripted-{next(self._ids)}"


class _Handler(BaseHTTPRequestHandler):
    upstream: ScriptedUpstream
    protocol_version = "HTTP/1.1"  # keep-alive, like a real server
    # Headers and body go out in separate writes: with Nagle's algorithm on, the body waits for
    # the client's delayed ACK (~40 ms per request on Linux loopback).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/v1/models":
            self._send_json(200, {"object": "list", "data": [
                {"id": self.upstream.model, "object": "model", "owned_by": "hegui-testing"}]})
        else:
            self._send_json(404, _error_body(f"no route GET {self.path}", 404))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            parsed: Any = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        request = RecordedRequest("POST", self.path, {k.lower(): v for k, v in self.headers.items()},
                                  raw, parsed)
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send_json(404, _error_body(f"no route POST {self.path}", 404))
            return
        self.upstream._record(request)
        try:
            self._answer(request, self.upstream._next_reply(request))
        finally:
            self.upstream._done()

    def _answer(self, request: RecordedRequest, reply: Reply) -> None:
        self.upstream._wait(reply.delay)
        if reply.drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if reply.body is not None:
            self._send(reply.status, reply.body, reply.content_type)
            return
        if reply.status != 200:
            self._send_json(reply.status, _error_body(reply.text, reply.status))
            return
        data = request.json if isinstance(request.json, dict) else {}
        model = str(data.get("model") or self.upstream.model)
        if reply.sse if reply.sse is not None else data.get("stream") is True:
            self._stream(reply, model)
        else:
            self._send_json(200, {
                "id": self.upstream._completion_id(), "object": "chat.completion",
                "created": int(time.time()), "model": model,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": reply.text}}],
                "usage": {"prompt_tokens": 0, "completion_tokens": len(reply.text),
                          "total_tokens": len(reply.text)},
            })

    def _stream(self, reply: Reply, model: str) -> None:
        # No length is known up front: send the events and close the connection at the end.
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        ident, created = self.upstream._completion_id(), int(time.time())

        def event(delta: dict[str, str], finish: str | None) -> None:
            chunk = {"id": ident, "object": "chat.completion.chunk", "created": created,
                     "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
            self.wfile.flush()

        try:
            event({"role": "assistant", "content": ""}, None)
            for piece in reply.stream_pieces():
                self.upstream._wait(reply.chunk_delay)
                event({"content": piece}, None)
            event({}, "stop")
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away mid-stream (what a gateway does on a block): fine

    def _send_json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False).encode(), "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. its timeout passed during our delay)


def _error_body(message: str, status: int) -> dict[str, Any]:
    kind = "invalid_request_error" if 400 <= status < 500 else "server_error"
    return {"error": {"message": message, "type": kind, "code": status}}


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released): connecting is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
