"""Operator command line: ``skyline --help``."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from foundation.errors import AppError
from foundation.settings import Settings, load_settings

app = typer.Typer(
    help="Operate Skyline: serve the systems locally, check adapters, prepare demo data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)


def _settings() -> Settings:
    try:
        return load_settings()
    except AppError as exc:
        errors.print(f"[red]error:[/red] {exc.detail}")
        raise typer.Exit(code=2) from exc


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    )


@app.command()
def prepare() -> None:
    """Prepare the local data every system needs for a demo (idempotent)."""
    from skyline.demo import demo_steps  # noqa: PLC0415 - keep --help fast

    settings = _settings()
    steps = demo_steps(settings)
    with _progress() as progress:
        task = progress.add_task("preparing demo data", total=len(steps))
        for step in steps:
            progress.update(task, description=step.description)
            step.run()
            progress.advance(task)
    console.print(f"[green]demo data ready[/green] under {settings.data_dir.resolve()}")


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to bind (default from settings)")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind (default from settings)")] = None,
    prepare_data: Annotated[
        bool, typer.Option("--prepare/--no-prepare", help="Prepare demo data before serving")
    ] = True,
) -> None:
    """Serve the landing page and every built system on one local server."""
    import uvicorn  # noqa: PLC0415

    from skyline.portal import create_portal  # noqa: PLC0415

    settings = _settings()
    # A local server has no CloudWatch to read Embedded Metric Format lines: one per request
    # would bury the log. POWERTOOLS_METRICS_DISABLED=false in the environment keeps them.
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    if prepare_data:
        prepare()
    bind_host = host or settings.host
    bind_port = port or settings.port
    console.print(f"serving on [bold]http://{bind_host}:{bind_port}/[/bold] (Ctrl+C to stop)")
    uvicorn.run(create_portal(settings), host=bind_host, port=bind_port, log_level="warning")


@app.command()
def doctor() -> None:
    """Report which adapter serves each port and whether it is reachable."""
    from foundation.adapters import Adapters  # noqa: PLC0415

    settings = _settings()
    adapters = Adapters(settings)
    table = Table(title=f"Skyline adapters ({settings.environment.value})")
    for column in ("port", "backend", "reachable", "latency", "detail"):
        table.add_column(column)
    all_ok = True
    with console.status("checking adapters"):
        results = adapters.check_all()
    for result in results:
        all_ok &= result.ok
        table.add_row(
            result.name,
            result.backend,
            "[green]yes[/green]" if result.ok else "[red]no[/red]",
            f"{result.latency_ms:.1f} ms",
            result.detail,
        )
    console.print(table)
    if not all_ok:
        raise typer.Exit(code=1)


@app.command()
def token(
    user: Annotated[str, typer.Argument(help="Subject (user name) of the token")],
    email: Annotated[str | None, typer.Option(help="Email claim")] = None,
    group: Annotated[list[str] | None, typer.Option(help="Group claim (repeatable)")] = None,
    organization: Annotated[str | None, typer.Option(help="custom:organization_id claim")] = None,
) -> None:
    """Mint a development ID token from the local issuer (same claims as Cognito)."""
    from foundation.adapters import Adapters  # noqa: PLC0415

    settings = _settings()
    issuer = Adapters(settings).token_issuer()
    attributes = {"custom:organization_id": organization} if organization else {}
    typer.echo(issuer.issue(user, email=email, groups=tuple(group or ()), attributes=attributes))


def _register_systems() -> None:
    from skyline.concert_cli import app as concert_app  # noqa: PLC0415

    app.add_typer(concert_app, name="concert")


_register_systems()


def main() -> None:
    app()


__all__ = ["app", "main"]
