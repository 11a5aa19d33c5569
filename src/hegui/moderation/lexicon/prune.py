"""Pruning a noisy library against benign text: every term that fires on a benign text is moved out.

Public word lists fire on ordinary text every few bytes. ``prune_lexicon`` runs the library's own
``KeywordDetector`` (allow phrases and context rules included, so a term that only fires where an
allow phrase or context rule already silences it stays) over texts known to be benign and moves each
term that still fires from ``terms/*.tsv`` to ``pruned/<date>.tsv`` — same TSV format, the note
column saying which benign text it hit — so nothing is lost and a term can be moved back by hand.
The ``terms/*.tsv`` files are edited line by line (comments, order and other lines stay as they are);
the change log gets an entry and the version is bumped. Format: docs/lexicon-format.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hegui.core.errors import InputError, LexiconError
from hegui.moderation.lexicon.changelog import record_change
from hegui.moderation.lexicon.files import (
    COLUMNS,
    HEADER,
    MANIFEST,
    TERMS_DIR,
    _atomic_write,
    load_lexicon,
    manifest_text,
    read_manifest,
)

PRUNED_DIR = "pruned"
# How much of the benign text the note quotes (enough to see why the term fired).
_QUOTE_CHARS = 40
_TEXT_COLUMN = "text"


@dataclass(frozen=True, slots=True)
class BenignText:
    where: str   # "file:line" (or any label) — quoted in the pruned file's note
    text: str


@dataclass(slots=True)
class PruneReport:
    path: Path
    version: str
    texts: int                      # benign texts checked
    kept: int                       # terms left in terms/*.tsv
    pruned: int                     # terms moved out
    pruned_file: Path | None
    moved: list[dict[str, str]] = field(default_factory=list)  # term, risk, where, evidence

    def to_dict(self, limit: int = 1000) -> dict[str, Any]:
        return {"path": str(self.path), "version": self.version, "texts": self.texts,
                "kept": self.kept, "pruned": self.pruned,
                "pruned_file": str(self.pruned_file) if self.pruned_file else None,
                "moved": self.moved[:limit]}


# --------------------------------------------------------------------------------- benign texts


def read_benign(path: str | os.PathLike[str], field_name: str | None = None) -> Iterator[BenignText]:
    """Texts of one benign file: ``.txt`` (one text per line), ``.csv`` (column ``field_name``, by
    default the column named text/TEXT, any case) or ``.jsonl`` (key ``field_name``, default text)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".txt", ".csv", ".jsonl"):
        raise InputError(f"{p}: benign texts must be a .txt, .csv or .jsonl file")
    try:
        raw = p.read_bytes()
    except OSError as err:
        raise InputError(f"{p}: cannot read ({err.strerror or err})") from None
    try:
        content = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        bad_line = raw.count(b"\n", 0, err.start) + 1
        raise InputError(f"{p}:{bad_line}: invalid UTF-8 (byte {err.start}); save the file as UTF-8"
                         ) from None
    if suffix == ".txt":
        for lineno, line in enumerate(content.splitlines(), start=1):
            if line.strip():
                yield BenignText(f"{p.name}:{lineno}", line)
    elif suffix == ".csv":
        yield from _csv_texts(p, content, field_name)
    else:
        yield from _jsonl_texts(p, content, field_name or _TEXT_COLUMN)


