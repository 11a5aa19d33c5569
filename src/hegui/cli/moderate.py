"""``hegui moderate``: check one text, a file, stdin, or a JSONL batch against the policy."""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import typer
from rich.markup import escape

from hegui.core.errors import HeguiError, InputError
from hegui.core.types import Direction

if TYPE_CHECKING:
    from hegui.core.types import Verdict
    from hegui.moderation.engine import Moderator


class OnError(enum.StrEnum):
    STOP = "stop"
    SKIP = "skip"


ACTION_STYLE = {"pass": "green", "label": "yellow", "rewrite": "cyan", "refuse": "red", "block": "bold red"}


def register(app: typer.Typer) -> None:
    @app.command("moderate")
    def moderate(
        text: str | None = typer.Argument(None, help="The text to check (or use --file / --jsonl)."),
        file: Path | None = typer.Option(None, "--file", "-f",
                                         help="Read the text from a file ('-' = stdin)."),
        jsonl: Path | None = typer.Option(None, "--jsonl",
                                          help="Batch: a JSON-lines file ('-' = stdin), one object a line."),
        field: str = typer.Option("text", "--field", help="With --jsonl: the field holding the text."),
        direction: Direction = typer.Option(Direction.INPUT, "--direction",
                                            help="input (a user's prompt) or output (a model's answer)."),
        lexicon: list[Path] = typer.Option([], "--lexicon",
                                           help="Extra keyword library, repeatable (or HEGUI_LEXICON_PATHS)"),
        policy: Path | None = typer.Option(None, "--policy", help="Policy file (TOML or YAML)."),
        no_seed: bool = typer.Option(False, "--no-seed",
                                     help="Do not load the keyword library shipped with hegui."),
        on_error: OnError = typer.Option(OnError.STOP, "--on-error",
                                         help="--jsonl: on a bad line, stop (exit 2) or skip it (warn)."),
        json_out: bool = typer.Option(False, "--json", help="Print JSON (one object per line for --jsonl)."),
    ) -> None:
        """Check text against the moderation policy. Exits 0 whether or not anything is flagged."""
        from hegui.cli.output import fail

        sources = [name for name, given in (("TEXT", text is not None), ("--file", file is not None),
                                            ("--jsonl", jsonl is not None)) if given]
        if len(sources) != 1:
            got = f" (got {', '.join(sources)})" if sources else ""
            fail(f"give exactly one of TEXT, --file or --jsonl{got}")
        try:
            moderator = _build(lexicon, policy, no_seed)
            if jsonl is not None:
                _batch(moderator, jsonl, field, direction, on_error, json_out)
                return
            body = text if text is not None else _read_text(file)  # type: ignore[arg-type]
            _show(moderator.check(body, direction), json_out)
        except HeguiError as err:
            fail(err.message, err.exit_code)


def _build(lexicon: list[Path], policy: Path | None, no_seed: bool) -> Moderator:
    from hegui.core.settings import load_settings
    from hegui.moderation.engine import build_moderator

    overrides: dict[str, Any] = {}
    if policy is not None:
        overrides["policy_path"] = policy
    if no_seed:
        overrides["use_seed_lexicon"] = False
    settings = load_settings(**overrides)
    if lexicon:
        settings = settings.model_copy(update={"lexicon_paths": [*settings.lexicon_paths, *lexicon]})
    return build_moderator(settings)


def _open_binary(path: Path) -> IO[bytes]:
    if str(path) == "-":
        return sys.stdin.buffer
    try:
        return path.open("rb")
    except OSError as err:
        raise InputError(f"cannot read {path}: {err.strerror or err}") from None


def _read_text(path: Path) -> str:
    name = "stdin" if str(path) == "-" else str(path)
    stream = _open_binary(path)
    try:
        data = stream.read()
    except OSError as err:
        raise InputError(f"cannot read {name}: {err.strerror or err}") from None
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    return _decode(data, name)


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(f"{where} is not valid UTF-8 (bad byte at offset {err.start}); "
                         "convert it first, e.g. iconv -f GB18030 -t UTF-8") from None


