"""``skyline concert ...``: the Concert Data Platform's operator commands, one per step."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from concert.settings import ConcertSettings
from foundation.adapters import Adapters
from foundation.errors import AppError
from foundation.settings import load_settings

app = typer.Typer(help="Concert Data Platform: generate, ingest, build, check quality, summarise.")
console = Console()

StepProgress = Callable[[str, int, int | None], None]


def _adapters() -> tuple[Adapters, ConcertSettings]:
    try:
        return Adapters(load_settings()), ConcertSettings()
    except AppError as exc:
        console.print(f"[red]error:[/red] {exc.detail}")
        raise typer.Exit(code=2) from exc


@contextmanager
def _progress(title: str) -> Iterator[StepProgress]:
    """A progress bar fed by the ``(step, done, total)`` callbacks every step accepts."""
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(title, total=None)

        def update(step: str, done: int, total: int | None) -> None:
            bar.update(task, description=f"{title}: {step}", completed=done, total=total)

        yield update


def _fail_cleanly(exc: AppError) -> typer.Exit:
    console.print(f"[red]error:[/red] {exc.detail}")
    return typer.Exit(code=1)


@app.command()
def generate(
    preset: Annotated[str, typer.Option(help="tiny | demo | small | large | 10m")] = "demo",
    seed: Annotated[int, typer.Option(help="same seed, same data")] = 7,
    files: Annotated[
        Path | None, typer.Option(help="also write upload-ready CSV/JSON/XML files here")
    ] = None,
) -> None:
    """Generate a seeded synthetic data set and land it in the raw zone."""
    from concert.ingest.generator import GeneratorConfig  # noqa: PLC0415
    from concert.ingest.generator import generate as make_data  # noqa: PLC0415
    from concert.ingest.generator.landing import land_generated  # noqa: PLC0415
    from concert.ingest.generator.sample_files import write_sample_files  # noqa: PLC0415

    adapters, concert = _adapters()
    try:
        with _progress("generating") as progress:
            data = make_data(GeneratorConfig.preset(preset, seed=seed), progress=progress)
        with _progress("landing in the raw zone") as progress:
            landed = land_generated(
                data, adapters.object_store(concert.raw_bucket), progress=progress
            )
    except AppError as exc:
        raise _fail_cleanly(exc) from exc
    table = Table("entity", "rows", "partitions")
    for entity in sorted({batch.entity for batch in landed}):
        batches = [b for b in landed if b.entity == entity]
        table.add_row(entity, f"{sum(b.rows for b in batches):,}", str(len(batches)))
    console.print(table)
    if files is not None:
        files.mkdir(parents=True, exist_ok=True)
        for entity in data.tables():
            write_sample_files(data, entity, files, rows=None)
        console.print(f"upload-ready files written to {files}")


@app.command()
def ingest(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV, JSON or XML")],
    entity: Annotated[str, typer.Option(help="artists | venues | concerts | ticket_sales | ...")],
    batch_id: Annotated[str | None, typer.Option(help="defaults to a new time-sorted id")] = None,
) -> None:
    """Ingest one file: raw copy, validation, processed Parquet, quarantine, manifests."""
    from concert.ingest.files import ingest_file  # noqa: PLC0415

    adapters, concert = _adapters()
    try:
        with _progress(f"ingesting {path.name}") as progress:
            report = ingest_file(
                path,
                entity=entity,
                raw_store=adapters.object_store(concert.raw_bucket),
                processed_store=adapters.object_store(concert.processed_bucket),
                batch_id=batch_id,
                progress=progress,
            )
    except AppError as exc:
        raise _fail_cleanly(exc) from exc
    console.print(
        f"batch {report.batch_id}: {report.rows_read:,} read, {report.rows_accepted:,} accepted, "
        f"{report.rows_rejected:,} rejected"
    )
    for rejection in report.rejections[:10]:
        console.print(f"  row {rejection.row}: {rejection.field}: {rejection.reason}")


@app.command("ingest-stream")
def ingest_stream() -> None:
    """Drain the events stream into the lake, checkpointing after each durable batch."""
    from concert.ingest.stream.consumer import consume_events  # noqa: PLC0415
    from foundation.stream import CheckpointStore  # noqa: PLC0415
    from foundation.table import TableSpec  # noqa: PLC0415

    adapters, concert = _adapters()
    stream = adapters.event_stream(concert.events_stream, shard_count=concert.events_stream_shards)
    checkpoints = CheckpointStore(adapters.table(TableSpec(name="concert-checkpoints")))
    try:
        with _progress("consuming events") as progress:
            report = consume_events(
                stream,
                checkpoints,
                raw_store=adapters.object_store(concert.raw_bucket),
                processed_store=adapters.object_store(concert.processed_bucket),
                progress=progress,
            )
    except AppError as exc:
        raise _fail_cleanly(exc) from exc
    console.print(f"{report.polls} polls: {report.stats}")


@app.command()
def build() -> None:
    """Load new processed batches into the warehouse, build every SQL model, run model tests."""
    from concert.warehouse.loader import load_processed  # noqa: PLC0415
    from concert.warehouse.runner import build_warehouse  # noqa: PLC0415

    adapters, concert = _adapters()
    warehouse = adapters.warehouse(concert.warehouse)
    try:
        with _progress("loading") as progress:
            loaded = load_processed(
                warehouse, adapters.object_store(concert.processed_bucket), progress=progress
            )
        with _progress("building models") as progress:
            report = build_warehouse(warehouse, progress=progress)
    except AppError as exc:
        raise _fail_cleanly(exc) from exc
    console.print(f"loaded {loaded.rows_loaded:,} rows; built {len(report.runs)} models")
    for failed in report.failed_tests:
        console.print(f"[yellow]test failed[/yellow] {failed.model}: {failed.test}")
    if report.failed_tests:
        raise typer.Exit(code=1)


@app.command()
def quality() -> None:
    """Run the data-quality rules and show the score of each table."""
    from concert.quality.engine import run_quality_checks  # noqa: PLC0415

    adapters, concert = _adapters()
    try:
        with _progress("checking quality") as progress:
            run = run_quality_checks(adapters.warehouse(concert.warehouse), progress=progress)
    except AppError as exc:
        raise _fail_cleanly(exc) from exc
    table = Table("table", "score", "rules checked", "rules failed")
    for score in run.table_scores:
        shown = "-" if score.score is None else f"{score.score:.1f}"
        table.add_row(score.entity, shown, str(score.rules_checked), str(score.rules_failed))
    console.print(table)
    console.print(f"{len(run.duplicates)} duplicate groups")


@app.command()
def summary() -> None:
    """Show what the warehouse holds: row counts, date range, top venues and artists."""
    from concert.warehouse.summary import warehouse_summary  # noqa: PLC0415

    adapters, concert = _adapters()
    console.print_json(
        json.dumps(warehouse_summary(adapters.warehouse(concert.warehouse)), default=str)
    )


@app.command()
def demo(
    preset: Annotated[str | None, typer.Option(help="generator preset")] = None,
) -> None:
    """The whole flow at demo size (what `skyline prepare` runs); idempotent."""
    from concert.pipeline import run_demo  # noqa: PLC0415

    adapters, concert = _adapters()
    with console.status("concert demo") as status:
        report = run_demo(adapters, concert, preset=preset, progress=status.update)
    console.print(report)


__all__ = ["app"]
