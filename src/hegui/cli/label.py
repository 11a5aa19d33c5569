"""``hegui label``: add, inspect and propagate AIGC labels (GB 45438), make a signing key pair.

There is deliberately no command to remove a label: the rules forbid tools that remove or forge them.
Batches show a progress bar on stderr; a bad file gets one message and the others continue; the exit
code is non-zero if any file failed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from hegui.core.errors import HeguiError, InputError

label_app = typer.Typer(name="label", no_args_is_help=True, add_completion=False,
                        help="AIGC labels (GB 45438): add, inspect, propagate; signing keys. "
                             "hegui never removes labels.")

# Exit code when some files of a batch failed (each failure was reported on its own line).
BATCH_FAILED = 1


def register(app: typer.Typer) -> None:
    app.add_typer(label_app, name="label")


def _run_batch(files: list[Path], work: Callable[[Path], Any], show: Callable[[Any], None],
               json_out: bool, verb: str) -> None:
    """Run ``work`` on each file; report results or one error per file; exit non-zero on any failure."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from hegui.cli.output import print_json, stderr

    failed = 0
    with Progress(TextColumn(f"{verb} [progress.description]{{task.description}}"), BarColumn(),
                  MofNCompleteColumn(), console=stderr, transient=True,
                  disable=len(files) < 2 or not stderr.is_terminal) as progress:
        task = progress.add_task("", total=len(files))
        for path in files:
            progress.update(task, description=path.name)
            try:
                result = work(path)
            except HeguiError as err:
                failed += 1
                if json_out:
                    print_json({"file": str(path), "error": {"code": err.code, "message": err.message}})
                progress.console.print(f"[bold red]error:[/] {escape(err.message)}", markup=True,
                                       soft_wrap=True)
            else:
                if json_out:
                    print_json(result.as_dict())
                else:
                    show(result)
                for warning in getattr(result, "warnings", []):
                    progress.console.print(f"[yellow]warning:[/] {escape(warning)}", markup=True,
                                           soft_wrap=True)
            progress.advance(task)
    if failed:
        if len(files) > 1:
            stderr.print(f"{failed} of {len(files)} file(s) failed")
        raise typer.Exit(BATCH_FAILED)


def _explicit_options(wording: str | None, language: str, position: str, placement: str) -> Any:
    from hegui.labeling.explicit import ExplicitOptions, Position

    try:
        return ExplicitOptions(wording=wording, language=language, text_position=Position(position),
                               placement=placement)
    except ValueError as err:
        raise typer.BadParameter(str(err)) from None


def _guard(call: Callable[[], Any]) -> Any:
    """Errors that concern the whole command (bad key file, bad options) → one message, exit 2."""
    from hegui.cli.output import fail

    try:
        return call()
    except HeguiError as err:
        fail(err.message, err.exit_code)


def _label_line(label: Any) -> str:
    if label is None:
        return "no label"
    return " ".join(f"{k}={v}" for k, v in label.inner().items() if v)