def _records(path: Path, field: str) -> Iterator[tuple[int, str | None, str | None]]:
    """(line number, text, problem) for each non-blank line; exactly one of text / problem is set."""
    name = "stdin" if str(path) == "-" else str(path)
    stream = _open_binary(path)
    try:
        for number, raw in enumerate(stream, start=1):
            if not raw.strip():
                continue
            try:
                line = _decode(raw, f"{name} line {number}")
                obj = json.loads(line)
            except InputError as err:
                yield number, None, err.message
                continue
            except json.JSONDecodeError as err:
                yield number, None, f"{name} line {number}: not valid JSON ({err.msg} at column {err.colno})"
                continue
            if not isinstance(obj, dict):
                yield number, None, f"{name} line {number}: expected a JSON object, got {type(obj).__name__}"
            elif field not in obj:
                yield number, None, f"{name} line {number}: no field {field!r} (use --field NAME)"
            elif not isinstance(obj[field], str):
                yield number, None, (f"{name} line {number}: field {field!r} must be a string, "
                                     f"got {type(obj[field]).__name__}")
            else:
                yield number, obj[field], None
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def _batch(moderator: Moderator, path: Path, field: str, direction: Direction, on_error: OnError,
           json_out: bool) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from hegui.cli.output import fail, print_json, stderr, stdout

    counts = {"checked": 0, "flagged": 0, "errors": 0}
    progress = Progress(TextColumn("moderating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=stderr, transient=True, disable=not stderr.is_terminal)
    with progress:
        task = progress.add_task("moderating", total=None)
        for number, text, problem in _records(path, field):
            if problem is not None:
                counts["errors"] += 1
                if on_error is OnError.STOP:
                    progress.stop()
                    fail(f"{problem} (use --on-error skip to go on)")
                stderr.print(f"[yellow]warning:[/] skipped {escape(problem)}", markup=True, soft_wrap=True)
                if json_out:
                    print_json({"line": number, "error": {"code": "invalid_input", "message": problem}})
                continue
            try:
                verdict = moderator.check(text or "", direction)
            except HeguiError as err:  # e.g. a line over max_text_chars: this line's problem only
                counts["errors"] += 1
                if on_error is OnError.STOP:
                    progress.stop()
                    fail(f"line {number}: {err.message}")
                stderr.print(f"[yellow]warning:[/] skipped line {number}: {escape(err.message)}", markup=True)
                if json_out:
                    print_json({"line": number, "error": {"code": err.code, "message": err.message}})
                continue
            counts["checked"] += 1
            counts["flagged"] += verdict.flagged
            if json_out:
                print_json({"line": number, **verdict.to_dict()})
            else:
                risks = ", ".join(f"{r}={s:.2f}" for r, s in sorted(verdict.risks.items())) or "-"
                style = ACTION_STYLE[verdict.action.value]
                stdout.print(f"line {number}: [{style}]{verdict.action.value}[/] {risks}", markup=True)
            progress.advance(task)
    if not json_out:
        stderr.print(f"{counts['checked']} checked, {counts['flagged']} flagged, {counts['errors']} skipped")


def _show(verdict: Verdict, json_out: bool) -> None:
    from hegui.cli.output import print_json, stdout

    if json_out:
        print_json(verdict.to_dict())
        return
    from rich.markup import escape
    from rich.table import Table

    from hegui.core.risks import get_risk, is_risk_id

    style = ACTION_STYLE[verdict.action.value]
    stdout.print(f"[{style}]{verdict.action.value.upper()}[/]  ({verdict.direction.value}, "
                 f"policy {escape(verdict.policy_version)})", markup=True)
    if verdict.risks:
        table = Table("risk", "score", "name", title="risks", title_justify="left")
        for rid, score in sorted(verdict.risks.items(), key=lambda kv: -kv[1]):
            name = get_risk(rid).zh if is_risk_id(rid) else ""
            table.add_row(rid, f"{score:.2f}", name)
        stdout.print(table)
    if verdict.findings:
        table = Table("detector", "risk", "span", "evidence", title="findings", title_justify="left")
        for f in verdict.findings[:50]:
            span = f"{f.span[0]}-{f.span[1]}" if f.span else "-"
            table.add_row(f.detector, f.risk, span, escape(f.evidence[:60]))
        stdout.print(table)
        if len(verdict.findings) > 50:
            stdout.print(f"… and {len(verdict.findings) - 50} more findings (use --json for all)")
    if verdict.message:
        stdout.print(f"message: {escape(verdict.message)}")
    if verdict.rewritten is not None:
        stdout.print(f"rewritten: {escape(verdict.rewritten[:2000])}")