def _csv_texts(p: Path, content: str, field_name: str | None) -> Iterator[BenignText]:
    reader = csv.reader(content.splitlines(keepends=True), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return
        names = [h.strip() for h in header]
        if field_name is not None:
            wanted = [i for i, h in enumerate(names) if h == field_name]
        else:
            wanted = [i for i, h in enumerate(names) if h.lower() == _TEXT_COLUMN]
        if not wanted:
            asked = repr(field_name) if field_name is not None else "named text"
            raise InputError(f"{p}: no column {asked} (columns: {', '.join(names) or 'none'}); "
                             "choose one with --field")
        column = wanted[0]
        for row in reader:
            if column < len(row) and row[column].strip():
                yield BenignText(f"{p.name}:{reader.line_num}", row[column])
    except csv.Error as err:
        raise InputError(f"{p}:{reader.line_num}: bad CSV ({err})") from None


def _jsonl_texts(p: Path, content: str, field_name: str) -> Iterator[BenignText]:
    for lineno, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(f"{p}:{lineno}: malformed JSON ({err.msg})") from None
        if not isinstance(record, dict) or field_name not in record:
            raise InputError(f"{p}:{lineno}: no key {field_name!r} (choose one with --field)")
        value = record[field_name]
        if not isinstance(value, str):
            raise InputError(f"{p}:{lineno}: {field_name!r} is not a string")
        if value.strip():
            yield BenignText(f"{p.name}:{lineno}", value)


def read_benign_files(paths: Sequence[str | os.PathLike[str]], field_name: str | None = None,
                      max_texts: int | None = None) -> list[BenignText]:
    texts: list[BenignText] = []
    for path in paths:
        for item in read_benign(path, field_name):
            if max_texts is not None and len(texts) >= max_texts:
                return texts
            texts.append(item)
    return texts


# ------------------------------------------------------------------------------------- pruning


def firing_terms(library: Path, texts: Iterable[BenignText], backend: str = "auto"
                 ) -> tuple[dict[str, tuple[BenignText, str]], int]:
    """Term text → (the first benign text it fired on, the evidence); and the number of texts."""
    from hegui.moderation.keyword import KeywordDetector

    detector = KeywordDetector([load_lexicon(library)], backend=backend)
    fired: dict[str, tuple[BenignText, str]] = {}
    count = 0
    for item in texts:
        count += 1
        for finding in detector.detect(item.text):
            term = str(finding.meta.get("term", ""))
            if term and term not in fired:
                fired[term] = (item, finding.evidence)
    return fired, count


def prune_lexicon(library: str | os.PathLike[str], texts: Iterable[BenignText],
                  today: dt.date | None = None, backend: str = "auto") -> PruneReport:
    """Move every term of the library directory ``library`` that fires on one of ``texts`` to
    ``pruned/<date>.tsv``; log the change and bump the version (see module doc)."""
    root = Path(library)
    if not (root / MANIFEST).is_file():
        raise LexiconError(f"{root}: prune needs a library directory with {MANIFEST} "
                           "(import the list first: hegui lexicon import)")
    day = today or dt.date.today()
    fired, count = firing_terms(root, texts, backend)
    tsv_files = sorted((root / TERMS_DIR).glob("*.tsv"))
    kept = 0
    moved_lines: list[str] = []
    moved: list[dict[str, str]] = []
    rewritten: list[tuple[Path, str]] = []
    for tsv in tsv_files:
        body, lines, report, left = _split_file(tsv, fired)
        kept += left
        if lines:
            rewritten.append((tsv, body))
            moved_lines += lines
            moved += report
    manifest = read_manifest(root / MANIFEST)
    report_out = PruneReport(root, manifest.version, count, kept, len(moved_lines), None, moved)
    if not moved_lines:
        return report_out
    pruned_file = root / PRUNED_DIR / f"{day.isoformat()}.tsv"
    sources = sorted({m["where"].rsplit(":", 1)[0] for m in moved})
    record_change(manifest, f"pruned {len(moved_lines)} terms that fired on benign texts "
                  f"({count} texts: {', '.join(sources[:5])}); moved to {PRUNED_DIR}/{pruned_file.name}",
                  added=0, removed=len(moved_lines), today=day)
    try:
        # The pruned file first: if anything later fails, the terms exist twice, never zero times.
        pruned_file.parent.mkdir(exist_ok=True)
        previous = pruned_file.read_text(encoding="utf-8") if pruned_file.exists() else ""
        head = previous or f"# terms pruned from {manifest.name} on {day.isoformat()}\n{HEADER}\n"
        _atomic_write(pruned_file, head + "\n".join(moved_lines) + "\n")
        for tsv, body in rewritten:
            _atomic_write(tsv, body)
        _atomic_write(root / MANIFEST, manifest_text(manifest))
    except OSError as err:
        raise LexiconError(f"cannot write keyword library {root}: {err.strerror or err}") from None
    report_out.version = manifest.version
    report_out.pruned_file = pruned_file
    return report_out


def _split_file(tsv: Path, fired: dict[str, tuple[BenignText, str]]
                ) -> tuple[str, list[str], list[dict[str, str]], int]:
    """(the file without the fired terms' lines, those lines with the note filled in, what moved,
    how many terms stay). The file was validated by loading the library, so its shape is known."""
    try:
        text = tsv.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise LexiconError(f"{tsv}: cannot read ({err})") from None
    keep: list[str] = []
    out: list[str] = []
    report: list[dict[str, str]] = []
    header_seen = False
    left = 0
    for raw in text.split("\n"):
        line = raw.rstrip("\r").removeprefix("\ufeff")
        if not line or line.startswith("#") or line.isspace() or not header_seen:
            header_seen = header_seen or (bool(line) and not line.startswith("#") and not line.isspace())
            keep.append(raw)
            continue
        fields = line.split("\t")
        term = fields[0].strip()
        hit = fired.get(term)
        if hit is None:
            keep.append(raw)
            left += 1
            continue
        item, evidence = hit
        quote = " ".join(item.text.split())[:_QUOTE_CHARS]
        fields += [""] * (len(COLUMNS) - len(fields))
        why = f"pruned: fired as {' '.join(evidence.split())!r} on benign {item.where}: {quote}"
        fields[5] = f"{fields[5].strip()}; {why}" if fields[5].strip() else why
        out.append("\t".join(f.replace("\t", " ") for f in fields))
        report.append({"term": term, "risk": fields[1].strip(), "where": item.where,
                       "evidence": evidence, "file": tsv.name})
    return "\n".join(keep), out, report, left
