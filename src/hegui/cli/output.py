"""Printing helpers shared by all commands: results on stdout, progress and messages on stderr."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

stderr = Console(stderr=True, highlight=False)
stdout = Console(highlight=False)


def print_json(obj: Any) -> None:
    """One compact JSON document per line on stdout (UTF-8, CJK unescaped)."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")


def fail(message: str, code: int = 2) -> None:
    """Print one clear message and exit non-zero (raises typer.Exit)."""
    import typer
    from rich.markup import escape

    # escape: messages quote user input and config paths like "[templates.refuse]", not markup
    stderr.print(f"[bold red]error:[/] {escape(message)}", markup=True, soft_wrap=True)
    raise typer.Exit(code)
