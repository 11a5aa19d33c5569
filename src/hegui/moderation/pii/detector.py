"""``PIIDetector``: finds personal identifiers (A4.6) with validation, one finding per identifier.

Cost model: most messages carry no identifier at all. One scan finds the short runs of identifier
characters ("spans"); each rule runs only inside spans that could hold its identifier (enough digits,
an ``@``, a ``:`` …), so ordinary prose costs two cheap regex scans (spans, licence plates).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import ClassVar

from hegui.core.errors import ConfigError
from hegui.core.types import DetectionContext, Detector, Finding
from hegui.moderation.pii.rules import (
    ANY_CUE,
    CUE_PREFIXES,
    CUE_WINDOW,
    LONGEST_CUE,
    PII_TYPES,
    PLATE_PROVINCES,
    RULES,
    Rule,
)

PII_RISK = "A4.6"  # 侵害他人个人信息权益

# Full-width ASCII (U+FF01–FF5E) and the ideographic space map one-to-one onto ASCII, so folding them
# keeps every index: a match in the folded text is a span of the original text.
_FOLD = {0xFF01 + i: 0x21 + i for i in range(94)} | {0x3000: 0x20}
_FULLWIDTH = re.compile("[\uff10-\uff19\uff20-\uff3a\uff41-\uff5a\uff0b\uff0d\uff0e]")

# Every identifier except a licence plate lies inside a "span": a run of identifier characters, where
# a single space may separate groups that start with a digit, "+" or "(" (138 1234 5678, +86 …,
# (010) 1234 5678). One scan for spans, then the rules run only inside the few spans that can hold
# their identifier. Spans are maximal, so a rule's boundary lookarounds see the same characters
# inside a span as in the whole text. Full-width digits and letters count, so they can be folded.
_TOKEN = "0-9A-Za-z+()（）.:@_%·•・\\-\uff10-\uff19\uff20-\uff3a\uff41-\uff5a\uff0b\uff0d\uff0e"
_GROUP_START = "0-9+(（\uff10-\uff19\uff0b"
_SPAN = re.compile(f"[{_TOKEN}]+(?:[ \u3000][{_GROUP_START}][{_TOKEN}]*)*")


def _chars(*ranges: tuple[str, str]) -> frozenset[str]:
    return frozenset(chr(c) for lo, hi in ranges for c in range(ord(lo), ord(hi) + 1))


_DIGITS_FW = (("0", "9"), ("\uff10", "\uff19"))
_TOKEN_CHARS = _chars(*_DIGITS_FW, ("A", "Z"), ("a", "z"), ("\uff20", "\uff3a"), ("\uff41", "\uff5a")) | set(
    "+()（）.:@_%·•・-\uff0b\uff0d\uff0e")
_GROUP_START_CHARS = _chars(*_DIGITS_FW) | set("+(（\uff0b")
_SPACES = " \u3000"
# The longest identifier we detect (an e-mail address may have up to 254 characters).
_LONGEST = 256

_LATIN_LETTER = re.compile("[A-Za-z]")

Candidate = tuple[int, int, float, int, Rule]  # start, end, score, rule order, rule


class PIIDetector(Detector):
    """Detects the identifiers named in ``PII_TYPES``.

    ``types`` enables only those types (default: all); ``exclude`` disables some. Findings carry
    ``risk="A4.6"``, ``evidence`` = the identifier as written, ``meta={"type": ..., "valid": True}``
    and a score: checksum-validated ≈ 0.95, structured formats 0.9, plausible 0.75, bare letter +
    digit formats 0.6 unless a cue word (护照, 通行证 …) precedes them. Findings never overlap; where
    candidates compete for the same characters the longest validated one wins.
    """

    name: ClassVar[str] = "pii"
    version = "1"

    def __init__(self, types: Iterable[str] | None = None, *, exclude: Iterable[str] = ()) -> None:
        wanted = [types] if isinstance(types, str) else list(PII_TYPES if types is None else types)
        excluded = [exclude] if isinstance(exclude, str) else list(exclude)
        unknown = sorted({t for t in wanted + excluded if t not in PII_TYPES})
        if unknown:
            raise ConfigError(f"unknown PII type(s) {', '.join(map(repr, unknown))}; "
                              f"known: {', '.join(PII_TYPES)}")
        self.types: frozenset[str] = frozenset(wanted) - frozenset(excluded)
        rules = [(order, rule) for order, rule in enumerate(RULES) if rule.type in self.types]
        # gate -> rules; span gates: "digits" = 6+ digits (the fewest any digit rule needs: HKID, USCC),
        # "at" = an "@", "dot" = 4+ digits and a ".", "colon" = a ":".
        self._by_gate: dict[str, list[tuple[int, Rule]]] = {}
        for order, rule in rules:
            self._by_gate.setdefault(rule.gate, []).append((order, rule))

    def detect(self, text: str, ctx: DetectionContext | None = None) -> list[Finding]:
        return [
            Finding(
                detector=self.name,
                risk=PII_RISK,
                score=score,
                span=(start, end),
                evidence=text[start:end],
                explanation=rule.explanation,
                meta={"type": rule.type, "valid": True},
            )
            for start, end, score, rule in self._find(text)
        ]

    def holdback(self, text: str) -> int:
        """Characters at the end of a stream that could still become (part of) an identifier, or
        change how one that follows is judged: the trailing span, a trailing group separator
        ("138 " + "1234 5678" to come), a plate's province character, and a cue word (护照, 台胞证,
        版本 …) in the last ``CUE_WINDOW`` characters. Everything before them can be released: its
        findings are final. Also the left context a window needs to see what the whole text shows."""
        n = len(text)
        limit = max(0, n - _LONGEST)
        i = n
        if i > limit and text[i - 1] in _SPACES:
            i -= 1
        while i > limit:
            ch = text[i - 1]
            # A space counts only as a separator between groups: "138 1234", not "word word".
            separator = (ch in _SPACES and i < n and text[i] in _GROUP_START_CHARS and i - 1 > limit
                         and text[i - 2] in _TOKEN_CHARS)
            if not (ch in _TOKEN_CHARS or separator):
                break
            i -= 1
        if i > 0 and text[i - 1] in PLATE_PROVINCES:
            i -= 1
        cue = ANY_CUE.search(text, max(0, n - CUE_WINDOW))
        if cue:
            i = min(i, cue.start())
        for k in range(min(LONGEST_CUE - 1, n), 0, -1):
            if text[n - k:].casefold() in CUE_PREFIXES:
                return n - min(i, n - k)
        return n - i

    def _find(self, text: str) -> list[tuple[int, int, float, Rule]]:
        folded = text
        spans = [(m.start(), m.end()) for m in _SPAN.finditer(text)]
        if any(_FULLWIDTH.search(text, s, e) for s, e in spans if not text[s:e].isascii()):
            folded = text.translate(_FOLD)  # rare: an identifier typed in full-width characters
            spans = [(m.start(), m.end()) for m in _SPAN.finditer(folded)]
        by_gate = self._by_gate
        candidates: list[Candidate] = []
        for start, end in spans:
            if end - start < 6:
                continue  # shorter than any identifier except a plate, which is matched on the text
            span = folded[start:end]
            digits = sum(map(str.isdigit, span))
            letter = _LATIN_LETTER.search(span) is not None
            gates = ["digits"] if digits >= 6 else []
            if "@" in span:
                gates.append("at")
            if digits >= 4 and "." in span:
                gates.append("dot")
            if ":" in span:
                gates.append("colon")
            for gate in gates:
                for order, rule in by_gate.get(gate, ()):
                    if digits < rule.min_digits or (rule.needs_letter and not letter):
                        continue
                    for m in rule.pattern.finditer(folded, start, end):
                        _keep(candidates, m, folded, order, rule)
        for order, rule in by_gate.get("text", ()):
            for m in rule.pattern.finditer(folded):
                _keep(candidates, m, folded, order, rule)
        return _longest_non_overlapping(candidates)


def _keep(candidates: list[Candidate], m: re.Match[str], folded: str, order: int, rule: Rule) -> None:
    score = rule.check(m, folded)
    if score is not None:
        candidates.append((m.start(), m.end(), score, order, rule))


def _longest_non_overlapping(candidates: list[Candidate]) -> list[tuple[int, int, float, Rule]]:
    """Longest first, then highest score, then rule order (cn_id before bank_card before uscc …);
    a candidate touching characters already taken is dropped.

    Candidates are first split into clusters of transitively overlapping ones: a choice in one
    cluster cannot affect another, so the greedy choice runs per (tiny) cluster and a text with
    thousands of identifiers stays linear.
    """
    candidates.sort(key=lambda c: c[0])
    chosen: list[tuple[int, int, float, Rule]] = []
    cluster: list[Candidate] = []
    cluster_end = -1
    for cand in candidates:
        if cand[0] >= cluster_end and cluster:
            chosen.extend(_greedy(cluster))
            cluster = []
        cluster.append(cand)
        cluster_end = max(cluster_end, cand[1]) if len(cluster) > 1 else cand[1]
    if cluster:
        chosen.extend(_greedy(cluster))
    return chosen


def _greedy(cluster: list[Candidate]) -> list[tuple[int, int, float, Rule]]:
    if len(cluster) == 1:
        start, end, score, _, rule = cluster[0]
        return [(start, end, score, rule)]
    cluster.sort(key=lambda c: (c[0] - c[1], -c[2], c[3]))
    taken: list[tuple[int, int, float, Rule]] = []
    for start, end, score, _, rule in cluster:
        if all(end <= s or start >= e for s, e, _, _ in taken):
            taken.append((start, end, score, rule))
    taken.sort(key=lambda c: c[0])
    return taken
