"""``skyline concert ...``: the Concert Data Platform's operator commands, one per step."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Protocol, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from concert.domain.models import MAX_CAPACITY, VenueType
from concert.settings import ConcertSettings
from foundation.adapters import Adapters
from foundation.errors import AppError, BadRequestError, ConfigurationError
from foundation.settings import load_settings

if TYPE_CHECKING:
    from concert.ingest.connectors import (
        ConnectorRun,
        FetchProgress,
        LandedBatch,
        ProgressCallback,
    )
    from concert.ingest.files import FileIngestReport
    from foundation.objectstore import ObjectStore
    from foundation.secrets import SecretStore

app = typer.Typer(help="Concert Data Platform: generate, ingest, build, check quality, summarise.")
console = Console()

StepProgress = Callable[[str, int, int | None], None]
_Fact = TypeVar("_Fact")


class Fetch(Protocol):
    """A connector's fetch function with the operator's options already bound."""

    def __call__(
        self,
        *,
        secrets: SecretStore,
        settings: ConcertSettings,
        raw_store: ObjectStore,
        progress: ProgressCallback,
    ) -> ConnectorRun: ...


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
        yield _step_reporter(bar, title)


def _step_reporter(bar: Progress, title: str) -> StepProgress:
    """A new task on ``bar`` that each ``(step, done, total)`` call updates; a step whose
    total is unknown (None) shows as an indeterminate bar with its count only."""
    task_id = bar.add_task(title, total=None)
    (task,) = (found for found in bar.tasks if found.id == task_id)

    def update(step: str, done: int, total: int | None) -> None:
        if total is None:
            # Progress.update reads total=None as "keep the last total", which would show
            # this step's count against the previous step's total (rows over bytes).
            task.total = None
            task.finished_time = None  # set when the previous step reached its total
        bar.update(task_id, description=f"{title}: {step}", completed=done, total=total)

    return update


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


# -- API connectors --------------------------------------------------------------------------

_SHOWN_REJECTIONS = 3


def _page_progress(update: StepProgress) -> ProgressCallback:
    """Feeds a connector's per-page reports to the bar: pages fetched, total unknown."""

    def report(fetched: FetchProgress) -> None:
        update(f"{fetched.endpoint}, {fetched.items:,} items", fetched.pages, None)

    return report


def _connector_failure(exc: AppError, adapters: Adapters) -> typer.Exit:
    """One line saying what failed: exit 2 for configuration, 1 for the API or the lake."""
    from concert.ingest.connectors import MissingCredentialsError  # noqa: PLC0415

    detail = exc.detail
    if isinstance(exc, MissingCredentialsError) and adapters.settings.secrets_backend == "local":
        secret_file = adapters.settings.local_path("secrets") / str(exc.extra["secret"])
        detail += f" (locally the file {secret_file} may hold it instead)"
    console.print(f"[red]error:[/red] {escape(detail)}", soft_wrap=True)
    return typer.Exit(code=2 if isinstance(exc, ConfigurationError) else 1)


def _option_error(exc: BadRequestError) -> typer.BadParameter:
    """A connector's refusal of a value the operator gave, as a usage error naming the option."""
    field = str(exc.extra.get("field", ""))
    return typer.BadParameter(exc.detail, param_hint=f"'--{field.replace('_', '-')}'")


def _ingest_landed(
    batch: LandedBatch, raw: ObjectStore, processed: ObjectStore
) -> FileIngestReport | str:
    """The landed valid records through the file ingestion, as ``ingest`` runs a file;
    a string says why nothing was ingested."""
    from concert.ingest.files import DuplicateFileError, ingest_file  # noqa: PLC0415

    if batch.accepted == 0:
        return "no valid records to ingest"
    try:
        with (
            _progress(f"ingesting {batch.entity}") as progress,
            raw.open(batch.records_key) as records,
        ):
            return ingest_file(
                records,
                entity=batch.entity,
                raw_store=raw,
                processed_store=processed,
                file_format="json",
                filename="records.ndjson",
                source=batch.source,
                # The connector's batch holds the raw pages; the ingestion's raw copy and
                # manifest need a batch of their own, named after it.
                batch_id=f"{batch.batch_id}-ingest",
                progress=progress,
            )
    except DuplicateFileError as exc:
        return f"these records were already ingested as batch {exc.extra['batch_id']}"


def _cell(value: int | str) -> str:
    return f"{value:,}" if isinstance(value, int) else value


