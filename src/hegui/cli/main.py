"""Entry point: ``hegui``. Sub-commands live in sibling modules; each registers itself here."""

from __future__ import annotations

import sys

import typer

from hegui import __version__
from hegui.cli import serve
from hegui.cli.output import stderr
from hegui.core.errors import HeguiError

app = typer.Typer(
    name="hegui",
    help="hegui (合规): moderation, labeling and assessment for generative-AI services under China's rules.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hegui {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """hegui (合规)."""


serve.register(app)
# Commands owned by other modules register themselves; imported here so `hegui --help` lists them.
for _module in ("moderate", "lexicon", "label", "model"):
    try:
        _mod = __import__(f"hegui.cli.{_module}", fromlist=["register"])
    except ModuleNotFoundError as _err:  # pragma: no cover - only while a command is being built
        if _err.name != f"hegui.cli.{_module}":
            raise
        continue
    _mod.register(app)


def run() -> None:
    """Console-script entry: user errors become one message and a non-zero exit, never a traceback."""
    try:
        app()
    except HeguiError as err:
        from rich.markup import escape

        stderr.print(f"[bold red]error:[/] {escape(err.message)}", markup=True, soft_wrap=True)
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        stderr.print("interrupted")
        sys.exit(130)
    except BrokenPipeError:  # e.g. `hegui moderate ... | head`
        sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    run()
