"""Coverage of keyword libraries against the TC260-003 self-assessment minima: in total and for each
of the 17 A1 + A2 risks, plus the age of the newest change-log entry (updates at least weekly).

Terms are counted once per risk by their normalized key (``keys``): 法輪功 and 法轮功 are one keyword.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from hegui.core.risks import KEYWORD_RISK_IDS, get_risk
from hegui.moderation.lexicon.changelog import MAX_AGE_DAYS, age_days, newest_entry
from hegui.moderation.lexicon.keys import key_function
from hegui.moderation.lexicon.model import ChangeLogEntry, Lexicon


@dataclass(frozen=True, slots=True)
class RiskCoverage:
    risk: str
    name: str
    count: int
    minimum: int

    @property
    def shortfall(self) -> int:
        return max(0, self.minimum - self.count)


@dataclass(slots=True)
class CoverageReport:
    libraries: list[dict[str, Any]]
    total: int
    minimum_total: int
    risks: list[RiskCoverage]             # the 17 A1 + A2 risks, in order
    other_risks: dict[str, int]           # terms filed under A3–A5 (not part of the minima)
    newest_change: ChangeLogEntry | None
    change_age_days: int | None
    warnings: list[str] = field(default_factory=list)

    @property
    def shortfalls(self) -> list[str]:
        out = []
        if self.total < self.minimum_total:
            out.append(f"total: {self.total} of {self.minimum_total} keywords "
                       f"({self.minimum_total - self.total} short)")
        out += [f"{r.risk} {r.name}: {r.count} of {r.minimum} ({r.shortfall} short)"
                for r in self.risks if r.shortfall]
        return out

    @property
    def stale(self) -> bool:
        return self.change_age_days is None or self.change_age_days > MAX_AGE_DAYS

    @property
    def passed(self) -> bool:
        """The minima are met (the change-log age is a warning, not a failure: it is about process)."""
        return not self.shortfalls

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "libraries": self.libraries,
            "total": self.total,
            "minimum_total": self.minimum_total,
            "risks": [{"id": r.risk, "name": r.name, "count": r.count, "minimum": r.minimum,
                       "shortfall": r.shortfall} for r in self.risks],
            "other_risks": self.other_risks,
            "shortfalls": self.shortfalls,
            "newest_change": None if self.newest_change is None else {
                "version": self.newest_change.version, "date": self.newest_change.date,
                "summary": self.newest_change.summary},
            "change_age_days": self.change_age_days,
            "stale": self.stale,
            "warnings": self.warnings,
        }


def coverage(lexicons: list[Lexicon], *, min_total: int, min_per_a1_risk: int, min_per_a2_risk: int,
             today: dt.date | None = None) -> CoverageReport:
    key = key_function()
    keys_by_risk: dict[str, set[str]] = {}
    for lexicon in lexicons:
        for term in lexicon.terms:
            keys_by_risk.setdefault(term.risk, set()).add(key(term.text))
    all_keys: set[str] = set()
    for keys in keys_by_risk.values():
        all_keys |= keys
    risks = [
        RiskCoverage(rid, get_risk(rid).zh, len(keys_by_risk.get(rid, ())),
                     min_per_a1_risk if rid.startswith("A1.") else min_per_a2_risk)
        for rid in KEYWORD_RISK_IDS
    ]
    others = {rid: len(k) for rid, k in sorted(keys_by_risk.items()) if rid not in KEYWORD_RISK_IDS}
    entries = [e for e in (newest_entry(lex) for lex in lexicons) if e is not None]
    newest = max(entries, key=lambda e: e.date, default=None)  # ties: the first library's
    age = None if newest is None else age_days(newest, today)
    warnings = []
    if newest is None:
        warnings.append("no change-log entry: the rules ask for updates at least weekly")
    elif age is not None and age > MAX_AGE_DAYS:
        warnings.append(f"newest change-log entry is {age} days old ({newest.date}); "
                        f"the rules ask for updates at least every {MAX_AGE_DAYS} days")
    warnings += [f"library {lex.name!r} has no change log" for lex in lexicons
                 if lex.terms and not lex.changelog]
    return CoverageReport(
        libraries=[{"name": lex.name, "version": lex.version, "terms": len(lex.terms)} for lex in lexicons],
        total=len(all_keys),
        minimum_total=min_total,
        risks=risks,
        other_risks=others,
        newest_change=newest,
        change_age_days=age,
        warnings=warnings,
    )