def _show_landed(batch: LandedBatch, ingested: FileIngestReport | str, raw: ObjectStore) -> None:
    """One entity: counts and batch id of both steps, then where the rejections went."""
    report = None if isinstance(ingested, str) else ingested
    landed: tuple[int | str, ...] = (batch.read, batch.accepted, batch.rejected, batch.batch_id)
    processed: tuple[int | str, ...] = ("-",) * len(landed)
    if report is not None:
        processed = (report.rows_read, report.rows_accepted, report.rows_rejected, report.batch_id)
    table = Table("", "API -> raw", "raw -> processed", title=f"{batch.source} {batch.entity}")
    labels = ("rows read", "accepted", "rejected", "batch id")
    for label, api, lake in zip(labels, landed, processed, strict=True):
        table.add_row(label, _cell(api), _cell(lake))
    console.print(table)
    if report is None:
        console.print(f"  not ingested: {ingested}", soft_wrap=True)
    if batch.quarantine_key is not None:
        console.print(f"  API rejections: {raw.uri(batch.quarantine_key)}", soft_wrap=True)
        for item in batch.rejections[:_SHOWN_REJECTIONS]:
            console.print(f"    item {item.index}: {item.field}: {escape(item.reason)}")
    if report is not None and report.quarantine_key is not None:
        console.print(f"  ingestion rejections: {raw.uri(report.quarantine_key)}", soft_wrap=True)
        for rejection in report.rejections[:_SHOWN_REJECTIONS]:
            console.print(f"    row {rejection.row}: {rejection.field}: {escape(rejection.reason)}")


def _run_connector(source: str, fetch: Fetch, *, option_fields: tuple[str, ...]) -> None:
    """Fetch and land raw with a progress bar, ingest what landed, show each entity."""
    adapters, concert = _adapters()
    raw = adapters.object_store(concert.raw_bucket)
    processed = adapters.object_store(concert.processed_bucket)
    try:
        with _progress(f"fetching from {source}") as update:
            run = fetch(
                secrets=adapters.secrets(),
                settings=concert,
                raw_store=raw,
                progress=_page_progress(update),
            )
    except AppError as exc:
        if isinstance(exc, BadRequestError) and exc.extra.get("field") in option_fields:
            raise _option_error(exc) from exc
        raise _connector_failure(exc, adapters) from exc
    console.print(
        f"{source} batch {run.batch_id}: {run.pages} page(s) from {run.requests} request(s)"
    )
    for warning in run.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}", soft_wrap=True)
    for batch in run.batches:
        try:
            ingested = _ingest_landed(batch, raw, processed)
        except AppError as exc:
            raise _connector_failure(exc, adapters) from exc
        _show_landed(batch, ingested, raw)


def _read_csv_option(
    read: Callable[[Path], dict[str, _Fact]], path: Path | None, option: str
) -> dict[str, _Fact]:
    """An enrichment file read whole before any request; a bad one exits 2 on one line."""
    from concert.ingest.connectors import EnrichmentFileError  # noqa: PLC0415

    if path is None:
        return {}
    try:
        return read(path)
    except EnrichmentFileError as exc:
        console.print(f"[red]error:[/red] {option}: {escape(exc.detail)}", soft_wrap=True)
        raise typer.Exit(code=2) from exc


