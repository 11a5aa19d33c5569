"""Library versions and the change log. The rules ask for the keyword library to be updated at least
weekly, so every import records an entry and ``hegui lexicon check`` reports the newest entry's age."""

from __future__ import annotations

import datetime as dt
import re

from hegui.moderation.lexicon.model import ChangeLogEntry, Lexicon

MAX_AGE_DAYS = 7
_DATE_VERSION = re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})\.(\d+)$")


def next_version(current: str, today: dt.date) -> str:
    """Date-based versions ``YYYY.MM.DD.N``: the next N on the same day, else ``today.1``."""
    prefix = f"{today.year}.{today.month:02d}.{today.day:02d}"
    found = _DATE_VERSION.match(current.strip())
    if found:
        y, m, d, n = (int(g) for g in found.groups())
        if (y, m, d) == (today.year, today.month, today.day):
            return f"{prefix}.{n + 1}"
    return f"{prefix}.1"


def record_change(lexicon: Lexicon, summary: str, added: int, removed: int = 0,
                  today: dt.date | None = None) -> ChangeLogEntry:
    """Bump the library's version and append a change-log entry for it."""
    day = today or dt.date.today()
    lexicon.version = next_version(lexicon.version, day)
    entry = ChangeLogEntry(version=lexicon.version, date=day.isoformat(), summary=summary,
                           added=added, removed=removed)
    lexicon.changelog.append(entry)
    return entry


def newest_entry(lexicon: Lexicon) -> ChangeLogEntry | None:
    """The entry with the latest date; of several on that day, the one written last."""
    newest: ChangeLogEntry | None = None
    for entry in lexicon.changelog:
        if newest is None or entry.date >= newest.date:
            newest = entry
    return newest


def age_days(entry: ChangeLogEntry, today: dt.date | None = None) -> int:
    return ((today or dt.date.today()) - dt.date.fromisoformat(entry.date)).days
