"""The shapes every layer shares: what a detector saw (Finding), what the policy decided (Verdict),
and the Detector interface that keyword, PII, classifier and remote-judge detectors implement."""

from __future__ import annotations

import enum
import functools
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar


class Direction(enum.StrEnum):
    """Which way the text flows: a user's prompt (input) or the model's answer (output)."""

    INPUT = "input"
    OUTPUT = "output"


class Action(enum.StrEnum):
    """What the policy decides, from mildest to strictest."""

    PASS = "pass"
    LABEL = "label"
    REWRITE = "rewrite"
    REFUSE = "refuse"
    BLOCK = "block"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]

    @classmethod
    def strictest(cls, actions: list[Action]) -> Action:
        return max(actions, key=lambda a: a.severity, default=cls.PASS)


_SEVERITY = {Action.PASS: 0, Action.LABEL: 1, Action.REWRITE: 2, Action.REFUSE: 3, Action.BLOCK: 4}


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a detector saw.

    ``span`` is ``(start, end)`` in characters of the ORIGINAL text (Python ``str`` indices, end
    exclusive), whatever normalisation the detector did. ``risk`` is a risk id from
    ``hegui.core.risks`` (``A4.6`` for personal information). ``score`` is in [0, 1].
    """

    detector: str
    risk: str
    score: float
    span: tuple[int, int] | None
    evidence: str
    explanation: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __init__(self, detector: str, risk: str, score: float, span: tuple[int, int] | None,
                 evidence: str, explanation: str = "", meta: Mapping[str, Any] | None = None) -> None:
        # (Written out: the generated __init__ of a frozen dataclass sets each field through
        # object.__setattr__, ~2.4 µs a Finding; the slots' own setters take half. A 100k-term
        # keyword library builds ~1,900 findings a MB of ordinary text.)
        set_detector, set_risk, set_score, set_span, set_evidence, set_explanation, set_meta = _SETTERS
        set_detector(self, detector)
        set_risk(self, risk)
        set_score(self, score)
        set_span(self, span)
        set_evidence(self, evidence)
        set_explanation(self, explanation)
        set_meta(self, {} if meta is None else meta)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "detector": self.detector,
            "risk": self.risk,
            "score": round(self.score, 4),
            "span": list(self.span) if self.span is not None else None,
            "evidence": self.evidence,
        }
        if self.explanation:
            out["explanation"] = self.explanation
        if self.meta:
            out["meta"] = dict(self.meta)
        return out


_SETTERS = tuple(getattr(Finding, name).__set__ for name in
                 ("detector", "risk", "score", "span", "evidence", "explanation", "meta"))


@dataclass(frozen=True, slots=True)
class DetectionContext:
    """What a detector may know besides the text."""

    direction: Direction = Direction.INPUT
    language: str | None = None
    # Free-form hints from the caller (user id, service type …); detectors must not require any.
    extra: Mapping[str, Any] = field(default_factory=dict)


class Detector(ABC):
    """Turns text into findings. Every detector sees the original text; none chains another's output.

    Implementations must be thread-safe for ``detect`` and must not raise on any ``str`` input
    (an internal failure is reported as a Finding with ``meta={"error": ...}`` or raised as a
    ``HeguiError`` at construction time, never at detect time).
    """

    name: ClassVar[str]
    version: str = "1"

    @abstractmethod
    def detect(self, text: str, ctx: DetectionContext) -> list[Finding]:
        """Return the findings in ``text`` (spans into ``text``)."""

    def holdback(self, text: str) -> int:
        """How many trailing characters of ``text`` (the unreleased end of a stream) a streaming check
        must hold back because a finding could still complete across the end once more text arrives.

        Override with an exact bound: the longest term, measured in significant characters (ignored
        separators, invisible characters and marks cost nothing), plus any right-context window your
        rules read. The default is conservative for short terms and validated identifiers.
        """
        return significant_tail(text, DEFAULT_HOLDBACK_SIGNIFICANT)

    def warm_up(self) -> None:  # noqa: B027 - optional hook, default does nothing
        """Load what the first text would otherwise wait for (model weights). Optional; a server
        calls it in the background after start-up."""

    def close(self) -> None:  # noqa: B027 - optional hook, default does nothing
        """Release resources (threads, connections). Optional."""


# Significant characters a stream holds back when a detector does not say how many it needs.
DEFAULT_HOLDBACK_SIGNIFICANT = 64
# Unicode general categories that evasion normalizers typically skip between term characters:
# separators, punctuation, symbols (incl. emoji), control/format characters, combining marks.
_IGNORABLE_CATEGORY_INITIALS = frozenset("ZPSCM")


def significant_tail(text: str, count: int) -> int:
    """Length of the shortest tail of ``text`` that holds ``count`` significant characters (letters,
    digits, CJK), however many ignorable characters sit between them; ``len(text)`` if fewer exist.

    Why: a term written with separators ("法 . 轮 . 功") spans any number of original characters,
    so a streaming holdback must count characters the matcher sees, not raw characters.
    """
    if count <= 0:
        return 0
    pattern = _tail_pattern(count)
    # Match on the reversed tail, in C; widen the tail only when separators fill it.
    width = 4 * count + 16
    while True:
        found = pattern.match(text[-width:][::-1])
        if found:
            return found.end()
        if width >= len(text):
            return len(text)
        width *= 4


@functools.lru_cache(maxsize=128)
def _tail_pattern(count: int) -> re.Pattern[str]:
    # [^\W_] is exactly the Unicode categories L* and N* (checked over every code point), i.e. the
    # characters that are not ignorable (_IGNORABLE_CATEGORY_INITIALS).
    return re.compile(rf"(?:[\W_]*[^\W_]){{{count}}}")


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the policy decided about one text."""

    action: Action
    direction: Direction
    findings: tuple[Finding, ...]
    risks: Mapping[str, float]  # risk id -> highest score among findings
    policy_version: str
    detector_versions: Mapping[str, str] = field(default_factory=dict)
    # For refuse/block: the safe answer to show; for rewrite: the rewritten text.
    message: str | None = None
    rewritten: str | None = None

    @property
    def flagged(self) -> bool:
        return self.action is not Action.PASS

    def to_dict(self) -> dict[str, Any]:
        return {
            "flagged": self.flagged,
            "action": self.action.value,
            "direction": self.direction.value,
            "risks": [{"id": rid, "score": round(s, 4)} for rid, s in sorted(self.risks.items())],
            "findings": [f.to_dict() for f in self.findings],
            "policy_version": self.policy_version,
            "detector_versions": dict(self.detector_versions),
            "message": self.message,
            "rewritten": self.rewritten,
        }