def _moment(value: str) -> datetime:
    """An ISO 8601 date or date-time; UTC unless it carries an offset."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not an ISO 8601 date or date-time (2025-07-01 or 2025-07-01T19:30Z)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _moment_option(help_text: str, default: str) -> Any:  # typer.Option is typed Any
    return typer.Option(
        parser=_moment, metavar="DATE", show_default=default, help=f"{help_text}, ISO 8601"
    )


@app.command("fetch-spotify")
def fetch_spotify(
    query: Annotated[
        list[str] | None,
        typer.Option("--query", "-q", help="artist search term; repeat for more"),
    ] = None,
    artist_id: Annotated[
        list[str] | None,
        typer.Option(help="Spotify artist id (22 letters or digits); repeat for more"),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            min=1,
            show_default="10, the most a Development Mode app may ask",
            help="artists per search page, at most 50",
        ),
    ] = None,
    max_results: Annotated[
        int | None,
        typer.Option(min=1, show_default="50", help="artists per search term, at most 1000"),
    ] = None,
) -> None:
    """Fetch artists from the Spotify Web API, land them raw, ingest the valid ones."""
    from concert.domain.models import SPOTIFY_ID_PATTERN  # noqa: PLC0415
    from concert.ingest.connectors import fetch_spotify_artists  # noqa: PLC0415
    from concert.ingest.connectors.spotify import (  # noqa: PLC0415
        DEFAULT_MAX_RESULTS,
        DEFAULT_SEARCH_LIMIT,
    )

    queries, ids = [term.strip() for term in query or []], artist_id or []
    if not queries and not ids:
        raise typer.BadParameter(
            "give at least one search term or artist id", param_hint="'--query' / '--artist-id'"
        )
    if "" in queries:
        raise typer.BadParameter("a search term must not be blank", param_hint="'--query'")
    for candidate in ids:
        if not re.match(SPOTIFY_ID_PATTERN, candidate):
            raise typer.BadParameter(
                f"{candidate!r} is not a Spotify artist id (22 letters or digits)",
                param_hint="'--artist-id'",
            )

    fetch = partial(
        fetch_spotify_artists,
        queries,
        artist_ids=ids,
        limit=DEFAULT_SEARCH_LIMIT if limit is None else limit,
        max_results=DEFAULT_MAX_RESULTS if max_results is None else max_results,
    )
    _run_connector("spotify", fetch, option_fields=("limit", "max_results"))


@app.command("fetch-ticketmaster")
def fetch_ticketmaster(
    *,
    keyword: Annotated[str | None, typer.Option(help="words the events must match")] = None,
    country_code: Annotated[
        str | None, typer.Option(help="ISO 3166 two-letter country code, e.g. US")
    ] = None,
    classification: Annotated[
        str | None,
        typer.Option(show_default="music", help="segment, genre or type name; '' for every kind"),
    ] = None,
    city: Annotated[str | None, typer.Option(help="city name")] = None,
    start: Annotated[
        datetime | None, _moment_option("window start, UTC unless an offset is given", "now")
    ] = None,
    end: Annotated[datetime | None, _moment_option("window end", "a year after the start")] = None,
    size: Annotated[
        int | None, typer.Option(min=1, show_default="200", help="events per page, at most 200")
    ] = None,
    max_pages: Annotated[
        int | None, typer.Option(min=1, show_default="all", help="stop after this many pages")
    ] = None,
    default_popularity: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=100,
            help="popularity given to performers not in --artist-popularity (Ticketmaster "
            "publishes none; without either they are rejected)",
        ),
    ] = None,
    venue_facts: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            metavar="CSV",
            help="capacity and type of venues (Ticketmaster publishes neither; venues not in "
            "it are rejected): a CSV with the header ticketmaster_venue_id,capacity,venue_type, "
            f"capacity a whole number from 1 to {MAX_CAPACITY:,}, venue_type one of "
            f"{', '.join(VenueType)}",
        ),
    ] = None,
    artist_popularity: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            metavar="CSV",
            help="popularity of performers (Ticketmaster publishes none; see "
            "--default-popularity): a CSV with the header ticketmaster_attraction_id,popularity, "
            "popularity a whole number from 0 to 100",
        ),
    ] = None,
) -> None:
    """Fetch music events from the Ticketmaster Discovery API, land them raw (with their
    venues and performers), ingest the valid ones."""
    from concert.ingest.connectors import (  # noqa: PLC0415
        Enrichment,
        EventQuery,
        fetch_ticketmaster_events,
        read_artist_popularity,
        read_venue_facts,
    )
    from concert.ingest.connectors.ticketmaster import MAX_PAGE_SIZE  # noqa: PLC0415

    if country_code is not None and not re.fullmatch(r"[A-Za-z]{2}", country_code):
        raise typer.BadParameter(
            f"{country_code!r} is not a two-letter country code", param_hint="'--country-code'"
        )
    enrichment = Enrichment(
        venues=_read_csv_option(read_venue_facts, venue_facts, "--venue-facts"),
        artist_popularity=_read_csv_option(
            read_artist_popularity, artist_popularity, "--artist-popularity"
        ),
        default_popularity=default_popularity,
    )
    query = EventQuery(
        keyword=keyword,
        country_code=country_code and country_code.upper(),
        city=city,
        start=start,
        end=end,
    )
    if classification is not None:
        query = dataclasses.replace(query, classification_name=classification or None)
    now = datetime.now(UTC)
    try:
        query.window(now)  # the window is checked before any secret or request
    except BadRequestError as exc:
        raise _option_error(exc) from exc

    fetch = partial(
        fetch_ticketmaster_events,
        query,
        enrichment=enrichment,
        size=MAX_PAGE_SIZE if size is None else size,
        max_pages=max_pages,
        now=now,
    )
    _run_connector("ticketmaster", fetch, option_fields=("size", "max_pages"))


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
