"""POST /v1/moderations against the real app (hegui.server.create_app) and a real moderator."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hegui.core.risks import CATEGORY_IDS, RISK_IDS
from hegui.core.settings import Settings, load_settings
from hegui.core.types import Detector
from hegui.moderation.detectors import registry
from hegui.server import create_app
from hegui.testing.detectors import TermDetector

TERMS_DETECTOR = """
[detectors.terms.options]
terms = {"炸弹" = ["A1.4", 0.95], "赌场" = ["A1.8", 0.6], "bomb" = ["A1.4", 0.9]}
"""
POLICY = """
version = "gw-test-1"

[detectors.pii]
""" + TERMS_DETECTOR + """

[[rules]]
risk = "*"
min_score = 0.5
action = "label"
[[rules]]
risk = "A1"
direction = "input"
min_score = 0.85
action = "refuse"
[[rules]]
risk = "A1"
direction = "output"
min_score = 0.85
action = "block"
[[rules]]
detector = "pii"
risk = "*"
min_score = 0.5
action = "rewrite"

[templates.refuse]
zh = "抱歉，无法回答。"
en = "Sorry, I can't help with that."
[templates.block]
zh = "已停止。"
en = "Stopped."
"""


def _terms_factory(settings: Settings, *, terms: dict[str, list[Any]]) -> Detector:
    return TermDetector({t: (str(v[0]), float(v[1])) for t, v in terms.items()})


@pytest.fixture(scope="module")
def policy_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    # A plug-in detector registered exactly as a third-party package's would be.
    registry.register("terms", _terms_factory, replace=True)
    path = tmp_path_factory.mktemp("policy") / "policy.toml"
    path.write_text(POLICY, encoding="utf-8")
    yield path
    registry._factories.pop("terms", None)


@pytest.fixture(scope="module")
def app_settings(policy_file: Path) -> Settings:
    return load_settings(policy_path=policy_file, use_seed_lexicon=False, max_request_bytes=64 * 1024)


def post(settings: Settings, body: Any, *, raw: bytes | None = None) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(settings))
        async with httpx.AsyncClient(transport=transport, base_url="http://hegui") as client:
            if raw is not None:
                return await client.post("/v1/moderations", content=raw,
                                         headers={"content-type": "application/json"})
            return await client.post("/v1/moderations", json=body)

    return asyncio.run(go())


def test_healthz(app_settings: Settings) -> None:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(app_settings))
        async with httpx.AsyncClient(transport=transport, base_url="http://hegui") as client:
            return await client.get("/healthz")

    response = asyncio.run(go())
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_single_input_openai_shape_keyed_by_our_risk_ids(app_settings: Settings) -> None:
    response = post(app_settings, {"input": "怎么做炸弹", "model": "omni-moderation-latest"})
    assert response.status_code == 200
    data = response.json()
    assert data["id"].startswith("modr-") and data["model"].startswith("hegui-")
    [result] = data["results"]
    assert result["flagged"] is True
    assert set(result["categories"]) == set(RISK_IDS) | set(CATEGORY_IDS)
    assert set(result["category_scores"]) == set(result["categories"])
    assert result["categories"]["A1.4"] is True and result["categories"]["A1"] is True
    assert result["categories"]["A2.5"] is False and result["category_scores"]["A2.5"] == 0
    assert result["category_scores"]["A1.4"] == pytest.approx(0.95)
    hegui = result["hegui"]
    assert hegui["action"] == "refuse" and hegui["message"] == "抱歉，无法回答。"
    assert hegui["policy_version"] == "gw-test-1"
    assert hegui["findings"][0]["span"] == [3, 5] and hegui["findings"][0]["evidence"] == "炸弹"


def test_list_input_keeps_order_and_direction_applies(app_settings: Settings) -> None:
    texts = ["hello", "a bomb", "", "这家赌场", "电话13812345678"]
    data = post(app_settings, {"input": texts, "direction": "output"}).json()
    actions = [r["hegui"]["action"] for r in data["results"]]
    assert actions == ["pass", "block", "pass", "label", "rewrite"]
    assert [r["flagged"] for r in data["results"]] == [False, True, False, True, True]
    assert data["results"][3]["categories"]["A1.8"] is True  # labelled: flagged for its risk
    assert "13812345678" not in data["results"][4]["hegui"]["rewritten"]
    assert data["results"][4]["categories"]["A4.6"] is True


@pytest.mark.parametrize(("body", "status", "needle"), [
    ({"input": []}, 400, "empty"),
    ({"input": ["x"] * 1001}, 400, "limit of 1000"),
    ({"input": 42}, 400, "input"),
    ({"input": ["ok", {"type": "image_url"}]}, 400, "input"),
    ({"text": "hi"}, 400, "input"),
    ({"input": "hi", "direction": "sideways"}, 400, "direction"),
    ([1, 2], 400, "body"),
])
def test_bad_requests_are_4xx_json(app_settings: Settings, body: Any, status: int, needle: str) -> None:
    response = post(app_settings, body)
    assert response.status_code == status
    error = response.json()["error"]
    assert needle in error["message"] and error["type"] == "invalid_request_error"


def test_malformed_json_and_oversize_bodies(app_settings: Settings) -> None:
    response = post(app_settings, None, raw=b'{"input": "unterminated')
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("request body is not valid JSON")
    response = post(app_settings, None, raw=json.dumps({"input": "x" * 70_000}).encode())
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"
    small = app_settings.model_copy(update={"max_text_chars": 5})
    response = post(small, {"input": "more than five"})
    assert response.status_code == 413 and "max_text_chars" in response.json()["error"]["message"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_real_server_via_hegui_serve(tmp_path: Path) -> None:
    """Start `hegui serve` for real, poll /healthz, post a moderation request, stop it."""
    policy = tmp_path / "pii_only.toml"
    policy.write_text(POLICY.replace(TERMS_DETECTOR, ""), encoding="utf-8")  # no plug-in out there
    port = _free_port()
    hegui = Path(sys.executable).with_name("hegui")
    env = {**os.environ, "HEGUI_USE_SEED_LEXICON": "false"}
    proc = subprocess.Popen([str(hegui), "serve", "--port", str(port), "--policy", str(policy)],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                _, err = proc.communicate(timeout=5) if proc.poll() is not None else (b"", b"")
                pytest.fail(f"server did not come up: {err.decode(errors='replace')[-2000:]}")
            time.sleep(0.2)
        response = httpx.post(f"{base}/v1/moderations", json={"input": ["身份证 11010519491231002X", "hi"]},
                              timeout=10)
        assert response.status_code == 200
        results = response.json()["results"]
        assert results[0]["hegui"]["action"] == "rewrite" and results[1]["flagged"] is False
        assert results[0]["hegui"]["policy_version"] == "gw-test-1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert b"Traceback" not in (proc.stderr.read() if proc.stderr else b"")


def test_default_app_with_seed_and_extra_library(tmp_path: Path) -> None:
    library = tmp_path / "extra.tsv"
    library.write_text("term\trisk\tweight\n月亮炸弹\tA1.4\t1.0\n", encoding="utf-8")
    settings = load_settings(lexicon_paths=[library])
    texts = ["你好，今天天气怎么样？", "教我做月亮炸弹", "我的邮箱是 zhang.san@example.com"]
    data = post(settings, {"input": texts})
    assert data.status_code == 200
    first, second, third = data.json()["results"]
    assert first["flagged"] is False and not any(first["categories"].values())
    assert second["hegui"]["action"] == "refuse" and second["categories"]["A1.4"] is True
    assert second["hegui"]["policy_version"].startswith("hegui-default-")
    assert third["hegui"]["action"] == "rewrite" and "zhang.san@" not in third["hegui"]["rewritten"]


class _WarmUpRecorder(Detector):
    """A plug-in detector that only records when, and on which thread, it is asked to warm up."""

    name = "warm"
    version = "1"

    def __init__(self) -> None:
        self.warmed = threading.Event()
        self.thread_name = ""

    def detect(self, text: str, ctx: Any = None) -> list[Any]:
        return []

    def warm_up(self) -> None:
        self.thread_name = threading.current_thread().name
        self.warmed.set()


def test_app_start_up_warms_the_detectors_up_in_the_background(tmp_path: Path) -> None:
    recorder = _WarmUpRecorder()
    registry.register("warm", lambda settings: recorder, replace=True)
    policy = tmp_path / "policy.toml"
    policy.write_text('version = "warm-1"\n[detectors.warm]\n' + POLICY[POLICY.index("[[rules]]"):],
                      encoding="utf-8")
    try:
        app = create_app(load_settings(policy_path=policy, use_seed_lexicon=False))
        assert not recorder.warmed.is_set()  # building the app loads nothing yet

        async def start_up() -> bool:
            async with app.router.lifespan_context(app):  # what uvicorn runs at start-up
                return await asyncio.to_thread(recorder.warmed.wait, 30)

        assert asyncio.run(start_up())
        assert recorder.thread_name == "hegui-warm-up"
    finally:
        registry._factories.pop("warm", None)
