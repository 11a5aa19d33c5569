"""The moderation policy: which detectors run, and how their findings become an action.

A policy is a TOML or YAML file, validated strictly at start-up: an unknown key, risk id, detector
name or action is a ``PolicyError`` that names the file and the LINE. The shipped default is
``hegui/moderation/data/policy/default.toml`` (read it for a commented example).

How findings become an action (``Policy.decide``):

1. Findings are grouped by (detector, risk). A group's score combines its findings: ``noisy-or``
   (1 - ∏(1 - score), each distinct piece of evidence counted once — several weak keyword hits add
   up, one weak hit stays weak) or ``max``.
2. For each group, rules (for its direction or both) are tried from the most specific level down:
   a rule naming the detector beats one that does not; then a risk id (``A1.4``) beats its category
   (``A1``), which beats ``*``. The first level where the group's score reaches some rule's
   ``min_score`` decides, by the highest ``min_score`` reached — thresholds form a ladder, and a
   ``min_score = 0`` / ``pass`` rule for a risk relaxes the general rules for it. Nothing reached:
   ``pass``.
3. The text's action is the strictest over all groups. ``refuse``/``block`` carry the template
   message; ``rewrite`` hides the spans that triggered it with the policy's mask operator.
"""

from __future__ import annotations

import os
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hegui.core.errors import PolicyError
from hegui.core.risks import get_risk, is_risk_id
from hegui.core.types import Action, Direction, Finding
from hegui.moderation.policy_source import KeyPath, parse_toml, parse_yaml

DEFAULT_POLICY_PATH = Path(__file__).with_name("data") / "policy" / "default.toml"
MASK_OPERATORS = ("mask", "hash", "redact")
LANGUAGES = ("zh", "en")
_TEMPLATE_ACTIONS = (Action.REFUSE, Action.BLOCK)
_TEMPLATE_FIELDS = frozenset({"risk", "risk_name"})
_TOP_KEYS = frozenset({"version", "description", "language", "combine", "detectors", "rules",
                       "templates", "rewrite"})
_RULE_KEYS = frozenset({"risk", "direction", "detector", "min_score", "action", "note"})
_DETECTOR_KEYS = frozenset({"enabled", "options"})

@dataclass(frozen=True, slots=True)
class Rule:
    risks: tuple[str, ...]          # risk ids, category ids or "*"
    action: Action
    min_score: float = 0.0
    direction: Direction | None = None  # None: both directions
    detector: str | None = None         # None: findings of any detector
    line: int | None = None

    def specificity(self, risk: str) -> tuple[int, int] | None:
        """How specifically this rule addresses ``risk`` (higher wins), or None if it does not."""
        category = risk.split(".", 1)[0]
        levels = [2 if sel == risk else 1 if sel == category else 0 if sel == "*" else -1
                  for sel in self.risks]
        level = max(levels)
        if level < 0:
            return None
        return (self.detector is not None, level)


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    name: str
    enabled: bool = True
    options: Mapping[str, Any] = field(default_factory=dict)
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    risks: dict[str, float]                  # risk id -> highest group score
    rewrite_findings: tuple[Finding, ...]    # findings whose group decided "rewrite"
    top_risk: str | None                     # the risk behind the strictest action
    risk_actions: dict[str, Action] = field(default_factory=dict)  # risk id -> strictest group action