@label_app.command("add")
def add(
    files: list[Path] = typer.Argument(..., help="Files to label (format found by content)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write labeled copies into this directory."),
    in_place: bool = typer.Option(False, "--in-place", help="Replace the files (atomically)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="With --out: replace existing outputs."),
    producer: str = typer.Option(..., "--producer", help="Your provider code (27 chars) or name."),
    produce_id: str | None = typer.Option(None, "--produce-id",
                                          help="ProduceID (one file only; default: a fresh random id)."),
    explicit: bool = typer.Option(True, "--explicit/--no-explicit",
                                  help="Also add the visible label (text, picture, tones, video overlay)."),
    sign: Path | None = typer.Option(None, "--sign", help="Ed25519 private key: sign into ReservedCode1."),
    watermark: bool = typer.Option(False, "--watermark",
                                   help="Also embed the invisible watermark (PNG/JPEG/WebP/TIFF)."),
    strict_code: bool = typer.Option(False, "--strict-code",
                                     help="Require a valid 27-character provider code, not a name."),
    wording: str | None = typer.Option(None, "--wording", help="Visible label text (validated)."),
    language: str = typer.Option("zh", "--language", help="Template language for text labels: zh or en."),
    position: str = typer.Option("prefix", "--position", help="Text label: prefix, suffix or both."),
    placement: str = typer.Option("bottom-right", "--placement",
                                  help="Image/video label: top-left, top-right, bottom-left, "
                                       "bottom-right, top, bottom."),
    json_out: bool = typer.Option(False, "--json", help="One JSON object per file on stdout."),
) -> None:
    """Add the implicit (metadata) label, and by default the explicit one, to each FILE."""
    from hegui.cli.output import fail, stdout
    from hegui.labeling.api import add_label, as_private_key

    if (out is None) == (not in_place):
        fail("give exactly one of --out DIR or --in-place")
    if produce_id is not None and len(files) > 1:
        fail("--produce-id is one content's id; omit it when labeling several files")
    options = _explicit_options(wording, language, position, placement)
    key = _guard(lambda: as_private_key(sign)) if sign else None
    code_mode = "strict" if strict_code else "allow-name"

    seen: set[str] = set()

    def work(path: Path) -> Any:
        if out is not None:  # two inputs with one name would overwrite each other's output
            if path.name in seen:
                raise InputError(f"{path}: another input named {path.name} already went to {out}")
            seen.add(path.name)
        return add_label(path, out_dir=out, in_place=in_place, producer=producer, produce_id=produce_id,
                         explicit=explicit, explicit_options=options, signing_key=key, watermark=watermark,
                         overwrite=overwrite, code_mode=code_mode)

    def show(result: Any) -> None:
        extra = f", explicit {result.explicit.kind}" if result.explicit and result.explicit.applied else ""
        signed = f", signed by {result.key_id}" if result.key_id else ""
        signed += f", watermark {result.watermark_id}" if result.watermark_id else ""
        what = f"{result.src} → {result.dst} ({result.format}{extra}{signed})"
        stdout.print(f"[green]labeled[/] {escape(what)}",
                     markup=True, soft_wrap=True)

    _run_batch(files, work, show, json_out, "labeling")


@label_app.command("inspect")
def inspect_cmd(
    files: list[Path] = typer.Argument(..., help="Files to read."),
    key: Path | None = typer.Option(None, "--key", help="Producer's public key: verify ReservedCode1."),
    platform_key: Path | None = typer.Option(None, "--platform-key",
                                             help="Platform's public key: verify ReservedCode2."),
    json_out: bool = typer.Option(False, "--json", help="One JSON object per file on stdout."),
) -> None:
    """Show each FILE's labels: carriers, conflicts, validity, signature, explicit label."""
    from hegui.cli.output import stdout
    from hegui.labeling.api import as_public_key, inspect

    producer_pub = _guard(lambda: as_public_key(key)) if key else None
    platform_pub = _guard(lambda: as_public_key(platform_key)) if platform_key else None

    def show(result: Any) -> None:
        stdout.print(f"[bold]{escape(str(result.path))}[/] ({result.format})", markup=True, soft_wrap=True)
        stdout.print(f"  label: {_label_line(result.label)}", markup=False, soft_wrap=True)
        stdout.print(f"  carriers: {', '.join(c['name'] for c in result.carriers) or 'none'}", markup=False)
        for problem in result.problems:
            stdout.print(f"  [yellow]problem:[/] {escape(problem)}", markup=True, soft_wrap=True)
        sig = result.signature
        stdout.print(f"  signature: {sig.status.value}{' — ' + sig.message if sig.message else ''}",
                     markup=False, soft_wrap=True)
        if result.platform_signature.status.value != "absent":
            stdout.print(f"  platform signature: {result.platform_signature.status.value}", markup=False)
        explicit = result.explicit_label if result.explicit_checked else "not checked for this format"
        stdout.print(f"  explicit label: {explicit or 'none found'}", markup=False, soft_wrap=True)
        if result.watermark:
            mark = result.watermark
            match = {True: ", matches the label", False: ", does NOT match the label"}.get(
                mark["matches_label"], "")
            stdout.print(f"  watermark: content id {mark['content_id']}{match}", markup=False)

    _run_batch(files, lambda p: inspect(p, public_key=producer_pub, platform_key=platform_pub), show,
               json_out, "inspecting")


@label_app.command("propagate")
def propagate_cmd(
    file: Path = typer.Argument(..., help="The uploaded file."),
    platform: str = typer.Option(..., "--platform", help="Your platform's provider code (or name)."),
    propagate_id: str = typer.Option(..., "--propagate-id", help="Your id for this content."),
    user_declared: bool = typer.Option(False, "--user-declared",
                                       help="The uploader declared the content AI-generated."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write the labeled copy into this directory."),
    in_place: bool = typer.Option(False, "--in-place", help="Replace the file (atomically)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="With --out: replace an existing output."),
    explicit: bool = typer.Option(True, "--explicit/--no-explicit",
                                  help="Also put the matching visible label into the file."),
    sign: Path | None = typer.Option(None, "--sign", help="Platform's private key: sign into ReservedCode2."),
    strict_code: bool = typer.Option(False, "--strict-code", help="Require a valid 27-character code."),
    json_out: bool = typer.Option(False, "--json", help="JSON report on stdout."),
) -> None:
    """Platform side: decide confirmed / possible / suspected, add propagator fields and the label."""
    from hegui.cli.output import fail, stdout
    from hegui.labeling.api import as_private_key, propagate

    if (out is None) == (not in_place):
        fail("give exactly one of --out DIR or --in-place")
    key = _guard(lambda: as_private_key(sign)) if sign else None

    def work(path: Path) -> Any:
        return propagate(path, platform=platform, propagate_id=propagate_id, user_declared=user_declared,
                         out_dir=out, in_place=in_place, explicit=explicit, signing_key=key,
                         overwrite=overwrite,
                         code_mode="strict" if strict_code else "allow-name")

    def show(result: Any) -> None:
        stdout.print(f"[bold]{escape(str(result.src))}[/]: {result.decision} — {escape(result.reason)}",
                     markup=True,
                     soft_wrap=True)
        if result.display_wording:
            stdout.print(f"  show around the content: {result.display_wording}", markup=False)
        for action in result.actions:
            stdout.print(f"  - {action}", markup=False, soft_wrap=True)
        if result.dst:
            stdout.print(f"  written: {result.dst}", markup=False, soft_wrap=True)

    _run_batch([file], work, show, json_out, "propagating")


@label_app.command("keygen")
def keygen_cmd(
    out: Path = typer.Option(..., "--out", "-o", help="Directory for hegui-signing.key / .pub."),
    json_out: bool = typer.Option(False, "--json", help="JSON on stdout."),
) -> None:
    """Make an Ed25519 signing key pair (private key mode 0600; it is never overwritten)."""
    from hegui.cli.output import print_json, stdout
    from hegui.labeling.signing import key_id, load_public_key, write_keypair

    key_path, pub_path = _guard(lambda: write_keypair(out))
    kid = key_id(load_public_key(pub_path))
    if json_out:
        print_json({"private_key": str(key_path), "public_key": str(pub_path), "key_id": kid})
    else:
        stdout.print(f"private key: {key_path} (keep it secret)\npublic key:  {pub_path}\nkey id:      {kid}",
                     markup=False)
