"""Policy files: strict validation with line numbers, rule resolution, score combination."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hegui.core.errors import PolicyError
from hegui.core.types import Action, Direction, Finding
from hegui.moderation.policy import DEFAULT_POLICY_PATH, load_policy, parse_policy

NAMES = ["terms", "pii"]

TEMPLATES = """
[templates.refuse]
zh = "不能回答：{risk_name}"
en = "Cannot answer: {risk_name} ({risk})"

[templates.block]
zh = "已停止"
en = "Stopped"
"""


def policy_text(body: str, top: str = "") -> str:
    return f'version = "t-1"\n{top}[detectors.terms]\nenabled = true\n' + body + TEMPLATES


def finding(risk: str, score: float, evidence: str = "x", detector: str = "terms") -> Finding:
    return Finding(detector, risk, score, (0, 1), evidence)


def test_default_policy_loads_and_names_its_version() -> None:
    policy = load_policy()
    assert policy.version.startswith("hegui-default-")
    assert [d.name for d in policy.enabled_detectors] == ["keyword", "pii", "classifier", "semantic"]
    assert policy.source == str(DEFAULT_POLICY_PATH)


def test_default_policy_one_weak_keyword_hit_does_not_block() -> None:
    policy = load_policy()
    weak = [finding("A1.4", 0.6, "w1", "keyword")]
    assert policy.decide(weak, Direction.INPUT).action is Action.LABEL
    several = [finding("A1.4", 0.6, f"w{i}", "keyword") for i in range(3)]  # 1 - 0.4**3 = 0.936
    assert policy.decide(several, Direction.INPUT).action is Action.REFUSE
    assert policy.decide(several, Direction.OUTPUT).action is Action.BLOCK
    repeated = [finding("A1.4", 0.6, "same", "keyword")] * 5  # the same evidence again is not new
    assert policy.decide(repeated, Direction.INPUT).action is Action.LABEL


def test_default_policy_masks_personal_information_both_ways() -> None:
    policy = load_policy()
    for direction in Direction:
        assert policy.action_for(direction, "A4.6", 0.95, "pii") is Action.REWRITE


def test_most_specific_rule_wins_and_thresholds_form_a_ladder() -> None:
    policy = parse_policy(policy_text("""
[[rules]]
risk = "*"
min_score = 0.3
action = "label"
[[rules]]
risk = "A1"
min_score = 0.5
action = "label"
[[rules]]
risk = "A1"
direction = "output"
min_score = 0.8
action = "block"
[[rules]]
risk = "A1.6"
min_score = 0.99
action = "refuse"
[[rules]]
risk = "A1.7"
action = "pass"
[[rules]]
risk = "A1.7"
min_score = 0.95
action = "label"
"""), detector_names=NAMES)
    out, inp = Direction.OUTPUT, Direction.INPUT
    assert policy.action_for(out, "A1.4", 0.2, "terms") is Action.PASS
    assert policy.action_for(out, "A1.4", 0.4, "terms") is Action.LABEL     # falls through to "*"
    assert policy.action_for(out, "A1.4", 0.6, "terms") is Action.LABEL
    assert policy.action_for(out, "A1.4", 0.9, "terms") is Action.BLOCK
    assert policy.action_for(inp, "A1.4", 0.9, "terms") is Action.LABEL      # block is output-only
    assert policy.action_for(out, "A1.6", 0.9, "terms") is Action.BLOCK      # A1.6 rule not reached
    assert policy.action_for(out, "A1.6", 0.995, "terms") is Action.REFUSE   # its own rule decides
    assert policy.action_for(out, "A1.7", 0.9, "terms") is Action.PASS       # relaxed explicitly
    assert policy.action_for(out, "A1.7", 0.96, "terms") is Action.LABEL
    assert policy.action_for(out, "A3.1", 0.35, "terms") is Action.LABEL     # "*" catches the rest


def test_combine_max_and_noisy_or() -> None:
    hits = [finding("A2.5", 0.5, "a"), finding("A2.5", 0.5, "b")]
    noisy = parse_policy(policy_text(""), detector_names=NAMES)
    assert noisy.decide(hits, Direction.INPUT).risks == {"A2.5": pytest.approx(0.75)}
    by_max = parse_policy(policy_text("", top='combine = "max"\n'), detector_names=NAMES)
    assert by_max.combine == "max"
    assert by_max.decide(hits, Direction.INPUT).risks == {"A2.5": 0.5}


def test_refusal_templates_fill_in_the_risk() -> None:
    policy = parse_policy(policy_text(""), detector_names=NAMES)
    assert policy.message(Action.REFUSE, "zh", "A1.4") == "不能回答：宣扬恐怖主义、极端主义"
    english = policy.message(Action.REFUSE, "en", "A1.4")
    assert english == "Cannot answer: promote terrorism or extremism (A1.4)"
    assert policy.message(Action.LABEL, "en", "A1.4") is None
    assert policy.language_for("你好 hello") == "zh"
    assert policy.language_for("hello") == "en"
    assert policy.language_for("hello", "zh") == "zh"


def error_of(text: str, fmt: str = "toml") -> str:
    with pytest.raises(PolicyError) as info:
        parse_policy(text, fmt=fmt, source="p." + fmt, detector_names=NAMES)
    return str(info.value)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


@pytest.mark.parametrize(("bad", "needle", "expect"), [
    ('risk = "A9.9"', "A9.9", "unknown risk id 'A9.9'"),
    ('action = "shout"', "shout", "'shout' is not one of"),
    ('colour = "red"', "colour", "unknown key 'colour'"),
    ('detector = "nope"', "nope", "unknown detector 'nope'"),
    ("min_score = 1.5", "1.5", "expected a number from 0 to 1"),
    ('direction = "sideways"', "sideways", "'sideways' is not one of"),
])
def test_bad_rule_is_reported_with_its_line(bad: str, needle: str, expect: str) -> None:
    rule = {"risk": 'risk = "A1"', "action": 'action = "label"', "min_score": "min_score = 0.5"}
    rule[bad.split(" =", 1)[0]] = bad
    first = '\n[[rules]]\nrisk = "A2"\naction = "label"\n'
    text = policy_text(first + "\n[[rules]]  # second rule\n" + "\n".join(rule.values()) + "\n")
    message = error_of(text)
    assert f"line {line_of(text, needle)}:" in message
    assert "rules[1]" in message
    assert expect in message


def test_unknown_detector_and_top_level_key_name_their_line() -> None:
    text = policy_text("\n[detectors.magic]\nenabled = true\n")
    assert f"line {line_of(text, 'magic')}: detectors.magic: unknown detector 'magic'" in error_of(text)
    text = policy_text("\nspeling = 1\n")
    assert f"line {line_of(text, 'speling')}:" in error_of(text)
    text = policy_text("\n[detectors.pii]\nenable = false\n")
    assert f"line {line_of(text, 'enable =')}:" in error_of(text)


def test_yaml_policy_errors_use_node_marks() -> None:
    text = """version: y-1
