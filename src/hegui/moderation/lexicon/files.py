"""Read and write keyword libraries on disk (format: docs/lexicon-format.md).

A library is a directory with ``lexicon.toml`` (metadata, allow phrases, context rules, change log)
and ``terms/*.tsv`` (one term per line). A single ``.tsv`` file is also a library. Every error names
the file and, where there is one, the line: a library is written by people and must be easy to fix.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import secrets
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from hegui.core.errors import LexiconError
from hegui.core.risks import RISK_IDS
from hegui.moderation.lexicon import parse_cache
from hegui.moderation.lexicon.model import (
    DEFAULT_TRANSFORMS,
    ChangeLogEntry,
    ContextRule,
    Lexicon,
    MatchMode,
    Term,
    Transform,
)

COLUMNS = ("term", "risk", "weight", "mode", "transforms", "note")
HEADER = "\t".join(COLUMNS)
MANIFEST = "lexicon.toml"
TERMS_DIR = "terms"
_TOP_KEYS = {"name", "version", "description", "default_transforms", "allow", "context", "changelog"}
_CONTEXT_KEYS = {"term", "require_any", "exclude_any", "window"}
_CHANGELOG_KEYS = {"version", "date", "summary", "added", "removed"}
_RISKS = frozenset(RISK_IDS)
_TRANSFORM_NAMES = ", ".join(t.value for t in Transform)


def seed_lexicon_path() -> Path:
    """The seed library shipped inside the package (package data: included in the wheel)."""
    return Path(__file__).resolve().parent.parent / "data" / "seed"


def load_lexicons(paths: Iterable[str | os.PathLike[str]]) -> list[Lexicon]:
    return [load_lexicon(p) for p in paths]


def load_lexicon(path: str | os.PathLike[str]) -> Lexicon:
    """Load a library directory (``lexicon.toml`` + ``terms/*.tsv``) or a single ``.tsv`` file."""
    root = Path(path)
    if root.is_file():
        lexicon = Lexicon(name=root.stem, version="0")
        lexicon.terms = read_terms(root, lexicon.default_transforms, source=root.stem)
        return lexicon
    if not root.exists():
        raise LexiconError(f"no keyword library at {root}")
    if not root.is_dir():
        raise LexiconError(f"{root} is neither a directory nor a .tsv file")
    manifest = root / MANIFEST
    if not manifest.is_file():
        raise LexiconError(f"{root} is not a keyword library: {MANIFEST} is missing")
    lexicon = read_manifest(manifest)
    for tsv in sorted((root / TERMS_DIR).glob("*.tsv")):
        lexicon.terms.extend(read_terms(tsv, lexicon.default_transforms, source=lexicon.name))
    return lexicon


# ------------------------------------------------------------------------------------------- reading


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise LexiconError(f"{path}: cannot read ({err.strerror or err})") from None


def _read_text(path: Path, data: bytes | None = None) -> str:
    if data is None:
        data = _read_bytes(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise LexiconError(f"{path}:{line}: invalid UTF-8 (byte {err.start}); save the file as UTF-8"
                           ) from None
    return text.removeprefix("\ufeff")


def read_terms(path: Path, default: frozenset[Transform], source: str = "") -> list[Term]:
    """Parse one ``terms/*.tsv`` file. ``default``: the library's default transformations.
    (A parse is cached on disk by content, see ``parse_cache``.)"""
    data = _read_bytes(path)
    key = parse_cache.cache_key("terms", data, path.name, source, *sorted(t.value for t in default))
    columns = parse_cache.load(key)
    if isinstance(columns, tuple) and len(columns) == len(Term.__slots__):
        return list(map(Term, *columns))
    terms = _parse_terms(path, _read_text(path, data), default, source)
    parse_cache.store(key, tuple([getattr(t, name) for t in terms] for name in Term.__slots__))
    return terms


def _parse_terms(path: Path, text: str, default: frozenset[Transform], source: str) -> list[Term]:
    origin = f"{source}:{path.name}" if source else path.name
    terms: list[Term] = []
    columns = 0
    # Imported libraries have 100k+ rows with few distinct weight/mode/transform values: parse each
    # distinct value once (start-up time is part of the moderation budget).
    weights: dict[str, float] = {}
    modes: dict[str, MatchMode] = {}
    edits: dict[str, frozenset[Transform]] = {}
    for lineno, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r")
        if not line or line.startswith("#") or line.isspace():
            continue
        fields = line.split("\t")
        if not columns:
            if fields[:2] != ["term", "risk"] or fields != list(COLUMNS[: len(fields)]):
                raise LexiconError(f"{path}:{lineno}: expected the header line {HEADER!r} "
                                   f"(TAB-separated), found {line[:80]!r}")
            columns = len(fields)
            continue
        n = len(fields)
        if n > columns:
            raise LexiconError(f"{path}:{lineno}: {n} columns but the header has {columns} "
                               "(a TAB inside a term or note?)")
        term = fields[0].strip()
        risk = fields[1].strip() if n > 1 else ""
        if not term:
            raise LexiconError(f"{path}:{lineno}: empty term")
        if risk not in _RISKS:
            what = f"unknown risk id {risk!r}" if risk else "missing risk id"
            raise LexiconError(f"{path}:{lineno}: {what} for term {term!r} (use A1.1 … A5.2)")
        weight_s = fields[2].strip() if n > 2 else ""
        mode_s = fields[3].strip() if n > 3 else ""
        edits_s = fields[4].strip() if n > 4 else ""
        if weight_s not in weights:
            weights[weight_s] = parse_weight(weight_s, f"{path}:{lineno}")
        if mode_s not in modes:
            modes[mode_s] = parse_mode(mode_s, f"{path}:{lineno}")
        if edits_s not in edits:
            edits[edits_s] = apply_transform_edits(default, edits_s, f"{path}:{lineno}")
        # Positional: measurably cheaper than keywords for the frozen dataclass, 100k times over.
        terms.append(Term(term, risk, weights[weight_s], modes[mode_s], edits[edits_s],
                          fields[5].strip() if n > 5 else "", origin))
    return terms


def parse_weight(value: str, where: str) -> float:
    if not value:
        return 1.0
    try:
        weight = float(value)
    except ValueError:
        weight = math.nan
    if not 0.0 <= weight <= 1.0:  # also rejects NaN
        raise LexiconError(f"{where}: weight must be a number from 0 to 1, got {value!r}")
    return weight


def parse_mode(value: str, where: str) -> MatchMode:
    if not value:
        return MatchMode.SUBSTRING
    try:
        return MatchMode(value.lower())
    except ValueError:
        raise LexiconError(f"{where}: unknown match mode {value!r} (use substring, word or exact)") from None


def parse_transform(name: str, where: str) -> Transform:
    try:
        return Transform(name.strip().lower())
    except ValueError:
        raise LexiconError(f"{where}: unknown transform {name.strip()!r} (known: {_TRANSFORM_NAMES})"
                           ) from None


def apply_transform_edits(default: frozenset[Transform], edits: str, where: str) -> frozenset[Transform]:
    """``-homophones,+initials`` applied to the library default; empty = the default itself."""
    if not edits:
        return default
    result = set(default)
    for edit in edits.split(","):
        edit = edit.strip()
        if not edit:
            continue
        if edit[0] not in "+-":
            raise LexiconError(f"{where}: transform edit {edit!r} must start with + or - "
                               "(e.g. -homophones,+initials)")
        transform = parse_transform(edit[1:], where)
        if edit[0] == "+":
            result.add(transform)
        else:
            result.discard(transform)
    return default if result == default else frozenset(result)


def format_transform_edits(default: frozenset[Transform], transforms: frozenset[Transform]) -> str:
    plus = sorted(t.value for t in transforms - default)
    minus = sorted(t.value for t in default - transforms)
    return ",".join([*(f"-{m}" for m in minus), *(f"+{p}" for p in plus)])


def _key_lines(text: str, pattern: str) -> list[int]:
    """Line numbers of the lines matching ``pattern`` (tomllib reports no lines for valid TOML)."""
    rx = re.compile(pattern)
    return [i for i, line in enumerate(text.split("\n"), start=1) if rx.match(line)]


def read_manifest(path: Path) -> Lexicon:
    """Parse ``lexicon.toml`` (cached on disk by content, see ``parse_cache``)."""
    data = _read_bytes(path)
    key = parse_cache.cache_key("manifest", data, str(path))
    cached = parse_cache.load(key)
    if isinstance(cached, Lexicon):
        return cached
    lexicon = _parse_manifest(path, _read_text(path, data))
    parse_cache.store(key, lexicon)
    return lexicon


def _parse_manifest(path: Path, text: str) -> Lexicon:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise LexiconError(f"{path}: bad TOML: {err}") from None

    def where(key: str) -> str:
        lines = _key_lines(text, rf"\s*{re.escape(key)}\s*=")
        return f"{path}:{lines[0]}" if lines else str(path)

    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise LexiconError(f"{where(unknown[0])}: unknown key {unknown[0]!r} "
                           f"(known: {', '.join(sorted(_TOP_KEYS))})")
    for required in ("name", "version"):
        if not isinstance(doc.get(required), str) or not doc[required].strip():
            raise LexiconError(f"{where(required)}: {required!r} must be a non-empty string")
    description = doc.get("description", "")
    if not isinstance(description, str):
        raise LexiconError(f"{where('description')}: 'description' must be a string")
    default = DEFAULT_TRANSFORMS
    if "default_transforms" in doc:
        names = _string_list(doc["default_transforms"], "default_transforms", where("default_transforms"))
        default = frozenset(parse_transform(n, where("default_transforms")) for n in names)
    allow = _string_list(doc.get("allow", []), "allow", where("allow"))
    context_lines = _key_lines(text, r"\s*\[\[\s*context\s*\]\]")
    changelog_lines = _key_lines(text, r"\s*\[\[\s*changelog\s*\]\]")
    return Lexicon(
        name=doc["name"].strip(),
        version=doc["version"].strip(),
        description=description,
        allow=allow,
        context=[_context_rule(t, _nth(path, context_lines, i, "context"))
                 for i, t in enumerate(_tables(doc, "context", where("context")))],
        changelog=[_changelog_entry(t, _nth(path, changelog_lines, i, "changelog"))
                   for i, t in enumerate(_tables(doc, "changelog", where("changelog")))],
        default_transforms=default,
    )


def _nth(path: Path, lines: list[int], index: int, table: str) -> str:
    line = f":{lines[index]}" if index < len(lines) else ""
    return f"{path}{line} ([[{table}]] #{index + 1})"


def _tables(doc: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        raise LexiconError(f"{where}: {key!r} must be written as [[{key}]] tables")
    return value


def _string_list(value: Any, key: str, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LexiconError(f"{where}: {key!r} must be a list of strings")
    return [v for v in value if v.strip()]


def _check_keys(table: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise LexiconError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")


def _context_rule(table: dict[str, Any], where: str) -> ContextRule:
    _check_keys(table, _CONTEXT_KEYS, where)
    term = table.get("term")
    if not isinstance(term, str) or not term.strip():
        raise LexiconError(f"{where}: 'term' must be a non-empty string")
    window = table.get("window", 20)
    if not isinstance(window, int) or isinstance(window, bool) or window < 1:
        raise LexiconError(f"{where}: 'window' must be a positive whole number of characters")
    return ContextRule(
        term=term.strip(),
        require_any=tuple(_string_list(table.get("require_any", []), "require_any", where)),
        exclude_any=tuple(_string_list(table.get("exclude_any", []), "exclude_any", where)),
        window=window,
    )


def _changelog_entry(table: dict[str, Any], where: str) -> ChangeLogEntry:
    _check_keys(table, _CHANGELOG_KEYS, where)
    version, date, summary = table.get("version"), table.get("date"), table.get("summary", "")
    if not isinstance(version, str) or not version.strip():
        raise LexiconError(f"{where}: 'version' must be a non-empty string")
    if isinstance(date, dt.date) and not isinstance(date, dt.datetime):
        date = date.isoformat()
    try:
        dt.date.fromisoformat(str(date))
    except ValueError:
        raise LexiconError(f"{where}: 'date' must be an ISO date like 2026-11-25, got {date!r}") from None
    if not isinstance(summary, str):
        raise LexiconError(f"{where}: 'summary' must be a string")
    counts = []
    for key in ("added", "removed"):
        n = table.get(key, 0)
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise LexiconError(f"{where}: {key!r} must be a whole number ≥ 0")
        counts.append(n)
    return ChangeLogEntry(version=version.strip(), date=str(date), summary=summary,
                          added=counts[0], removed=counts[1])


# ------------------------------------------------------------------------------------------- writing


def _toml_str(value: str) -> str:
    # A JSON string is a valid TOML basic string (same escapes, \uXXXX for control characters).
    import json

    return json.dumps(value, ensure_ascii=False)


def _toml_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_toml_str(v) for v in values) + "]"


def manifest_text(lexicon: Lexicon) -> str:
    out = [
        "# hegui keyword library — format: docs/lexicon-format.md",
        f"name = {_toml_str(lexicon.name)}",
        f"version = {_toml_str(lexicon.version)}",
        f"description = {_toml_str(lexicon.description)}",
    ]
    if lexicon.default_transforms != DEFAULT_TRANSFORMS:
        names = sorted(t.value for t in lexicon.default_transforms)
        out.append(f"default_transforms = {_toml_list(names)}")
    out.append(f"allow = {_toml_list(lexicon.allow)}")
    for rule in lexicon.context:
        out += ["", "[[context]]", f"term = {_toml_str(rule.term)}"]
        if rule.require_any:
            out.append(f"require_any = {_toml_list(rule.require_any)}")
        if rule.exclude_any:
            out.append(f"exclude_any = {_toml_list(rule.exclude_any)}")
        out.append(f"window = {rule.window}")
    for entry in lexicon.changelog:
        out += ["", "[[changelog]]", f"version = {_toml_str(entry.version)}",
                f"date = {_toml_str(entry.date)}", f"summary = {_toml_str(entry.summary)}",
                f"added = {entry.added}", f"removed = {entry.removed}"]
    return "\n".join(out) + "\n"


def _term_line(term: Term, default: frozenset[Transform]) -> str:
    for label, value in (("term", term.text), ("note", term.note)):
        if "\t" in value or "\n" in value or "\r" in value:
            raise LexiconError(f"cannot save {label} {value!r}: TABs and line breaks are not allowed")
    if term.text.strip() != term.text or term.text.startswith("#") or not term.text:
        raise LexiconError(f"cannot save term {term.text!r}: it must not be empty, start with '#' "
                           "or have leading/trailing spaces")
    weight = "" if term.weight == 1.0 else f"{term.weight:g}"
    mode = "" if term.mode is MatchMode.SUBSTRING else term.mode.value
    fields = [term.text, term.risk, weight, mode, format_transform_edits(default, term.transforms),
              term.note.strip()]
    while len(fields) > 2 and not fields[-1]:
        fields.pop()
    return "\t".join(fields)


def _atomic_write(path: Path, text: str) -> None:
    # open(..., "x") rather than mkstemp: the file gets the usual permissions (umask), not 0600.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save_lexicon(lexicon: Lexicon, directory: str | os.PathLike[str]) -> Path:
    """Write ``lexicon`` as a library directory: ``lexicon.toml`` + ``terms/<risk>.tsv``.

    Every file is replaced atomically; ``.tsv`` files of risks the library no longer has are removed.
    All lines are validated before anything is written, so a bad term never leaves half a library.
    """
    root = Path(directory)
    by_risk: dict[str, list[str]] = {}
    for term in lexicon.terms:
        if term.risk not in _RISKS:
            raise LexiconError(f"cannot save term {term.text!r}: unknown risk id {term.risk!r}")
        by_risk.setdefault(term.risk, []).append(_term_line(term, lexicon.default_transforms))
    manifest = manifest_text(lexicon)
    try:
        (root / TERMS_DIR).mkdir(parents=True, exist_ok=True)
        for risk, lines in by_risk.items():
            body = "\n".join([f"# {lexicon.name} {lexicon.version} — {risk}", HEADER, *lines]) + "\n"
            _atomic_write(root / TERMS_DIR / f"{risk}.tsv", body)
        for stale in (root / TERMS_DIR).glob("*.tsv"):
            if stale.stem not in by_risk:
                stale.unlink()
        _atomic_write(root / MANIFEST, manifest)
    except OSError as err:
        raise LexiconError(f"cannot write keyword library {root}: {err.strerror or err}") from None
    return root