@dataclass(frozen=True)
class Policy:
    version: str
    rules: tuple[Rule, ...]
    detectors: tuple[DetectorConfig, ...]
    templates: Mapping[Action, Mapping[str, str]]
    language: str = "auto"
    combine: str = "noisy-or"
    mask_operator: str = "mask"
    mask_salt: str | None = field(default=None, repr=False)
    description: str = ""
    source: str = "<policy>"

    @property
    def enabled_detectors(self) -> tuple[DetectorConfig, ...]:
        return tuple(d for d in self.detectors if d.enabled)

    def group_score(self, findings: Sequence[Finding]) -> float:
        # Repeating the same evidence is not new evidence: count each distinct term once.
        best: dict[str, float] = {}
        for f in findings:
            key = str(f.meta.get("term", f.evidence)).casefold()
            best[key] = max(best.get(key, 0.0), f.score)
        if self.combine == "max":
            return max(best.values(), default=0.0)
        keep = 1.0
        for score in best.values():
            keep *= 1.0 - min(max(score, 0.0), 1.0)
        return 1.0 - keep

    def action_for(self, direction: Direction, risk: str, score: float, detector: str) -> Action:
        candidates: list[tuple[tuple[int, int], Rule]] = []
        for rule in self.rules:
            if rule.direction not in (None, direction) or rule.detector not in (None, detector):
                continue
            spec = rule.specificity(risk)
            if spec is not None:
                candidates.append((spec, rule))
        for level in sorted({spec for spec, _ in candidates}, reverse=True):
            reached = [r for spec, r in candidates if spec == level and score >= r.min_score]
            if reached:
                threshold = max(r.min_score for r in reached)
                return Action.strictest([r.action for r in reached if r.min_score == threshold])
        return Action.PASS

    def decide(self, findings: Iterable[Finding], direction: Direction) -> Decision:
        groups: dict[tuple[str, str], list[Finding]] = {}
        for f in findings:
            groups.setdefault((f.detector, f.risk), []).append(f)
        risks: dict[str, float] = {}
        risk_actions: dict[str, Action] = {}
        action, top_risk = Action.PASS, None
        rewrite: list[Finding] = []
        for (detector, risk), members in groups.items():
            score = self.group_score(members)
            risks[risk] = max(risks.get(risk, 0.0), score)
            group_action = self.action_for(direction, risk, score, detector)
            risk_actions[risk] = Action.strictest([risk_actions.get(risk, Action.PASS), group_action])
            if group_action is Action.REWRITE:
                rewrite.extend(members)
            if group_action.severity > action.severity:
                action, top_risk = group_action, risk
        return Decision(action, risks, tuple(rewrite), top_risk, risk_actions)

    def message(self, action: Action, language: str, risk: str | None) -> str | None:
        """The refusal / safe answer for ``action`` in ``language`` (None for other actions)."""
        by_lang = self.templates.get(action)
        if not by_lang:
            return None
        template = by_lang.get(language) or by_lang[LANGUAGES[0]]
        name = ""
        if risk is not None and is_risk_id(risk):
            r = get_risk(risk)
            name = r.zh if language == "zh" else r.en
        return template.format(risk=risk or "", risk_name=name)

    def language_for(self, text: str, requested: str | None = None) -> str:
        if requested in LANGUAGES:
            return requested
        if self.language in LANGUAGES:
            return self.language
        return "zh" if _CJK.search(text) else "en"


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


# ---------------------------------------------------------------- loading and validation


def load_policy(path: Path | str | None = None, *, detector_names: Iterable[str] | None = None) -> Policy:
    """Load and validate a policy file (the shipped default when ``path`` is None).

    ``detector_names``: the detectors that exist (default: the detector registry's names).
    """
    file = Path(path) if path is not None else DEFAULT_POLICY_PATH
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise PolicyError(f"policy file {file} is not valid UTF-8 "
                          f"({err.reason} at byte {err.start})") from None
    except OSError as err:
        raise PolicyError(f"cannot read policy file {file}: {err.strerror or err}") from None
    fmt = "yaml" if file.suffix.lower() in (".yaml", ".yml") else "toml"
    return parse_policy(text, fmt=fmt, source=str(file), detector_names=detector_names)


def parse_policy(text: str, *, fmt: str = "toml", source: str = "<policy>",
                 detector_names: Iterable[str] | None = None) -> Policy:
    if fmt == "yaml":
        data, lines = parse_yaml(text, source)
    else:
        data, lines = parse_toml(text, source)
    if detector_names is None:
        from hegui.moderation.detectors import registry

        detector_names = registry.names()
    return _Validator(source, lines, frozenset(detector_names)).policy(data)


