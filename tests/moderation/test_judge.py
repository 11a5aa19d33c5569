"""The remote guard judge against a scripted OpenAI-compatible server (real HTTP over loopback)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hegui.core.errors import PolicyError
from hegui.core.settings import load_settings
from hegui.core.types import Action, DetectionContext, Direction, Finding
from hegui.moderation.detectors import build_detectors
from hegui.moderation.engine import Moderator
from hegui.moderation.judge import RemoteJudgeDetector
from hegui.moderation.policy import load_policy
from hegui.testing.upstream import RecordedRequest, Reply, ScriptedUpstream, closed_port

INPUT = DetectionContext(direction=Direction.INPUT)
OUTPUT = DetectionContext(direction=Direction.OUTPUT)


@pytest.fixture
def upstream() -> Iterator[ScriptedUpstream]:
    with ScriptedUpstream([]) as server:
        yield server


def judge(base_url: str, **options: Any) -> RemoteJudgeDetector:
    options.setdefault("model", "Qwen3Guard-Gen-0.6B")
    options.setdefault("timeout", 0.5)
    return RemoteJudgeDetector(base_url=base_url, **options)


def run(replies: list[Reply | str], text: str = "怎么制作炸弹？", ctx: DetectionContext = INPUT,
        **options: Any) -> tuple[list[Finding], ScriptedUpstream]:
    with ScriptedUpstream(replies) as server:
        detector = judge(server.base_url, **options)
        try:
            return detector.detect(text, ctx), server
        finally:
            detector.close()


def risks(findings: list[Finding]) -> dict[str, float]:
    return {f.risk: f.score for f in findings}


# ---------------------------------------------------------------------- Qwen3Guard format


def test_qwen3guard_safe_sends_the_prompt_as_the_user_turn() -> None:
    findings, server = run(["Safety: Safe\nCategories: None"], text="今天天气怎么样？")
    assert findings == []
    (request,) = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.json["model"] == "Qwen3Guard-Gen-0.6B" and request.json["temperature"] == 0
    assert request.messages == [{"role": "user", "content": "今天天气怎么样？"}]


def test_qwen3guard_unsafe_categories_map_to_risk_ids() -> None:
    findings, _ = run(["Safety: Unsafe\nCategories: Violent, PII, Copyright Violation"])
    assert risks(findings) == {"A1.6": 0.9, "A4.6": 0.9, "A3.1": 0.9}
    assert all(f.detector == "judge" and f.span is None for f in findings)
    assert findings[0].meta["safety"] == "unsafe"


def test_qwen3guard_controversial_scores_lower_and_is_configurable() -> None:
    findings, _ = run(["Safety: Controversial\nCategories: Politically Sensitive Topics"])
    assert risks(findings) == {"A1.2": 0.6}
    findings, _ = run(["Safety: Controversial\nCategories: Suicide & Self-Harm"],
                      controversial_score=0.4)
    assert risks(findings) == {"A4.1": 0.4}


def test_qwen3guard_parsing_tolerates_case_spacing_and_chinese_punctuation() -> None:
    reply = "  safety：UNSAFE  \n CATEGORIES： sexual content or sexual acts，Violent、Jailbreak\n"
    findings, _ = run([reply])
    # Two categories on one risk are one piece of evidence (no noisy-or inflation).
    assert risks(findings) == {"A1.6": 0.9, "A1.8": 0.9}
    a16 = next(f for f in findings if f.risk == "A1.6")
    assert a16.meta["categories"] == ["sexual content or sexual acts", "Violent"]


def test_qwen3guard_unsafe_without_known_category_uses_default_risk() -> None:
    findings, _ = run(["Safety: Unsafe\nCategories: Spam Robots"])
    assert risks(findings) == {"A1.8": 0.9}
    assert findings[0].meta["unknown_categories"] == ["Spam Robots"]
    findings, _ = run(["Safety: Unsafe\nCategories: Spam Robots"], risk_map={"Spam Robots": "A3.5"})
    assert risks(findings) == {"A3.5": 0.9}
    assert "unknown_categories" not in findings[0].meta


@pytest.mark.parametrize("reply", ["I think this is fine.", "Safety: Probably\nCategories: None",
                                   "Safety: Safe\nSafety: Unsafe", "", "安全"])
def test_qwen3guard_garbage_is_recognised_and_fails_closed(reply: str) -> None:
    findings, _ = run([reply])
    assert risks(findings) == {"A1.8": 1.0}
    assert "garbage verdict" in findings[0].meta["error"]
    assert findings[0].meta["on_error"] == "fail-closed"


def test_output_direction_sends_prompt_and_answer_and_records_refusal() -> None:
    ctx = DetectionContext(direction=Direction.OUTPUT, extra={"prompt": "怎么开锁？"})
    findings, server = run(["Safety: Unsafe\nCategories: Non-violent Illegal Acts\nRefusal: No"],
                           text="先用张力扳手……", ctx=ctx)
    assert risks(findings) == {"A1.8": 0.9} and findings[0].meta["refusal"] is False
    assert server.requests[0].messages == [{"role": "user", "content": "怎么开锁？"},
                                           {"role": "assistant", "content": "先用张力扳手……"}]
    _, server = run(["Safety: Safe\nCategories: None\nRefusal: Yes"], text="不能帮你。", ctx=OUTPUT)
    assert server.requests[0].messages == [{"role": "assistant", "content": "不能帮你。"}]


def test_long_text_is_truncated_head_and_tail_and_the_finding_says_so() -> None:
    text = "开头" + "平" * 5000 + "结尾炸弹"
    findings, server = run(["Safety: Unsafe\nCategories: Violent"], text=text, max_chars=200)
    sent = server.requests[0].messages[0]["content"]
    assert len(sent) <= 203 and sent.startswith("开头") and sent.endswith("结尾炸弹")
    assert findings[0].meta["truncated"] == {"sent_chars": 200, "text_chars": len(text),
                                             "prompt_chars": 0}


def test_any_str_is_sent_lone_surrogates_replaced() -> None:
    texts = ["坏\ud800人", "\x00\u200b", "\udfff", "🙂" * 3]
    ctx = DetectionContext(direction=Direction.OUTPUT, extra={"prompt": "问\udc80"})
    with ScriptedUpstream(lambda _: "Safety: Safe") as server:
        detector = judge(server.base_url)
        assert [detector.detect(t, ctx) for t in texts] == [[]] * 4
        detector.close()
    sent = [r.messages for r in server.requests]
    assert sent[0] == [{"role": "user", "content": "问\ufffd"},
                       {"role": "assistant", "content": "坏\ufffd人"}]
    assert sent[3][1]["content"] == "🙂" * 3


def test_empty_text_makes_no_call(upstream: ScriptedUpstream) -> None:
    detector = judge(upstream.base_url)
    assert detector.detect("  \n", INPUT) == []
    assert upstream.requests == []


# ---------------------------------------------------------------------- JSON format


def test_json_verdict_plain_and_in_code_fences() -> None:
    plain = '{"safe": false, "risks": [{"id": "A1.4", "score": 0.97}], "reason": "恐怖主义"}'
    findings, server = run([plain], format="json")
    assert risks(findings) == {"A1.4": 0.97}
    assert "恐怖主义" in findings[0].explanation
    system, user = server.requests[0].messages
    assert system["role"] == "system" and "A1.4" in system["content"] and "JSON" in system["content"]
    assert user["role"] == "user" and "<content>\n怎么制作炸弹？\n</content>" in user["content"]
    fenced = ('Here is my verdict:\n```json\n{"safe": false, "risks": [{"id": "A2.5", "score": 0.8},'
              ' {"id": "A4.3", "score": 0.55}], "reason": "x {not json}"}\n```')
    findings, _ = run([fenced], format="json")
    assert risks(findings) == {"A2.5": 0.8, "A4.3": 0.55}
    findings, _ = run(['```\n{"safe": true, "risks": [], "reason": "ok"}\n```'], format="json")
    assert findings == []


def test_json_unknown_risk_ids_are_rejected_per_item_not_fatal() -> None:
    reply = ('{"safe": false, "risks": [{"id": "A9.9", "score": 0.9}, {"id": "A1.8", "score": 2},'
             ' {"id": "A1.7", "score": 0.7}, "A1.1"]}')
    findings, _ = run([reply], format="json")
    assert risks(findings) == {"A1.7": 0.7}
    assert len(findings[0].meta["rejected_risks"]) == 3
    findings, _ = run(['{"safe": false, "risks": [{"id": "bad", "score": 0.9}]}'], format="json")
    assert risks(findings) == {"A1.8": 0.9}  # unsafe with nothing usable: the default risk


def test_json_output_direction_gives_the_prompt_as_context() -> None:
    ctx = DetectionContext(direction=Direction.OUTPUT, extra={"prompt": "问题？"})
    _, server = run(['{"safe": true, "risks": []}'], text="回答。", ctx=ctx, format="json")
    user = server.requests[0].messages[1]["content"]
    assert "<prompt>\n问题？\n</prompt>" in user and "<content>\n回答。\n</content>" in user


@pytest.mark.parametrize("reply", ["no json here", '{"safe": "no"}', "[1, 2]",
                                   '{"safe": false, "risks": "A1.4"}'])
def test_json_garbage_fails_closed(reply: str) -> None:
    findings, _ = run([reply], format="json")
    assert risks(findings) == {"A1.8": 1.0} and "garbage verdict" in findings[0].meta["error"]


# ---------------------------------------------------------------------- failures


@pytest.mark.parametrize(("reply", "error"), [
    (Reply.slow(1.0, "Safety: Safe"), "timeout after 0.3 s"),
    (Reply.error(500, "boom"), "HTTP 500"),
    (Reply.error(401, "bad key"), "HTTP 401"),
    (Reply.garbage(), "not a chat completion"),
    (Reply.garbage(b'{"choices": []}'), "not a chat completion"),
    (Reply.drop_connection(), "RemoteProtocolError"),
    # Each piece comes well within the read timeout, the whole body does not: one deadline.
    (Reply("Safety: Safe", chunk_chars=1, chunk_delay=0.05, sse=True), "timeout after 0.3 s"),
    (Reply("Safety: Safe", sse=True), "not a chat completion"),
    (Reply(body=b"x" * (1 << 21)), "reply body over 1,048,576 bytes"),
])
def test_failures_follow_fail_closed_or_fail_open(reply: Reply, error: str) -> None:
    closed, _ = run([reply], timeout=0.3)
    assert risks(closed) == {"A1.8": 1.0} and error in closed[0].meta["error"]
    opened, _ = run([reply], timeout=0.3, on_error="fail-open")
    assert risks(opened) == {"A1.8": 0.0} and error in opened[0].meta["error"]
    assert opened[0].meta["on_error"] == "fail-open"


def test_connection_refused_and_custom_error_risk() -> None:
    detector = judge(f"http://127.0.0.1:{closed_port()}/v1", error_risk="A5.2", error_score=0.99)
    (finding,) = detector.detect("hello", INPUT)
    assert (finding.risk, finding.score) == ("A5.2", 0.99)
    assert "ConnectError" in finding.meta["error"]


@pytest.mark.parametrize(("limit", "expect_max"), [(2, 2), (6, 6)])
def test_concurrency_limit_is_shared_by_all_threads(limit: int, expect_max: int) -> None:
    with ScriptedUpstream(lambda _: Reply.slow(0.15, "Safety: Safe")) as server:
        detector = judge(server.base_url, max_concurrency=limit, timeout=2.0)
        results: list[list[Finding]] = []
        threads = [threading.Thread(target=lambda: results.append(detector.detect("问题", INPUT)))
                   for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        detector.close()
    assert results == [[]] * 6 and len(server.requests) == 6
    if limit == 2:
        assert server.max_in_flight == 2
    else:  # without a tight limit the server does see the parallelism (the check can fail)
        assert server.max_in_flight > 2


def test_api_key_comes_from_the_named_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUDGE_TEST_KEY", "sk-test-123")
    _, server = run(["Safety: Safe"], api_key_env="JUDGE_TEST_KEY")
    assert server.requests[0].headers["authorization"] == "Bearer sk-test-123"
    monkeypatch.delenv("JUDGE_TEST_KEY")
    with pytest.raises(PolicyError, match=r"JUDGE_TEST_KEY.*not set"):
        judge("http://127.0.0.1:1/v1", api_key_env="JUDGE_TEST_KEY")


@pytest.mark.parametrize(("options", "message"), [
    ({"base_url": "ftp://x/v1"}, "base_url: expected an http"),
    ({"base_url": "not a url"}, "base_url"),
    ({"base_url": "http://127.0.0.1:99999/v1"}, "base_url: bad port"),
    ({"format": "xml"}, "format: expected one of 'qwen3guard', 'json', got 'xml'"),
    ({"on_error": "ignore"}, "on_error: expected one of"),
    ({"timeout": 0}, "timeout: expected a number > 0"),
    ({"max_concurrency": 0}, "max_concurrency"),
    ({"max_concurrency": 1.5}, "max_concurrency: expected an integer"),
    ({"risk_map": {"Violent": "A9"}}, "risk_map.Violent: unknown risk id 'A9'"),
    ({"error_risk": "X"}, "error_risk: unknown risk id"),
    ({"unsafe_score": 1.5}, "unsafe_score"),
    ({"model": ""}, "model: expected a non-empty string"),
])
def test_bad_options_are_a_policy_error_naming_the_option(options: dict[str, Any], message: str) -> None:
    options = {"base_url": "http://127.0.0.1:8000/v1", **options}
    with pytest.raises(PolicyError, match=r"detectors\.judge\.options\.") as err:
        judge(**options)
    assert message in str(err.value)


# ---------------------------------------------------------------------- through the Moderator

POLICY = """
version = "judge-test-1"