detectors:
  terms: {enabled: true}
rules:
  - {risk: A1, min_score: 0.5, action: label}
  - risk: A7
    action: block
templates:
  refuse: {zh: 不, en: "no, sorry"}
  block: {zh: 停, en: stop}
"""
    assert error_of(text, "yaml").startswith("p.yaml: line 6: rules[1].risk: unknown risk id 'A7'")
    good = parse_policy(text.replace("A7", "A1.4"), fmt="yaml", detector_names=NAMES)
    assert good.version == "y-1" and len(good.rules) == 2


def test_templates_must_have_both_languages_and_known_placeholders() -> None:
    text = policy_text("").replace('en = "Stopped"\n', "")
    assert "templates.block: missing the 'en' text" in error_of(text)
    text = policy_text("").replace("{risk_name}", "{user}", 1)
    assert f"line {line_of(text, '{user}')}:" in error_of(text)
    assert "unknown placeholder(s) ['user']" in error_of(text)


def test_version_is_required_and_syntax_errors_are_policy_errors() -> None:
    assert "missing required key 'version'" in error_of(policy_text("").replace('version = "t-1"\n', ""))
    assert "invalid TOML" in error_of(policy_text("[[rules]\n"))
    assert "invalid YAML" in error_of("a: [1, 2\n", "yaml")


def test_hash_operator_needs_a_salt_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    text = policy_text('\n[rewrite]\noperator = "hash"\nsalt_env = "HEGUI_TEST_SALT"\n')
    monkeypatch.delenv("HEGUI_TEST_SALT", raising=False)
    assert "environment variable HEGUI_TEST_SALT is not set" in error_of(text)
    monkeypatch.setenv("HEGUI_TEST_SALT", "s3cret")
    assert parse_policy(text, detector_names=NAMES).mask_salt == "s3cret"
    assert "needs salt_env" in error_of(policy_text('\n[rewrite]\noperator = "hash"\n'))


def test_unreadable_policy_files(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read policy file"):
        load_policy(tmp_path / "missing.toml")
    bad = tmp_path / "latin1.toml"
    bad.write_bytes('version = "é"\n'.encode("latin-1"))
    with pytest.raises(PolicyError, match="not valid UTF-8"):
        load_policy(bad)


def test_rule_may_name_several_risks_and_a_detector() -> None:
    policy = parse_policy(policy_text("""
[[rules]]
risk = ["A2.5", "A2.6"]
min_score = 0.4
action = "refuse"
note = "this service is for job seekers: no gender or age discrimination"
[[rules]]
risk = "*"
detector = "pii"
action = "rewrite"
"""), detector_names=NAMES)
    assert policy.action_for(Direction.INPUT, "A2.6", 0.5, "terms") is Action.REFUSE
    assert policy.action_for(Direction.INPUT, "A2.4", 0.5, "terms") is Action.PASS
    assert policy.action_for(Direction.OUTPUT, "A4.6", 0.1, "pii") is Action.REWRITE
    assert policy.action_for(Direction.OUTPUT, "A4.6", 0.9, "terms") is Action.PASS
    assert "rules[0].risk" in error_of(policy_text('\n[[rules]]\nrisk = ["A2.5", 7]\naction = "label"\n'))
    assert "empty list" in error_of(policy_text('\n[[rules]]\nrisk = []\naction = "label"\n'))


_scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(-1, 2, allow_nan=False),
                     st.sampled_from(["A1", "A1.4", "*", "label", "refuse", "input", "both", "pii", "zh", "",
                                      "{risk}", "{x}", "mask", "hash"]))
_keys = st.sampled_from(["version", "rules", "risk", "action", "min_score", "direction", "detector",
                         "detectors", "pii", "terms", "enabled", "options", "templates", "refuse", "block",
                         "zh", "en", "rewrite", "operator", "language", "combine", "bogus"])
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(_keys, inner, max_size=4), max_leaves=12)


@settings(max_examples=100, deadline=None)
@given(doc=st.dictionaries(_keys, _values, max_size=6))
def test_any_document_is_a_policy_or_one_policy_error(doc: dict[str, Any]) -> None:
    import yaml

    text = yaml.safe_dump(doc, allow_unicode=True)
    try:
        parse_policy(text, fmt="yaml", source="fuzz.yaml", detector_names=NAMES)
    except PolicyError as err:
        assert str(err).startswith("fuzz.yaml: ")
