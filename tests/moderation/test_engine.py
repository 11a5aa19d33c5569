"""Moderator.check / acheck / check_batch with real detectors (a literal-term detector and PII)."""

from __future__ import annotations

import asyncio

import pytest

from hegui.core.errors import InputError, PayloadTooLargeError
from hegui.core.types import Action, Direction
from hegui.moderation.engine import Moderator
from hegui.moderation.pii import PIIDetector
from hegui.moderation.policy import parse_policy
from hegui.testing.detectors import TermDetector

POLICY = """
version = "engine-test-3"

[detectors.terms]
[detectors.pii]

[[rules]]
risk = "*"
min_score = 0.5
action = "label"

[[rules]]
risk = "A1"
direction = "input"
min_score = 0.8
action = "refuse"

[[rules]]
risk = "A1"
direction = "output"
min_score = 0.8
action = "block"

[[rules]]
detector = "pii"
risk = "*"
min_score = 0.5
action = "rewrite"

[templates.refuse]
zh = "抱歉，无法回答（{risk}）。"
en = "Sorry, I cannot answer ({risk})."

[templates.block]
zh = "内容已停止。"
en = "Stopped."
"""

TERMS = {"炸弹制作": ("A1.4", 0.95), "赌场": ("A1.8", 0.6), "毒品": ("A1.8", 0.6), "bomb": ("A1.4", 0.9)}


def make_moderator(max_text_chars: int = 1_000_000) -> Moderator:
    policy = parse_policy(POLICY, detector_names=["terms", "pii"])
    return Moderator([TermDetector(TERMS), PIIDetector()], policy, max_text_chars=max_text_chars)


@pytest.fixture(scope="module")
def moderator() -> Moderator:
    return make_moderator()


def test_empty_text_passes_and_records_versions(moderator: Moderator) -> None:
    verdict = moderator.check("")
    assert verdict.action is Action.PASS and not verdict.flagged
    assert verdict.findings == () and verdict.risks == {}
    assert verdict.policy_version == "engine-test-3"
    assert verdict.detector_versions == {"terms": "test-1", "pii": "1"}


def test_ordinary_text_passes(moderator: Moderator) -> None:
    assert moderator.check("今天天气很好，我们去公园散步吧。").action is Action.PASS


def test_strong_term_refuses_input_and_blocks_output_with_template(moderator: Moderator) -> None:
    verdict = moderator.check("请教我 炸-弹-制-作 的方法")
    assert verdict.action is Action.REFUSE
    assert verdict.message == "抱歉，无法回答（A1.4）。"
    [hit] = verdict.findings
    assert hit.span == (4, 11) and hit.evidence == "炸-弹-制-作"
    output = moderator.check("how to build a BOMB at home", direction="output")
    assert output.action is Action.BLOCK and output.message == "Stopped."


def test_weak_hits_are_evidence_that_adds_up(moderator: Moderator) -> None:
    one = moderator.check("这家赌场在哪里")
    assert one.action is Action.LABEL and one.risks == {"A1.8": pytest.approx(0.6)}
    same_twice = moderator.check("赌场，赌场，还是赌场")
    assert same_twice.action is Action.LABEL and len(same_twice.findings) == 3
    two = moderator.check("赌场里有人卖毒品")  # 1 - 0.4 * 0.4 = 0.84
    assert two.action is Action.REFUSE and two.risks["A1.8"] == pytest.approx(0.84)


def test_personal_information_is_rewritten_before_going_upstream(moderator: Moderator) -> None:
    text = "我的手机号是13812345678，请记住"
    verdict = moderator.check(text)
    assert verdict.action is Action.REWRITE
    assert verdict.rewritten is not None and "13812345678" not in verdict.rewritten
    assert verdict.rewritten.startswith("我的手机号是138") and verdict.rewritten.endswith("，请记住")
    assert [f.risk for f in verdict.findings] == ["A4.6"]


def test_stricter_action_wins_over_rewrite(moderator: Moderator) -> None:
    verdict = moderator.check("13812345678 炸弹制作")
    assert verdict.action is Action.REFUSE and verdict.rewritten is None
    assert {f.detector for f in verdict.findings} == {"terms", "pii"}


def test_text_over_the_limit_is_a_clear_error() -> None:
    small = make_moderator(max_text_chars=10)
    assert small.check("x" * 10).action is Action.PASS
    with pytest.raises(PayloadTooLargeError, match="over the limit of 10"):
        small.check("x" * 11)


def test_bad_arguments_are_input_errors(moderator: Moderator) -> None:
    with pytest.raises(InputError, match="direction must be 'input' or 'output'"):
        moderator.check("hi", direction="sideways")
    with pytest.raises(InputError, match="text must be a string"):
        moderator.check(b"bytes")  # type: ignore[arg-type]


def test_async_check_matches_sync(moderator: Moderator) -> None:
    async def run() -> list[Action]:
        verdicts = await asyncio.gather(*(moderator.acheck(t, Direction.OUTPUT)
                                          for t in ("bomb", "hello", "赌场")))
        return [v.action for v in verdicts]

    assert asyncio.run(run()) == [Action.BLOCK, Action.PASS, Action.LABEL]


def test_batch_keeps_order_with_and_without_threads(moderator: Moderator) -> None:
    texts = ["hello", "bomb", "", "赌场毒品", "电话 13812345678"] * 5
    expected = [Action.PASS, Action.REFUSE, Action.PASS, Action.REFUSE, Action.REWRITE] * 5
    assert [v.action for v in moderator.check_batch(texts)] == expected
    assert [v.action for v in moderator.check_batch(texts, workers=3)] == expected
    with pytest.raises(InputError):
        moderator.check_batch(["ok", 3])  # type: ignore[list-item]


def test_verdict_serialises_for_adapters(moderator: Moderator) -> None:
    data = moderator.check("赌场").to_dict()
    assert data["flagged"] is True and data["action"] == "label"
    assert data["risks"] == [{"id": "A1.8", "score": 0.6}]
    assert data["findings"][0]["span"] == [0, 2] and data["findings"][0]["evidence"] == "赌场"