class _Validator:
    def __init__(self, source: str, lines: dict[KeyPath, int], detector_names: frozenset[str]) -> None:
        self.source = source
        self.lines = lines
        self.detector_names = detector_names

    def line(self, path: KeyPath) -> int | None:
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None

    def fail(self, path: KeyPath, problem: str) -> PolicyError:
        number = self.line(path)
        where = f"line {number}: " if number is not None else ""
        dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        key = f"{dotted}: " if dotted else ""
        return PolicyError(f"{self.source}: {where}{key}{problem}")

    def table(self, value: Any, path: KeyPath, allowed: frozenset[str] | None = None) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a table, got {type(value).__name__}")
        if allowed is not None:
            for key in value:
                if key not in allowed:
                    raise self.fail((*path, key),
                                    f"unknown key {key!r}; allowed: {', '.join(sorted(allowed))}")
        return value

    def string(self, value: Any, path: KeyPath, choices: Sequence[str] | None = None) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, f"expected a non-empty string, got {value!r}")
        if choices is not None and value not in choices:
            raise self.fail(path, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def policy(self, data: Any) -> Policy:
        top = self.table(data, (), _TOP_KEYS)
        if "version" not in top:
            raise self.fail((), "missing required key 'version' (recorded in every verdict)")
        version = self.string(top["version"], ("version",))
        rewrite = self.table(top.get("rewrite", {}), ("rewrite",), frozenset({"operator", "salt_env"}))
        operator = self.string(rewrite.get("operator", "mask"), ("rewrite", "operator"), MASK_OPERATORS)
        salt = None
        if operator == "hash":
            # The salt is a secret: the policy names the environment variable that holds it.
            if "salt_env" not in rewrite:
                raise self.fail(("rewrite", "operator"), "operator 'hash' needs salt_env = \"VARIABLE\" "
                                "naming an environment variable that holds a secret salt")
            variable = self.string(rewrite["salt_env"], ("rewrite", "salt_env"))
            salt = os.environ.get(variable)
            if not salt:
                raise self.fail(("rewrite", "salt_env"), f"environment variable {variable} is not set "
                                "(the 'hash' operator needs a secret salt)")
        rules_raw = top.get("rules", [])
        if not isinstance(rules_raw, list):
            raise self.fail(("rules",), "expected an array of tables ([[rules]])")
        detectors = self.detectors(top.get("detectors", {}))
        return Policy(
            version=version,
            description=str(top.get("description", "")),
            language=self.string(top.get("language", "auto"), ("language",), ("auto", *LANGUAGES)),
            combine=self.string(top.get("combine", "noisy-or"), ("combine",), ("noisy-or", "max")),
            rules=tuple(self.rule(r, ("rules", i)) for i, r in enumerate(rules_raw)),
            detectors=detectors,
            templates=self.templates(top.get("templates", {})),
            mask_operator=operator,
            mask_salt=salt,
            source=self.source,
        )

    def detectors(self, value: Any) -> tuple[DetectorConfig, ...]:
        out = []
        for name, conf in self.table(value, ("detectors",)).items():
            path: KeyPath = ("detectors", name)
            if name not in self.detector_names:
                known = ", ".join(sorted(self.detector_names)) or "none"
                raise self.fail(path, f"unknown detector {name!r}; known: {known}")
            conf = self.table(conf, path, _DETECTOR_KEYS)
            enabled = conf.get("enabled", True)
            if not isinstance(enabled, bool):
                raise self.fail((*path, "enabled"), f"expected true or false, got {enabled!r}")
            options = self.table(conf.get("options", {}), (*path, "options"))
            out.append(DetectorConfig(name, enabled, dict(options), self.line(path)))
        return tuple(out)

    def rule(self, value: Any, path: KeyPath) -> Rule:
        raw = self.table(value, path, _RULE_KEYS)
        for required in ("risk", "action"):
            if required not in raw:
                raise self.fail(path, f"rule is missing {required!r}")
        selectors = raw["risk"] if isinstance(raw["risk"], list) else [raw["risk"]]
        if not selectors:
            raise self.fail((*path, "risk"), "empty list: name at least one risk id, category or '*'")
        risks = []
        for sel in selectors:
            sel = self.string(sel, (*path, "risk"))
            if sel != "*" and not is_risk_id(sel):
                raise self.fail((*path, "risk"), f"unknown risk id {sel!r}; use A1 … A5, A1.1 … A5.2 or '*'")
            risks.append(sel)
        action = Action(self.string(raw["action"], (*path, "action"), [a.value for a in Action]))
        direction_raw = self.string(raw.get("direction", "both"), (*path, "direction"),
                                    ("input", "output", "both"))
        detector = raw.get("detector")
        if detector is not None and self.string(detector, (*path, "detector")) not in self.detector_names:
            raise self.fail((*path, "detector"), f"unknown detector {detector!r}; known: "
                            f"{', '.join(sorted(self.detector_names)) or 'none'}")
        min_score = raw.get("min_score", 0.0)
        if isinstance(min_score, bool) or not isinstance(min_score, int | float) or not 0 <= min_score <= 1:
            raise self.fail((*path, "min_score"), f"expected a number from 0 to 1, got {min_score!r}")
        return Rule(tuple(risks), action, float(min_score),
                    None if direction_raw == "both" else Direction(direction_raw), detector, self.line(path))

    def templates(self, value: Any) -> dict[Action, dict[str, str]]:
        raw = self.table(value, ("templates",), frozenset(a.value for a in _TEMPLATE_ACTIONS))
        out: dict[Action, dict[str, str]] = {}
        for action in _TEMPLATE_ACTIONS:
            path: KeyPath = ("templates", action.value)
            if action.value not in raw:
                raise self.fail(("templates",), f"missing [templates.{action.value}] with zh and en texts")
            langs = self.table(raw[action.value], path, frozenset(LANGUAGES))
            out[action] = {}
            for lang in LANGUAGES:
                if lang not in langs:
                    raise self.fail(path, f"missing the {lang!r} text")
                text = self.string(langs[lang], (*path, lang))
                try:
                    fields = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
                except ValueError as err:
                    raise self.fail((*path, lang), f"bad template: {err}") from None
                unknown = fields - _TEMPLATE_FIELDS
                if unknown:
                    raise self.fail((*path, lang), f"unknown placeholder(s) {sorted(unknown)}; "
                                    f"available: {{risk}}, {{risk_name}}")
                out[action][lang] = text
        return out
