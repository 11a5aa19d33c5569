"""Import plain word lists (one term per line) into a keyword library.

The risk of each list comes from ``--risk`` or from a mapping file keyed by FILE NAME (public lists
are categorised by file: konsheng's ``暴恐词库.txt`` is terrorism, A1.4). Terms are de-duplicated on
their normalized key; a term already present under a different risk is a *conflict*: the existing
entry is kept and the conflict reported. With a mapping, the lists it names explicitly are imported
before those that fall to its default, so a specific category wins over a catch-all one. Every
import that adds terms bumps the version and adds a change-log entry.

Word-list lines: UTF-8 (a BOM is ignored), stripped, blank lines and lines starting with ``#``
skipped, TABs turned into spaces. A line that is not valid UTF-8 is SKIPPED with a warning naming
file and line: public lists are noisy, and losing one line beats refusing fifty thousand.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hegui.core.errors import LexiconError
from hegui.core.risks import RISK_IDS
from hegui.moderation.lexicon.changelog import record_change
from hegui.moderation.lexicon.files import MANIFEST, load_lexicon, parse_weight, save_lexicon
from hegui.moderation.lexicon.keys import key_function
from hegui.moderation.lexicon.model import Lexicon, Term

SKIP = "skip"
# Conflicts listed one by one in a report (the count is always complete).
MAX_LISTED_CONFLICTS = 1_000


@dataclass(frozen=True, slots=True)
class ImportMap:
    """File name (or stem) → risk id, or ``skip``; ``default`` for lists not named (None = skip)."""

    by_name: dict[str, str]
    default: str | None = None

    def names(self, path: Path) -> bool:
        return path.name in self.by_name or path.stem in self.by_name

    def risk_for(self, path: Path) -> str | None:
        risk = self.by_name.get(path.name, self.by_name.get(path.stem, self.default))
        return None if risk in (None, SKIP) else risk


@dataclass(frozen=True, slots=True)
class Conflict:
    term: str
    existing_risk: str
    new_risk: str
    file: str
    line: int


@dataclass(slots=True)
class FileReport:
    file: str
    risk: str | None          # None: skipped (not in the mapping)
    lines: int = 0
    added: int = 0
    duplicates: int = 0
    conflicts: int = 0
    empty_after_normalization: int = 0


@dataclass(slots=True)
class ImportReport:
    library: str
    path: str
    version: str
    created: bool
    files: list[FileReport] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    conflict_count: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def added(self) -> int:
        return sum(f.added for f in self.files)

    @property
    def duplicates(self) -> int:
        return sum(f.duplicates for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {
            "library": self.library, "path": self.path, "version": self.version, "created": self.created,
            "added": self.added, "duplicates": self.duplicates, "conflict_count": self.conflict_count,
            "files": [{"file": f.file, "risk": f.risk, "lines": f.lines, "added": f.added,
                       "duplicates": f.duplicates, "conflicts": f.conflicts,
                       "empty_after_normalization": f.empty_after_normalization} for f in self.files],
            "conflicts": [{"term": c.term, "existing_risk": c.existing_risk, "new_risk": c.new_risk,
                           "file": c.file, "line": c.line} for c in self.conflicts],
            "warnings": self.warnings,
        }


def _check_risk(value: Any, where: str) -> str:
    if value == SKIP:
        return SKIP
    if not isinstance(value, str) or value not in RISK_IDS:
        raise LexiconError(f"{where}: unknown risk id {value!r} (use A1.1 … A5.2, or \"skip\")")
    return value


def load_import_map(path: str | os.PathLike[str]) -> ImportMap:
    """A TOML mapping (``default = "A1.8"`` and a ``[files]`` table) or a TSV (``name<TAB>risk`` lines,
    ``*`` as the name for the default). See docs/examples/konsheng-map.toml."""
    src = Path(path)
    try:
        text = src.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise LexiconError(f"{src}: cannot read mapping file ({err})") from None
    if src.suffix.lower() == ".toml":
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise LexiconError(f"{src}: bad TOML: {err}") from None
        unknown = sorted(set(doc) - {"default", "files"})
        if unknown:
            raise LexiconError(f"{src}: unknown key {unknown[0]!r} (use 'default' and a [files] table)")
        files = doc.get("files", {})
        if not isinstance(files, dict):
            raise LexiconError(f"{src}: 'files' must be a table of file name = risk id")
        by_name = {name: _check_risk(risk, f"{src} [files] {name!r}") for name, risk in files.items()}
        default = _check_risk(doc["default"], f"{src} default") if "default" in doc else None
        return ImportMap(by_name, None if default == SKIP else default)
    by_name = {}
    default = None
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [p.strip() for p in line.split("\t")]
        if len(parts) != 2:
            raise LexiconError(f"{src}:{lineno}: expected 'file name<TAB>risk id'")
        risk = _check_risk(parts[1], f"{src}:{lineno}")
        if parts[0] == "*":
            default = None if risk == SKIP else risk
        else:
            by_name[parts[0]] = risk
    return ImportMap(by_name, default)


def read_word_list(path: Path, warnings: list[str],
                   progress: Callable[[int], None] | None = None) -> list[tuple[int, str]]:
    """(line number, term) for every term line of a plain word list."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise LexiconError(f"{path}: cannot read ({err.strerror or err})") from None
    out: list[tuple[int, str]] = []
    bad = 0
    for lineno, raw in enumerate(data.split(b"\n"), start=1):
        if progress is not None:
            progress(len(raw) + 1)
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            bad += 1
            if bad <= 20:
                warnings.append(f"{path}:{lineno}: invalid UTF-8, line skipped")
            continue
        if lineno == 1:
            line = line.removeprefix("\ufeff")
        term = " ".join(line.replace("\t", " ").split())
        if term and not term.startswith("#"):
            out.append((lineno, term))
    if bad > 20:
        warnings.append(f"{path}: {bad - 20} more lines with invalid UTF-8 skipped")
    return out


