"""``hegui model``: rebuild the shipped classifiers from a data folder (bit for bit for the same data,
corpus and seed) and show the model cards of the installed ones."""

from __future__ import annotations

from pathlib import Path

import typer

from hegui.core.errors import HeguiError

model_app = typer.Typer(name="model", no_args_is_help=True,
                        help="The shipped classifiers: train them again, show their model cards.")
DEFAULT_CORPUS = Path("training/corpus")


def register(app: typer.Typer) -> None:
    app.add_typer(model_app, name="model")


@model_app.command("train")
def train_cmd(
    data: Path = typer.Option(..., "--data", help="The data folder (../shared/data layout: cold/, jade/ …)."),
    out: Path = typer.Option(..., "--out", help="Directory for hegui-fast.npz / hegui-semantic.npz + cards."),
    corpus: Path = typer.Option(DEFAULT_CORPUS, "--corpus",
                                help="Our written examples: <label>--<topic>.txt."),
    seed: int = typer.Option(0, "--seed",
                             help="Split seed: the same data, corpus and seed give the same bytes."),
    only: str | None = typer.Option(None, "--only",
                                    help="Train just 'fast', 'semantic' or 'semantic-deep'."),
    holdout: list[str] = typer.Option([], "--holdout",
                                      help="Leave a training source out wholly (to measure transfer)."),
    json_out: bool = typer.Option(False, "--json", help="Print the written model cards as JSON."),
) -> None:
    """Train the fast classifier and the two semantic heads; write weights and model cards to OUT."""
    from hegui.cli.output import fail, print_json, stderr
    from hegui.moderation.classify.predict import (
        FAST_MODEL_FILE,
        SEMANTIC_DEEP_MODEL_FILE,
        SEMANTIC_MODEL_FILE,
    )

    if only not in (None, "fast", "semantic", "semantic-deep"):
        fail("--only must be 'fast', 'semantic' or 'semantic-deep'")
    if not (data / "cold" / "train.csv").is_file():
        fail(f"{data} is not a data folder (no cold/train.csv)")
    from hegui.moderation.classify.train.sources import SOURCES

    unknown = [h for h in holdout if h not in SOURCES]
    if unknown:
        fail(f"--holdout: unknown source {unknown[0]!r} (known: {', '.join(SOURCES)})")
    if not corpus.is_dir():
        fail(f"corpus folder not found: {corpus}")
    try:
        from hegui.moderation.classify.train.build import train_fast, train_semantic

        cards = {}
        progress = (lambda m: None) if json_out else (lambda m: stderr.print(m))
        if only in (None, "fast"):
            cards["fast"] = train_fast(data, corpus, out / FAST_MODEL_FILE, seed=seed,
                                       holdout=tuple(holdout), progress=progress)
        if only in (None, "semantic"):
            cards["semantic"] = train_semantic(data, corpus, out / SEMANTIC_MODEL_FILE, seed=seed,
                                               holdout=tuple(holdout), progress=progress)
        if only in (None, "semantic-deep"):
            from hegui.moderation.classify.semantic import DEEP_DEPTH

            cards["semantic-deep"] = train_semantic(data, corpus, out / SEMANTIC_DEEP_MODEL_FILE, seed=seed,
                                                    holdout=tuple(holdout), depth=DEEP_DEPTH,
                                                    name="hegui-semantic-deep", progress=progress)
    except HeguiError as err:
        fail(err.message, err.exit_code)
    except OSError as err:
        fail(f"cannot write the model: {err}")
    if json_out:
        print_json(cards)
    else:
        for kind, card in cards.items():
            typer.echo(f"{kind}: {card['version']}  sha256 {card['sha256']}")


@model_app.command("info")
def info_cmd(
    model: list[Path] = typer.Argument(None, help="Model files (.npz); default: the installed ones."),
    json_out: bool = typer.Option(False, "--json", help="Print the model cards as JSON."),
) -> None:
    """Check the models against their cards and show version, data and metrics."""
    from hegui.cli.output import fail, print_json
    from hegui.moderation.classify.labels import LABEL_NAMES
    from hegui.moderation.classify.model import load_model
    from hegui.moderation.classify.predict import (
        FAST_MODEL_FILE,
        SEMANTIC_DEEP_MODEL_FILE,
        SEMANTIC_MODEL_FILE,
        shipped_model_path,
    )

    paths = model or [shipped_model_path(f) for f in (FAST_MODEL_FILE, SEMANTIC_MODEL_FILE,
                                                       SEMANTIC_DEEP_MODEL_FILE)]
    cards = []
    for path in paths:
        try:
            cards.append(load_model(path, expect_labels=LABEL_NAMES).card | {"path": str(path)})
        except HeguiError as err:
            fail(err.message, err.exit_code)
    if json_out:
        print_json(cards)
        return
    for card in cards:
        typer.echo(f"{card['version']}  ({card['kind']}, features {card['features']})  {card['path']}")
        for src in card.get("training_sources", []):
            typer.echo(f"  trained on {src['name']:<10} {src['examples']:>6} examples  {src['licence']}")
        typer.echo(f"  never trained on: {', '.join(card.get('never_trained_on', []))}")
