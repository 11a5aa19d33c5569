"""``hegui lexicon``: import plain word lists into a keyword library; prune the terms that fire on
benign text; check coverage against the TC260 minima and the age of the change log."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from hegui.core.errors import HeguiError

if TYPE_CHECKING:
    from hegui.moderation.lexicon.coverage import CoverageReport
    from hegui.moderation.lexicon.importer import ImportReport
    from hegui.moderation.lexicon.prune import PruneReport

# Inputs larger than this get a progress bar on stderr.
PROGRESS_MIN_BYTES = 1_000_000
SHOWN_CONFLICTS = 20

lexicon_app = typer.Typer(
    name="lexicon",
    help="Keyword libraries: import word lists, prune, check coverage (format: docs/lexicon-format.md).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(lexicon_app, name="lexicon")


@lexicon_app.command("import")
def import_cmd(
    files: list[Path] = typer.Argument(..., help="Plain word lists: one term per line, UTF-8."),
    into: Path = typer.Option(..., "--into", help="The library directory (created when missing)."),
    risk: str | None = typer.Option(None, "--risk", help="Risk id for every list, e.g. A1.4."),
    map_file: Path | None = typer.Option(None, "--map",
                                         help="Mapping file: risk id by list FILE NAME (TOML or TSV)."),
    weight: float = typer.Option(1.0, "--weight", help="Weight (0..1) of the imported terms."),
    json_out: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
) -> None:
    """Import word lists into LIB: de-duplicate, report conflicts, log the change, bump the version."""
    from hegui.cli.output import fail, print_json
    from hegui.moderation.lexicon.importer import import_word_lists, load_import_map

    if (risk is None) == (map_file is None):
        fail("give exactly one of --risk ID or --map FILE")
    try:
        mapping = load_import_map(map_file) if map_file is not None else None
        total = sum(p.stat().st_size for p in files if p.is_file())
        if total >= PROGRESS_MIN_BYTES:
            from rich.progress import Progress

            from hegui.cli.output import stderr

            with Progress(console=stderr, transient=True) as bar:
                task = bar.add_task("importing", total=total)
                report = import_word_lists(files, into, risk=risk, mapping=mapping, weight=weight,
                                           progress=lambda n: bar.advance(task, n))
        else:
            report = import_word_lists(files, into, risk=risk, mapping=mapping, weight=weight)
    except HeguiError as err:
        fail(err.message, err.exit_code)
    if json_out:
        print_json(report.to_dict())
    else:
        _show_import(report)


def _show_import(report: ImportReport) -> None:
    from rich.table import Table

    from hegui.cli.output import stderr, stdout

    table = Table("file", "risk", "lines", "added", "duplicates", "conflicts", box=None)
    for f in report.files:
        table.add_row(f.file, f.risk or "[dim]skipped[/]", str(f.lines), str(f.added), str(f.duplicates),
                      str(f.conflicts))
    stdout.print(table)
    verb = "created" if report.created else "updated"
    stdout.print(f"{verb} {report.path} → version {report.version}: {report.added} terms added, "
                 f"{report.duplicates} duplicates, {report.conflict_count} conflicts (existing entries kept)")
    for c in report.conflicts[:SHOWN_CONFLICTS]:
        stdout.print(f"  conflict: {c.term!r} is {c.existing_risk}, {c.file}:{c.line} says {c.new_risk}",
                     markup=False)
    if report.conflict_count > SHOWN_CONFLICTS:
        stdout.print(f"  … {report.conflict_count - SHOWN_CONFLICTS} more (use --json for the list)")
    for w in report.warnings:
        stderr.print(f"warning: {w}", markup=False)


@lexicon_app.command("prune")
def prune_cmd(
    library: Path = typer.Argument(..., help="The library directory to prune."),
    benign: list[Path] = typer.Option(..., "--benign", help="Benign texts: .txt (one per line), .csv "
                                      "or .jsonl; repeat for several files."),
    field_name: str | None = typer.Option(None, "--field", help="CSV column / JSONL key holding the "
                                          "text (default: the column or key named text, any case)."),
    max_texts: int | None = typer.Option(None, "--max-texts", min=1, help="Check at most N texts."),
    json_out: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
) -> None:
    """Move every term that fires on a benign text to LIB/pruned/<date>.tsv; log the change."""
    from hegui.cli.output import fail, print_json
    from hegui.moderation.lexicon.prune import prune_lexicon, read_benign_files

    try:
        texts = read_benign_files(benign, field_name, max_texts)
        report = prune_lexicon(library, texts)
    except HeguiError as err:
        fail(err.message, err.exit_code)
    if json_out:
        print_json(report.to_dict())
    else:
        _show_prune(report)


def _show_prune(report: PruneReport) -> None:
    from hegui.cli.output import stdout

    if not report.pruned:
        stdout.print(f"{report.path}: no term fired on the {report.texts} benign texts; nothing pruned "
                     f"(version {report.version}, {report.kept} terms)", markup=False)
        return
    stdout.print(f"{report.path} → version {report.version}: {report.pruned} terms fired on "
                 f"{report.texts} benign texts and moved to {report.pruned_file}; {report.kept} terms kept",
                 markup=False)
    for m in report.moved[:SHOWN_CONFLICTS]:
        stdout.print(f"  pruned {m['term']!r} ({m['risk']}): {m['where']}", markup=False)
    if report.pruned > SHOWN_CONFLICTS:
        stdout.print(f"  … {report.pruned - SHOWN_CONFLICTS} more (see the pruned file or --json)")


@lexicon_app.command("check")
def check_cmd(
    libraries: list[Path] = typer.Argument(None, help="Libraries to check together "
                                           "(default: the seed library + HEGUI_LEXICON_PATHS)."),
    min_total: int | None = typer.Option(None, "--min-total", help="Minimum keywords in total "
                                         "(default: settings lexicon_min_total, 10,000)."),
    min_a1: int | None = typer.Option(None, "--min-a1", help="Minimum per A1 risk (default 200)."),
    min_a2: int | None = typer.Option(None, "--min-a2", help="Minimum per A2 risk (default 100)."),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when a minimum is not met."),
    json_out: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Size and coverage of the 17 A1 + A2 risks against the TC260 minima; change-log age."""
    from hegui.cli.output import fail, print_json
    from hegui.core.settings import load_settings
    from hegui.moderation.lexicon import load_lexicons, seed_lexicon_path
    from hegui.moderation.lexicon.coverage import coverage

    try:
        settings = load_settings()
        paths: list[Path] = list(libraries or [])
        if not paths:
            seed = [seed_lexicon_path()] if settings.use_seed_lexicon else []
            paths = seed + list(settings.lexicon_paths)
        if not paths:
            fail("no library to check: give LIB, or set HEGUI_LEXICON_PATHS / use_seed_lexicon")
        lexicons = load_lexicons(paths)
    except HeguiError as err:
        fail(err.message, err.exit_code)
    report = coverage(
        lexicons,
        min_total=settings.lexicon_min_total if min_total is None else min_total,
        min_per_a1_risk=settings.lexicon_min_per_a1_risk if min_a1 is None else min_a1,
        min_per_a2_risk=settings.lexicon_min_per_a2_risk if min_a2 is None else min_a2,
    )
    if json_out:
        print_json(report.to_dict())
    else:
        _show_check(report)
    if strict and not report.passed:
        raise typer.Exit(1)


