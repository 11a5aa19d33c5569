"""Quality figures for a scorer over the evaluation sets (benchmarks/moderation_quality.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hegui.moderation.classify.labels import GATE_LABEL, LABEL_NAMES
from hegui.moderation.classify.train.sources import Example

F32 = npt.NDArray[np.float32]
Scorer = Callable[[Sequence[str]], F32]
_GATE = LABEL_NAMES.index(GATE_LABEL)


def flagged(probs: F32, thresholds: F32) -> npt.NDArray[np.bool_]:
    """A text is flagged when the gate label (``harmful``) reaches its threshold."""
    hit: npt.NDArray[np.bool_] = probs[:, _GATE] >= thresholds[_GATE]
    return hit


@dataclass(frozen=True)
class Binary:
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def negative_f1(self) -> float:
        p = self.tn / (self.tn + self.fn) if self.tn + self.fn else 0.0
        r = self.tn / (self.tn + self.fp) if self.tn + self.fp else 0.0
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def macro_f1(self) -> float:
        return (self.f1 + self.negative_f1) / 2

    @property
    def flag_rate_of_benign(self) -> float:
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else 0.0


def binary(pred: npt.NDArray[np.bool_], gold: npt.NDArray[np.bool_]) -> Binary:
    return Binary(int((pred & gold).sum()), int((pred & ~gold).sum()), int((~pred & gold).sum()),
                  int((~pred & ~gold).sum()))


def is_harmful(examples: Sequence[Example]) -> npt.NDArray[np.bool_]:
    return np.array([bool(ex.labels) for ex in examples], dtype=bool)


def evaluation_report(scorer: Scorer, thresholds: F32,
                      sets: dict[str, list[Example]]) -> dict[str, dict[str, float]]:
    """Per test set, at the gate threshold: precision / recall / F1 where a set has both classes,
    recall where it is all harmful, the share flagged where it is all benign."""
    report: dict[str, dict[str, float]] = {}
    for name, examples in sets.items():
        if not examples:
            continue
        b = binary(flagged(scorer([e.text for e in examples]), thresholds), is_harmful(examples))
        row: dict[str, float] = {"n": len(examples), "harmful": b.tp + b.fn}
        if b.tp + b.fn:
            row["recall"] = round(b.recall, 4)
        if b.fp + b.tn:
            row["benign_flagged"] = round(b.flag_rate_of_benign, 4)
        if b.tp + b.fn and b.fp + b.tn:
            row |= {"precision": round(b.precision, 4), "f1": round(b.f1, 4),
                    "macro_f1": round(b.macro_f1, 4)}
        report[name] = row
    return report
