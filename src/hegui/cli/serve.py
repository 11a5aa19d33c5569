"""``hegui serve``: run the HTTP app (gateway + console) with uvicorn."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        host: str | None = typer.Option(None, help="Interface to bind (default from settings: 127.0.0.1)."),
        port: int | None = typer.Option(None, help="Port (default from settings: 8000)."),
        lexicon: list[Path] = typer.Option([], "--lexicon", help="Extra keyword library; repeatable."),
        policy: Path | None = typer.Option(None, help="Policy file (TOML or YAML)."),
        json_out: bool = typer.Option(False, "--json", help="Log the start-up summary as JSON."),
    ) -> None:
        """Start the hegui server: /healthz, /v1/moderations, labeling endpoints."""
        import uvicorn

        from hegui.cli.output import print_json, stderr
        from hegui.core.settings import load_settings
        from hegui.server import create_app

        overrides: dict[str, object] = {}
        if host is not None:
            overrides["host"] = host
        if port is not None:
            overrides["port"] = port
        if policy is not None:
            overrides["policy_path"] = policy
        settings = load_settings(**overrides)
        if lexicon:
            settings = settings.model_copy(update={"lexicon_paths": [*settings.lexicon_paths, *lexicon]})
        application = create_app(settings)  # (its lifespan warms the models up in the background)
        summary = {"event": "serve", "host": settings.host, "port": settings.port}
        if json_out:
            print_json(summary)
        else:
            stderr.print(f"hegui serving on http://{settings.host}:{settings.port}  (GET /healthz)")
        uvicorn.run(application, host=settings.host, port=settings.port, log_level="info")
