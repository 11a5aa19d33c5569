"""The classifiers as Detectors: ``classifier`` (the fast char-n-gram model, both directions) and
``semantic`` (the embedding head, prompts only by default — it costs ~10–25 ms a text).

A text gets findings when the gate label ``harmful`` reaches its threshold (from the model card,
chosen on held-out data; ``min_score`` overrides): one for the most likely category, carrying the
gate's calibrated probability as its score (so policy thresholds read as probabilities), plus one per
other category that reaches its own threshold. Texts longer than one window (``predict.windows``) are
scored window by window; a finding's span is the window that scored highest.

Scoring a text cannot fail in normal operation (the model is loaded and checked at start-up), but a
detector must never raise at detect time. If it does fail (e.g. out of memory), the detector answers
as the remote judge does: one Finding with ``meta={"error": ..., "on_error": ...}`` — under
``fail-closed`` (default) at risk ``error_risk`` with score 1.0, so the policy refuses what it could not
check; under ``fail-open`` with score 0.0, so only the record remains.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from hegui.core.errors import HeguiError, PolicyError
from hegui.core.risks import is_risk_id
from hegui.core.types import DetectionContext, Detector, Direction, Finding, significant_tail
from hegui.moderation.classify.labels import BY_NAME, GATE_LABEL, HARM_LABELS, LABEL_NAMES, LABELS
from hegui.moderation.classify.predict import FastClassifier, RoutedSemantic

log = logging.getLogger(__name__)

F32 = npt.NDArray[np.float32]
_GATE = LABEL_NAMES.index(GATE_LABEL)
_CATEGORY_COLUMNS = [(LABEL_NAMES.index(name), name) for name in HARM_LABELS]
_GROUP_HEADS = [(LABEL_NAMES.index(lb.name), lb) for lb in LABELS if lb.refines]
_EVIDENCE_CHARS = 60
STREAM_HOLDBACK_SIGNIFICANT = 32
ON_ERROR = ("fail-closed", "fail-open")


def _directions(value: Sequence[str] | None, default: tuple[Direction, ...],
                where: str) -> frozenset[Direction]:
    if value is None:
        return frozenset(default)
    try:
        return frozenset(Direction(v) for v in value)
    except ValueError:
        raise PolicyError(f"{where}: directions must be a list of 'input' / 'output', "
                          f"got {value!r}") from None


def _min_scores(thresholds: F32, override: float | dict[str, float] | None, where: str) -> F32:
    out = thresholds.astype(np.float32).copy()
    if override is None:
        return out
    if isinstance(override, int | float):  # one number: the gate's threshold
        out[_GATE] = float(override)
        return out
    if not isinstance(override, dict):
        raise PolicyError(f"{where}: min_score must be a number or a table of label = number")
    for label, value in override.items():
        if label not in BY_NAME or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
            raise PolicyError(f"{where}: min_score.{label}: unknown label or not a number in [0, 1] "
                              f"(labels: {GATE_LABEL}, {', '.join(HARM_LABELS)})")
        out[LABEL_NAMES.index(label)] = float(value)
    return out


def _on_error(value: str, error_risk: str, where: str) -> tuple[str, str]:
    if value not in ON_ERROR:
        raise PolicyError(f"{where}: on_error must be one of {', '.join(map(repr, ON_ERROR))}, got {value!r}")
    if not isinstance(error_risk, str) or not is_risk_id(error_risk):
        raise PolicyError(f"{where}: error_risk: unknown risk id {error_risk!r}; use A1 … A5 or A1.1 … A5.2")
    return value, error_risk


class _ScoringDetector(Detector):
    """Shared by both classifiers: windows → probabilities → findings."""

    def __init__(self, version: str, thresholds: F32, directions: frozenset[Direction],
                 min_score: float | dict[str, float] | None, on_error: str = "fail-closed",
                 error_risk: str = "A1.8") -> None:
        where = f"detectors.{self.name}.options"
        self.version = version
        self.directions = directions
        self.min_scores = _min_scores(thresholds, min_score, where)
        self.on_error, self.error_risk = _on_error(on_error, error_risk, where)

    def _score_windows(self, text: str) -> tuple[list[tuple[int, int]], F32]:
        raise NotImplementedError

    def _thresholds(self, text: str) -> F32:
        return self.min_scores

    def _failure(self, err: BaseException) -> Finding:
        error = f"{type(err).__name__}: {err}"[:300]
        closed = self.on_error == "fail-closed"
        return Finding(self.name, self.error_risk, 1.0 if closed else 0.0, None,
                       f"{self.name} model error: {error}"[:200],
                       explanation=f"the {self.name} model gave no score ({self.on_error})",
                       meta={"error": error, "on_error": self.on_error, "model": self.version})

    def detect(self, text: str, ctx: DetectionContext) -> list[Finding]:
        if ctx.direction not in self.directions or not text.strip():
            return []
        try:
            spans, probs = self._score_windows(text)
        except Exception as err:  # the Detector contract: never raise at detect time
            return [self._failure(err)]
        # The gate decides whether (in the window it rates most harmful); categories decide which.
        row = int(probs[:, _GATE].argmax())
        gate_p = float(probs[row, _GATE])
        min_scores = self._thresholds(text)
        if gate_p < min_scores[_GATE]:
            return []
        start, end = spans[row]
        ranked = sorted(((float(probs[row, j]), name) for j, name in _CATEGORY_COLUMNS), reverse=True)
        findings = []
        for rank, (p, name) in enumerate(ranked):
            if rank > 0 and p < min_scores[LABEL_NAMES.index(name)]:
                continue
            # The top category carries the gate's probability; others at most their own.
            score = gate_p if rank == 0 else min(gate_p, p)
            findings.append(Finding(
                detector=self.name, risk=self._risk(name, probs[row]), score=score, span=(start, end),
                evidence=text[start:min(end, start + _EVIDENCE_CHARS)],
                explanation=f"{self.name} model: {BY_NAME[name].zh} (harmful p={gate_p:.2f}, "
                            f"category p={p:.2f})",
                meta={"label": name, "model": self.version, "category_score": round(p, 4)}))
        return findings

    @staticmethod
    def _risk(name: str, probs: F32) -> str:
        """A discrimination finding names the group its head finds most likely (A2.4/A2.5/A2.1)."""
        risk = BY_NAME[name].risk
        heads = [(float(probs[j]), lb.risk) for j, lb in _GROUP_HEADS if lb.refines == name]
        if heads:
            p, head_risk = max(heads)
            if p >= 0.5:
                return head_risk
        return risk

    def holdback(self, text: str) -> int:
        # A classifier judges meaning, which no finite tail bounds. Holding back a whole window would
        # stall a stream for ~1,000 characters; a clause's worth lets a sentence complete before its
        # start is released, and every later check still sees the text released so far.
        return significant_tail(text, STREAM_HOLDBACK_SIGNIFICANT)


class ClassifierDetector(_ScoringDetector):
    name = "classifier"

    def __init__(self, model: FastClassifier, *, directions: frozenset[Direction] = frozenset(Direction),
                 min_score: float | dict[str, float] | None = None, on_error: str = "fail-closed",
                 error_risk: str = "A1.8") -> None:
        super().__init__(model.version, model.model.thresholds, directions, min_score, on_error, error_risk)
        self.model = model

    def _score_windows(self, text: str) -> tuple[list[tuple[int, int]], F32]:
        return self.model.score_windows(text)


class SemanticDetector(_ScoringDetector):
    name = "semantic"

    def __init__(self, model: RoutedSemantic, *,
                 directions: frozenset[Direction] = frozenset({Direction.INPUT}),
                 min_score: float | dict[str, float] | None = None, on_error: str = "fail-closed",
                 error_risk: str = "A1.8") -> None:
        super().__init__(model.version, model.shallow.model.thresholds, directions, min_score, on_error,
                         error_risk)
        self.model = model
        # The deep head has thresholds of its own (its card's), overridden alike by min_score.
        self.deep_min_scores = (None if model.deep is None else
                                _min_scores(model.deep.model.thresholds, min_score,
                                            f"detectors.{self.name}.options"))

    def _score_windows(self, text: str) -> tuple[list[tuple[int, int]], F32]:
        return self.model.score_windows(text)

    def warm_up(self) -> None:
        """Load the encoder layers both heads read (~0.7 s + ~0.5 s), else the first prompt of each
        kind pays for it. A failure here is left to the first text (recorded per ``on_error``)."""
        try:
            self.model.warm_up()
        except (HeguiError, OSError, ValueError) as err:
            log.warning("semantic head warm-up failed: %s", err)

    def _thresholds(self, text: str) -> F32:
        if self.deep_min_scores is not None and self.model.head_for(text) is self.model.deep:
            return self.deep_min_scores
        return self.min_scores


def build_classifier(*, model: str | None = None, directions: list[str] | None = None,
                     min_score: float | dict[str, float] | None = None, on_error: str = "fail-closed",
                     error_risk: str = "A1.8") -> ClassifierDetector:
    from pathlib import Path

    loaded = FastClassifier.load(Path(model) if model else None)
    return ClassifierDetector(loaded, directions=_directions(directions, tuple(Direction),
                                                             "detectors.classifier.options"),
                              min_score=min_score, on_error=on_error, error_risk=error_risk)


def build_semantic(*, model: str | None = None, deep_model: str | None = None,
                   deep_latin_share: float = 0.5, directions: list[str] | None = None,
                   min_score: float | dict[str, float] | None = None, on_error: str = "fail-closed",
                   error_risk: str = "A1.8") -> SemanticDetector:
    """``deep_model``: the head for text mostly in Latin script (default: the shipped 12-layer one;
    "" = none, every text goes to ``model``); ``deep_latin_share``: from what share of Latin words."""
    from pathlib import Path

    if isinstance(deep_latin_share, bool) or not isinstance(deep_latin_share, int | float) \
            or not 0.0 <= deep_latin_share <= 1.0:
        raise PolicyError(f"detectors.semantic.options: deep_latin_share must be a number in [0, 1], "
                          f"got {deep_latin_share!r}")
    loaded = RoutedSemantic.load(Path(model) if model else None, Path(deep_model) if deep_model else None,
                                 use_deep=deep_model != "", deep_share=float(deep_latin_share))
    return SemanticDetector(loaded, directions=_directions(directions, (Direction.INPUT,),
                                                           "detectors.semantic.options"),
                            min_score=min_score, on_error=on_error, error_risk=error_risk)