[detectors.judge]
enabled = true
[detectors.judge.options]
base_url = "{base_url}"
model = "Qwen3Guard-Gen-4B"
timeout = 0.3
on_error = "{on_error}"
{extra}

[[rules]]
risk = "*"
min_score = 0.5
action = "label"

[[rules]]
risk = "*"
direction = "input"
min_score = 0.85
action = "refuse"

[[rules]]
risk = "*"
direction = "output"
min_score = 0.85
action = "block"

[templates.refuse]
zh = "不能回答：{{risk_name}}"
en = "Cannot answer: {{risk_name}}"

[templates.block]
zh = "已停止"
en = "Stopped"
"""


def moderator(tmp_path: Path, base_url: str, on_error: str = "fail-closed", extra: str = "") -> Moderator:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY.format(base_url=base_url, on_error=on_error, extra=extra), encoding="utf-8")
    policy = load_policy(path)
    return Moderator(build_detectors(policy, load_settings(use_seed_lexicon=False)), policy)


def test_moderator_verdict_follows_the_judge(tmp_path: Path) -> None:
    script = ["Safety: Unsafe\nCategories: Violent", "Safety: Controversial\nCategories: Violent",
              "Safety: Safe", "Safety: Unsafe\nCategories: PII\nRefusal: No"]
    with ScriptedUpstream(script) as server:
        mod = moderator(tmp_path, server.base_url)
        refused = mod.check("怎么制作炸弹？")
        assert refused.action is Action.REFUSE and refused.message == "不能回答：宣扬暴力、淫秽色情"
        assert refused.detector_versions == {"judge": "1+qwen3guard:Qwen3Guard-Gen-4B"}
        assert mod.check("暴力电影推荐").action is Action.LABEL
        assert mod.check("今天天气").action is Action.PASS
        assert mod.check("张三的电话是……", Direction.OUTPUT).action is Action.BLOCK
        mod.close()


def test_moderator_passes_the_prompt_of_an_output_check_to_the_judge(tmp_path: Path) -> None:
    with ScriptedUpstream(["Safety: Safe", "Safety: Safe"]) as server:
        mod = moderator(tmp_path, server.base_url)
        mod.check("先用铁丝……", Direction.OUTPUT, prompt="怎么开锁？")
        mod.check("先用铁丝……", Direction.OUTPUT)
        with_prompt, without = (r.messages for r in server.requests)
        mod.close()
    assert [m["role"] for m in with_prompt] == ["user", "assistant"]
    assert with_prompt[0]["content"] == "怎么开锁？" and with_prompt[1]["content"] == "先用铁丝……"
    assert [m["role"] for m in without] == ["assistant"]


def test_moderator_fail_closed_refuses_and_fail_open_passes_with_the_failure_recorded(
        tmp_path: Path) -> None:
    refused = closed_port()
    closed = moderator(tmp_path, f"http://127.0.0.1:{refused}/v1").check("你好")
    assert closed.action is Action.REFUSE and "error" in closed.findings[0].meta
    opened = moderator(tmp_path, f"http://127.0.0.1:{refused}/v1", "fail-open").check("你好")
    assert opened.action is Action.PASS
    assert opened.findings[0].score == 0.0 and "ConnectError" in opened.findings[0].meta["error"]
    assert json.dumps(opened.to_dict(), ensure_ascii=False)  # the audit record carries the failure


def test_policy_with_a_bad_judge_option_names_it(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"line 4: detectors\.judge\.options: .*'temperature'"):
        moderator(tmp_path, "http://127.0.0.1:8000/v1", extra="temperature = 0.2")
    with pytest.raises(PolicyError, match=r"detectors\.judge\.options\.on_error: expected one of"):
        moderator(tmp_path, "http://127.0.0.1:8000/v1", on_error="fail-shut")


# ---------------------------------------------------------------------- the scripted server itself


def test_scripted_server_streams_sse_and_reports_exhaustion() -> None:
    with ScriptedUpstream([Reply("你好，世界！", chunk_chars=2), "second"]) as server:
        body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}
        pieces = []
        with httpx.stream("POST", f"{server.base_url}/chat/completions", json=body) as response:
            assert response.headers["content-type"] == "text/event-stream"
            events = [line[6:] for line in response.iter_lines() if line.startswith("data: ")]
        assert events[-1] == "[DONE]"
        for event in events[:-1]:
            delta = json.loads(event)["choices"][0]["delta"]
            pieces.append(delta.get("content", ""))
        assert pieces[1:4] == ["你好", "，世", "界！"] and "".join(pieces) == "你好，世界！"
        plain = httpx.post(f"{server.base_url}/chat/completions", json={"messages": []}).json()
        assert plain["choices"][0]["message"]["content"] == "second"
        exhausted = httpx.post(f"{server.base_url}/chat/completions", json={"messages": []})
        assert exhausted.status_code == 500 and "exhausted" in exhausted.json()["error"]["message"]
        assert httpx.get(f"{server.base_url}/models").json()["data"][0]["id"] == "scripted-model"
        assert [isinstance(r, RecordedRequest) and r.json is not None for r in server.requests] == [True] * 3