def _show_check(report: CoverageReport) -> None:
    from rich.table import Table

    from hegui.cli.output import stderr, stdout

    libs = ", ".join(f"{lib['name']} {lib['version']} ({lib['terms']} terms)" for lib in report.libraries)
    stdout.print(f"libraries: {libs}", markup=False)
    table = Table("risk", "name", "keywords", "minimum", "", box=None)
    for r in report.risks:
        status = "[green]ok[/]" if not r.shortfall else f"[red]{r.shortfall} short[/]"
        table.add_row(r.risk, r.name, str(r.count), str(r.minimum), status)
    stdout.print(table)
    if report.other_risks:
        stdout.print("other risks: " + ", ".join(f"{k} {v}" for k, v in report.other_risks.items()))
    stdout.print(f"total: {report.total} unique keywords (minimum {report.minimum_total})")
    if report.newest_change is not None:
        stdout.print(f"newest change: {report.newest_change.version} on {report.newest_change.date} "
                     f"({report.change_age_days} days ago)")
    for w in report.warnings:
        stderr.print(f"warning: {w}", markup=False)
    if report.passed:
        stdout.print("[bold green]PASS[/]: the TC260 keyword-library minima are met")
    else:
        stdout.print("[bold red]FAIL[/]: " + "; ".join(report.shortfalls))