def import_word_lists(
    files: Sequence[str | os.PathLike[str]],
    into: str | os.PathLike[str],
    *,
    risk: str | None = None,
    mapping: ImportMap | None = None,
    weight: float = 1.0,
    today: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import ``files`` into the library at ``into`` (created when missing) and save it.

    Exactly one of ``risk`` (every list) and ``mapping`` (by file name) must be given. ``progress``
    is called with the number of bytes read as the import advances.
    """
    if (risk is None) == (mapping is None):
        raise LexiconError("give either a risk id for all lists or a mapping file, not both or neither")
    if risk is not None:
        _check_risk(risk, "--risk")
        if risk == SKIP:
            raise LexiconError("--risk skip would import nothing")
    parse_weight(str(weight), "--weight")
    paths = [Path(f) for f in files]
    for p in paths:
        if not p.is_file():
            raise LexiconError(f"{p}: no such word-list file")
    root = Path(into)
    created = not (root / MANIFEST).is_file()
    if created and root.exists() and not root.is_dir():
        raise LexiconError(f"{root} exists and is not a library directory")
    lexicon = (Lexicon(name=root.name, version="0", description="imported word lists")
               if created else load_lexicon(root))

    key = key_function()
    seen: dict[str, str] = {}  # key → risk of the entry that stays
    for term in lexicon.terms:
        seen.setdefault(key(term.text), term.risk)
    report = ImportReport(library=lexicon.name, path=str(root), version=lexicon.version, created=created)
    if mapping is not None:
        # Lists the mapping names explicitly go first: when a term is in a specific list (暴恐词库 → A1.4)
        # and in a catch-all one (→ the default), the specific risk is the one that stays.
        paths.sort(key=lambda p: not mapping.names(p))
    for path in paths:
        file_risk = risk if risk is not None else mapping.risk_for(path) if mapping else None
        file_report = FileReport(file=path.name, risk=file_risk)
        report.files.append(file_report)
        if file_risk is None:
            if mapping is None or not mapping.names(path):
                report.warnings.append(f"{path.name}: not in the mapping and no default: skipped")
            if progress is not None:
                progress(path.stat().st_size)
            continue
        for lineno, text in read_word_list(path, report.warnings, progress):
            file_report.lines += 1
            k = key(text)
            if not k:
                file_report.empty_after_normalization += 1
                continue
            existing = seen.get(k)
            if existing is None:
                seen[k] = file_risk
                lexicon.terms.append(Term(text=text, risk=file_risk, weight=weight, source=lexicon.name))
                file_report.added += 1
            elif existing == file_risk:
                file_report.duplicates += 1
            else:
                file_report.conflicts += 1
                report.conflict_count += 1
                if len(report.conflicts) < MAX_LISTED_CONFLICTS:
                    report.conflicts.append(Conflict(text, existing, file_risk, path.name, lineno))
        if file_report.empty_after_normalization:
            report.warnings.append(f"{path.name}: {file_report.empty_after_normalization} lines hold only "
                                   "separators/invisible characters: skipped")
    if report.added or created:  # an import that adds nothing leaves the library untouched
        used = [f"{f.file} → {f.risk}" for f in report.files if f.risk and f.added]
        summary = f"import: {', '.join(used) if used else 'nothing new'}"
        record_change(lexicon, summary, added=report.added, removed=0, today=today)
        save_lexicon(lexicon, root)
    report.version = lexicon.version
    return report
