"""A small, real detector for tests of the engine and its adapters: literal terms, with separators
(spaces, punctuation, symbols, invisible characters) between a term's characters ignored — the
evasion that makes streaming holdback interesting."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import ClassVar

from hegui.core.types import DetectionContext, Detector, Finding, significant_tail


def _significant(char: str) -> bool:
    return unicodedata.category(char)[0] not in "ZPSCM"


def _fold(char: str) -> str:
    # One character in, one out, so squeezed positions map back to the original text.
    lower = char.lower()
    return lower if len(lower) == 1 else char


class TermDetector(Detector):
    """Finds every occurrence (overlapping included) of each term, case-insensitively, ignoring
    separators between its characters. ``terms``: term -> (risk id, weight)."""

    name: ClassVar[str] = "terms"
    version = "test-1"

    def __init__(self, terms: Mapping[str, tuple[str, float]], *, exact_holdback: bool = True) -> None:
        self.terms = {"".join(map(_fold, t)): v for t, v in terms.items()}
        self.longest = max((len(t) for t in self.terms), default=0)
        self.exact_holdback = exact_holdback

    def detect(self, text: str, ctx: DetectionContext) -> list[Finding]:
        positions = [i for i, c in enumerate(text) if _significant(c)]
        squeezed = "".join(_fold(text[i]) for i in positions)
        found = []
        for term, (risk, weight) in self.terms.items():
            at = squeezed.find(term)
            while at >= 0:
                start, end = positions[at], positions[at + len(term) - 1] + 1
                found.append(Finding(self.name, risk, weight, (start, end), text[start:end],
                                     meta={"term": term}))
                at = squeezed.find(term, at + 1)
        return found

    def holdback(self, text: str) -> int:
        if not self.exact_holdback:
            return super().holdback(text)
        # An unfinished term has at most longest-1 of its characters at the end of the text.
        return significant_tail(text, self.longest - 1) if self.longest > 1 else 0
