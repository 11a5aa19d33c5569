"""Labeling over HTTP, in-process with httpx ASGITransport against the real gateway factory
(``create_gateway``: the same error handlers and body-size limit as ``hegui serve``), plus one request
through ``hegui.server.create_app``."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image

from hegui.core.label import ContentLabel
from hegui.core.settings import load_settings
from hegui.gateway.app import create_gateway
from hegui.labeling.base import labeler_for
from hegui.labeling.signing import keygen, load_private_key, sign

CODE = "001191110102MAD55U9H0F10002"


def _png_bytes(color: str = "white") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (240, 160), color).save(buf, format="PNG")
    return buf.getvalue()


def _post(app: FastAPI, url: str, files: dict[str, Any],
          data: dict[str, str] | None = None) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post(url, files=files, data=data or {})

    return asyncio.run(go())


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_gateway(load_settings(max_request_bytes=2_000_000), moderator=None)


def test_add_returns_labeled_attachment(app: FastAPI) -> None:
    resp = _post(app, "/v1/labels", {"file": ("gen.png", _png_bytes(), "image/png")},
                 {"producer": CODE, "produce_id": "req-1", "strict_code": "true"})
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-disposition"] == 'attachment; filename="gen.png"'
    label = ContentLabel.from_json(resp.headers["x-aigc-label"])
    assert label.ContentProducer == CODE and label.ProduceID == "req-1"
    # The returned bytes really carry the label: inspect them through the API.
    check = _post(app, "/v1/labels/inspect", {"file": ("back.png", resp.content, "image/png")})
    assert check.status_code == 200
    assert check.json()["label"] == label.inner()
    with Image.open(io.BytesIO(resp.content)) as img:
        assert img.size == (240, 160)


def test_upload_name_cannot_escape(app: FastAPI) -> None:
    resp = _post(app, "/v1/labels", {"file": ("../../etc/evil name.png", _png_bytes(), "image/png")},
                 {"producer": "P", "explicit": "false"})
    assert resp.status_code == 200
    assert resp.headers["content-disposition"] == 'attachment; filename="evil_name.png"'


def test_add_json_variant_and_text_explicit(app: FastAPI) -> None:
    resp = _post(app, "/v1/labels", {"file": ("note.md", "# 标题\n正文\n".encode(), "text/markdown")},
                 {"producer": "ExampleAI", "response_format": "json", "language": "en"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    text = base64.b64decode(body["file_base64"]).decode("utf-8")
    assert "AI生成 | AI-generated content" in text and "AIGC" in text
    assert body["result"]["format"] == "text" and body["result"]["explicit"]["applied"]


def test_inspect_verifies_with_public_key(app: FastAPI) -> None:
    private_pem, public_pem = keygen()
    labeled = _post(app, "/v1/labels", {"file": ("a.png", _png_bytes(), "image/png")},
                    {"producer": "ExampleAI", "explicit": "false"}).content
    # Sign it client-side the way `hegui label add --sign` does, then ask the server to verify.
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a.png"
        path.write_bytes(labeled)
        labeler = labeler_for(path)
        label = labeler.extract(path).label
        assert label is not None
        token = sign(label, labeler.content_digest(path), load_private_key(private_pem))
        signed = Path(tmp) / "signed.png"
        labeler.embed(path, signed, replace(label, ReservedCode1=token))
        data = signed.read_bytes()
    resp = _post(app, "/v1/labels/inspect", {"file": ("s.png", data, "image/png")},
                 {"public_key": public_pem.decode()})
    assert resp.json()["signature"]["status"] == "valid"
    bad_key = _post(app, "/v1/labels/inspect", {"file": ("s.png", data, "image/png")},
                    {"public_key": "not a key"})
    assert bad_key.status_code == 400 and "PEM" in bad_key.json()["error"]["message"]


def test_propagate_file_and_no_indication(app: FastAPI) -> None:
    labeled = _post(app, "/v1/labels", {"file": ("a.png", _png_bytes(), "image/png")},
                    {"producer": "MakerAI", "explicit": "false"}).content
    resp = _post(app, "/v1/labels/propagate", {"file": ("a.png", labeled, "image/png")},
                 {"platform": "PlatformX", "propagate_id": "post-1"})
    assert resp.status_code == 200 and resp.headers["x-aigc-decision"] == "confirmed"
    label = ContentLabel.from_json(resp.headers["x-aigc-label"])
    assert (label.ContentProducer, label.ContentPropagator, label.PropagateID) == ("MakerAI", "PlatformX",
                                                                                   "post-1")
    none = _post(app, "/v1/labels/propagate", {"file": ("b.png", _png_bytes(), "image/png")},
                 {"platform": "PlatformX", "propagate_id": "post-2"})
    assert none.status_code == 200 and none.json()["result"]["decision"] == "none"
    declared = _post(app, "/v1/labels/propagate", {"file": ("c.txt", "你好\n".encode(), "text/plain")},
                     {"platform": "PlatformX", "propagate_id": "post-3", "user_declared": "true",
                      "response_format": "json"})
    assert declared.json()["result"]["label"]["Label"] == "2"
    assert "可能为AI生成" in base64.b64decode(declared.json()["file_base64"]).decode()


@pytest.mark.parametrize(("files", "data", "status", "code"), [
    ({"file": ("x.bin", bytes(range(256)), "application/octet-stream")}, {"producer": "P"}, 415,
     "unsupported_format"),
    ({"file": ("x.png", _png_bytes()[:60], "image/png")}, {"producer": "P"}, 400, "invalid_input"),
    ({"file": ("x.png", _png_bytes(), "image/png")}, {"producer": "名字"}, 400, "label_error"),
    ({"file": ("x.png", _png_bytes(), "image/png")}, {"producer": "P", "strict_code": "true"}, 400,
     "label_error"),
    ({"file": ("x.png", _png_bytes(), "image/png")}, {}, 400, "invalid_request"),
    ({"file": ("x.png", b"", "image/png")}, {"producer": "P"}, 400, "invalid_input"),
    ({"file": ("x.png", _png_bytes(), "image/png")}, {"producer": "P", "position": "middle"}, 400,
     "invalid_input"),
])
def test_bad_requests_get_json_errors(app: FastAPI, files: dict[str, Any], data: dict[str, str],
                                      status: int, code: str) -> None:
    resp = _post(app, "/v1/labels", files, data)
    assert resp.status_code == status, resp.text
    assert resp.json()["error"]["code"] == code


def test_upload_over_the_limit_is_413(app: FastAPI) -> None:
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * 2_100_000
    resp = _post(app, "/v1/labels", {"file": ("big.png", big, "image/png")}, {"producer": "P"})
    assert resp.status_code == 413
    assert resp.json()["error"]["code"] == "payload_too_large"


# A minimal moderation policy (PII detector only), so this test depends on labeling, not on lexicons.
POLICY = """
version = "labeling-http"
[detectors.pii]
[[rules]]
risk = "*"
min_score = 0.5
action = "label"
[templates.refuse]
zh = "抱歉。"
en = "Sorry."
[templates.block]
zh = "已停止。"
en = "Stopped."
"""


def test_through_create_app(tmp_path: Path) -> None:
    from hegui.server import create_app

    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY, encoding="utf-8")
    app = create_app(load_settings(use_seed_lexicon=False, policy_path=policy))
    resp = _post(app, "/v1/labels/inspect", {"file": ("a.png", _png_bytes(), "image/png")})
    assert resp.status_code == 200
    assert json.loads(resp.text)["label"] is None
