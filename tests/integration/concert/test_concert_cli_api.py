"""``skyline concert fetch-spotify`` and ``fetch-ticketmaster`` against the local fake APIs:
raw landing, ingestion into processed Parquet, the summary, and the failures an operator meets."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import Result
from rich.console import Console
from rich.progress import MofNCompleteColumn, Progress
from typer.testing import CliRunner

from concert.lake import BatchManifest, read_manifest
from concert.settings import ConcertSettings
from foundation.adapters import Adapters
from foundation.objectstore import ObjectStore
from foundation.secrets import secret_env_var
from foundation.settings import load_settings
from skyline.cli import app as cli
from skyline.concert_cli import _step_reporter
from tests.integration.concert.connectors import conftest as connector_fixtures
from tests.integration.concert.connectors.fake_apis import (
    SPOTIFY_CLIENT_ID,
    SPOTIFY_CLIENT_SECRET,
    TICKETMASTER_API_KEY,
    FakeApis,
    Fault,
    spotify_artist,
    spotify_id,
    tm_attraction,
    tm_event,
    tm_venue,
)

# The connector tests' fake API server and its per-test reset, shared rather than copied.
fake_server = connector_fixtures.fake_server
fake = connector_fixtures.fake

SEARCH = "/v1/search"
EVENTS = "/discovery/v2/events.json"
START = datetime(2030, 7, 1, tzinfo=UTC)
WINDOW = ["--start", "2030-07-01", "--end", "2030-08-01"]
RATE_LIMITED = {"error": {"status": 429, "message": "API rate limit exceeded"}}
SPOTIFY_SECRET = secret_env_var(ConcertSettings().spotify_secret)
TICKETMASTER_SECRET = secret_env_var(ConcertSettings().ticketmaster_secret)


@pytest.fixture
def operator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeApis) -> Adapters:
    """The environment an operator sets: a data directory, the API URLs and both secrets."""
    monkeypatch.setenv("SKYLINE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SKYLINE_CONCERT_SPOTIFY_API_URL", fake.spotify_api_url)
    monkeypatch.setenv("SKYLINE_CONCERT_SPOTIFY_TOKEN_URL", fake.spotify_token_url)
    monkeypatch.setenv("SKYLINE_CONCERT_TICKETMASTER_API_URL", fake.ticketmaster_api_url)
    spotify = {"client_id": SPOTIFY_CLIENT_ID, "client_secret": SPOTIFY_CLIENT_SECRET}
    monkeypatch.setenv(SPOTIFY_SECRET, json.dumps(spotify))
    monkeypatch.setenv(TICKETMASTER_SECRET, json.dumps({"api_key": TICKETMASTER_API_KEY}))
    return Adapters(load_settings())


def raw_store(adapters: Adapters) -> ObjectStore:
    return adapters.object_store(ConcertSettings().raw_bucket)


def processed_store(adapters: Adapters) -> ObjectStore:
    return adapters.object_store(ConcertSettings().processed_bucket)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, ["concert", *args])


def manifests(store: ObjectStore, prefix: str) -> dict[str, BatchManifest]:
    """The manifests under ``prefix`` by batch id."""
    keys = [obj.key for obj in store.list(prefix) if obj.key.endswith("/_manifest.json")]
    return {manifest.batch_id: manifest for manifest in (read_manifest(store, k) for k in keys)}


def api_batches(store: ObjectStore, prefix: str) -> list[BatchManifest]:
    """The batches a connector landed (the ingestion's raw copies end in ``-ingest``)."""
    found = manifests(store, prefix)
    return [manifest for batch, manifest in found.items() if not batch.endswith("-ingest")]


def processed_records(adapters: Adapters, entity: str) -> list[dict[str, object]]:
    """Every row of the processed Parquet of ``entity``."""
    store = processed_store(adapters)
    keys = [obj.key for obj in store.list(f"processed/{entity}/") if obj.key.endswith(".parquet")]
    return [row for key in keys for row in pq.read_table(store.uri(key)).to_pylist()]


def processed_rows(adapters: Adapters, entity: str) -> dict[str, int]:
    """Rows in the processed Parquet of ``entity`` by batch id."""
    store = processed_store(adapters)
    rows: dict[str, int] = {}
    for obj in store.list(f"processed/{entity}/"):
        if obj.key.endswith(".parquet"):
            batch = obj.key.split("/batch=")[1].split("/")[0]
            rows[batch] = rows.get(batch, 0) + pq.read_table(store.uri(obj.key)).num_rows
    return rows


def echoes() -> list[dict[str, object]]:
    return [
        spotify_artist(1, "Echo One"),
        spotify_artist(2, "Echo Two"),
        spotify_artist(3, "Echo Three", popularity=None),  # Development Mode: rejected
        spotify_artist(4, "Other Four"),
    ]


def test_fetch_spotify_lands_the_pages_ingests_the_valid_artists_and_shows_the_counts(
    fake: FakeApis,
    operator: Adapters,
) -> None:
    fake.artists = echoes()
    result = invoke(
        "fetch-spotify", "-q", "echo", "--artist-id", spotify_id(4), "--artist-id", spotify_id(1)
    )
    assert result.exit_code == 0, result.output

    raw = raw_store(operator)
    (landed,) = api_batches(raw, "raw/spotify/artists/")
    ingested = manifests(raw, "raw/spotify/artists/")[f"{landed.batch_id}-ingest"]
    # 3 found by the search, 2 by id; the second sighting of artist 1 is a duplicate.
    assert (landed.rows_read, landed.rows_accepted, landed.rows_rejected) == (5, 3, 2)
    assert any(f.key.endswith("/page-00000.json") for f in landed.files)
    (quarantine,) = [f for f in landed.files if f.key.startswith("quarantine/")]
    assert len(raw.get(quarantine.key).body.splitlines()) == 2
    assert (ingested.rows_read, ingested.rows_accepted, ingested.rows_rejected) == (3, 3, 0)
    assert processed_rows(operator, "artists") == {ingested.batch_id: 3}

    assert "spotify artists" in result.output
    assert landed.batch_id in result.output
    assert "item 2: popularity" in result.output
    assert "API rejections:" in result.output
    assert str(Path(raw.uri(quarantine.key))) in result.output


def test_fetching_the_same_artists_again_lands_them_but_does_not_ingest_them_twice(
    fake: FakeApis,
    operator: Adapters,
) -> None:
    fake.artists = echoes()
    assert invoke("fetch-spotify", "-q", "echo").exit_code == 0
    again = invoke("fetch-spotify", "-q", "echo")
    assert again.exit_code == 0, again.output
    assert "already ingested as batch" in again.output
    assert len(processed_rows(operator, "artists")) == 1
    assert len(api_batches(raw_store(operator), "raw/spotify/")) == 2


def test_fetch_ticketmaster_lands_and_ingests_concerts_venues_and_artists(
    fake: FakeApis,
    operator: Adapters,
) -> None:
    fake.events = [tm_event(n, START + timedelta(days=n)) for n in range(3)]
    fake.events.append(tm_event(3, START + timedelta(days=3), prices=None))
    result = invoke(
        "fetch-ticketmaster",
        *WINDOW,
        "--keyword",
        "rock",
        "--country-code",
        "us",
        "--size",
        "2",
        "--default-popularity",
        "40",
    )
    assert result.exit_code == 0, result.output

    first = fake.seen(EVENTS)[0].query
    assert (first["keyword"], first["countryCode"], first["classificationName"]) == (
        "rock",
        "US",
        "music",
    )
    assert first["startDateTime"] == "2030-07-01T00:00:00Z"
    assert first["endDateTime"] == "2030-08-01T00:00:00Z"
    assert first["size"] == "2"

    raw = raw_store(operator)
    expected = {"concerts": (4, 3, 1), "artists": (4, 4, 0), "venues": (4, 0, 4)}
    for entity, counts in expected.items():
        (landed,) = api_batches(raw, f"raw/ticketmaster/{entity}/")
        assert (landed.rows_read, landed.rows_accepted, landed.rows_rejected) == counts
        assert f"ticketmaster {entity}" in result.output
    (concerts,) = api_batches(raw, "raw/ticketmaster/concerts/")
    assert sum("/page-" in f.key for f in concerts.files) == 2
    batch = concerts.batch_id
    assert processed_rows(operator, "concerts") == {f"{batch}-ingest": 3}
    assert processed_rows(operator, "artists") == {f"{batch}-ingest": 4}
    assert processed_rows(operator, "venues") == {}  # capacity unknown: all quarantined
    assert "not ingested: no valid records" in result.output
    assert "ticket_prices" in result.output


def test_venue_facts_and_artist_popularity_files_let_venues_and_performers_land(
    fake: FakeApis,
    operator: Adapters,
    tmp_path: Path,
) -> None:
    fake.events = [tm_event(n, START + timedelta(days=n)) for n in range(3)]
    venue_facts = tmp_path / "venues.csv"
    venue_facts.write_text(
        "ticketmaster_venue_id,capacity,venue_type\n"
        f"{tm_venue(0)['id']},19500,arena\n"
        f"{tm_venue(1)['id']},850,club\n"  # venue 2 is not in the file: rejected
    )
    popularity = tmp_path / "popularity.csv"
    popularity.write_text(
        "ticketmaster_attraction_id,popularity\n"
        + "".join(f"{tm_attraction(n)['id']},{60 + n}\n" for n in range(3))
    )
    result = invoke(
        "fetch-ticketmaster",
        *WINDOW,
        "--venue-facts",
        str(venue_facts),
        "--artist-popularity",
        str(popularity),
    )
    assert result.exit_code == 0, result.output

    (venues,) = api_batches(raw_store(operator), "raw/ticketmaster/venues/")
    assert (venues.rows_read, venues.rows_accepted, venues.rows_rejected) == (3, 2, 1)
    landed = {row["venue_id"]: row for row in processed_records(operator, "venues")}
    assert {key: (row["capacity"], row["venue_type"]) for key, row in landed.items()} == {
        f"tm:{tm_venue(0)['id']}": (19500, "arena"),
        f"tm:{tm_venue(1)['id']}": (850, "club"),
    }
    artists = processed_records(operator, "artists")
    assert {row["artist_id"]: row["popularity"] for row in artists} == {
        f"tm:{tm_attraction(n)['id']}": 60 + n for n in range(3)
    }
    assert "item 2: capacity" in result.output  # venue 2, missing from the file


@pytest.mark.parametrize(
    ("option", "content", "where"),
    [
        (
            "--venue-facts",
            "ticketmaster_venue_id,capacity,venue_type\nKovZpZA00000,many,arena\n",
            "line 2, column capacity: 'many' is not a whole number from 1 to 250,000",
        ),
        (
            "--venue-facts",
            "ticketmaster_venue_id,capacity,venue_type\nKovZpZA00000,100,tent\n",
            "line 2, column venue_type: 'tent' is not one of arena, stadium,",
        ),
        (
            "--artist-popularity",
            "ticketmaster_attraction_id\nK8vZ91700000\n",
            "line 1: missing column(s) popularity",
        ),
    ],
)
def test_a_bad_enrichment_file_exits_2_on_one_line_naming_it_before_any_request(
    fake: FakeApis,
    operator: Adapters,
    tmp_path: Path,
    option: str,
    content: str,
    where: str,
) -> None:
    path = tmp_path / "enrichment.csv"
    path.write_text(content)
    result = invoke("fetch-ticketmaster", *WINDOW, option, str(path))
    assert result.exit_code == 2, result.output
    (line,) = [line for line in result.output.splitlines() if "error:" in line]
    assert f"error: {option}: {path} {where}" in line
    assert isinstance(result.exception, SystemExit)  # handled: no traceback
    assert fake.requests == []
    assert list(raw_store(operator).list("raw/")) == []


def test_a_step_without_a_total_shows_its_count_alone_not_the_previous_steps_total() -> None:
    bar = Progress(console=Console(file=io.StringIO()), auto_refresh=False)
    update = _step_reporter(bar, "ingesting")
    update("raw", 380, 380)  # bytes, complete
    update("validate", 2, None)  # rows, total unknown
    (task,) = bar.tasks
    assert (task.description, task.completed, task.total) == ("ingesting: validate", 2, None)
    assert not task.finished
    assert MofNCompleteColumn().render(task).plain == "2/?"
    update("write", 1, 4)
    assert (task.total, task.finished) == (4, False)


@pytest.mark.parametrize(("events", "warned"), [(5, True), (4, False)])
def test_max_pages_caps_the_pages_landed_and_warns_when_more_match(
    fake: FakeApis,
    operator: Adapters,
    events: int,
    warned: bool,
) -> None:
    fake.events = [tm_event(n, START + timedelta(days=n)) for n in range(events)]
    result = invoke("fetch-ticketmaster", *WINDOW, "--size", "2", "--max-pages", "2")
    assert result.exit_code == 0, result.output
    assert ("stopped at max_pages=2 (4 events) while more match" in result.output) is warned
    (landed,) = api_batches(raw_store(operator), "raw/ticketmaster/concerts/")
    assert (landed.rows_read, sum("/page-" in f.key for f in landed.files)) == (4, 2)
    assert ("warnings" in landed.details) is warned


@pytest.mark.parametrize(
    ("command", "secret", "variable"),
    [
        (["fetch-spotify", "-q", "echo"], "concert/spotify", SPOTIFY_SECRET),
        (["fetch-ticketmaster"], "concert/ticketmaster", TICKETMASTER_SECRET),
    ],
)
def test_missing_credentials_exit_2_naming_the_secret_its_variable_and_file(
    fake: FakeApis,
    operator: Adapters,
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
    secret: str,
    variable: str,
) -> None:
    monkeypatch.delenv(variable)
    result = invoke(*command)
    assert result.exit_code == 2, result.output
    (line,) = [line for line in result.output.splitlines() if "error:" in line]
    assert f"secret {secret!r} is not set" in line
    assert variable in line
    assert str(operator.settings.local_path("secrets") / secret) in line
    assert isinstance(result.exception, SystemExit)  # handled: no traceback
    assert fake.requests == []


def test_a_refused_ticketmaster_key_exits_1_with_the_apis_message(
    fake: FakeApis,
    operator: Adapters,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(TICKETMASTER_SECRET, json.dumps({"api_key": "revoked-key"}))
    result = invoke("fetch-ticketmaster", *WINDOW)
    assert result.exit_code == 1, result.output
    assert "ticketmaster GET /events.json refused the request: HTTP 401: Invalid ApiKey" in (
        result.output.replace("\n", "")
    )
    assert "revoked-key" not in result.output
    assert [received.status for received in fake.seen(EVENTS)] == [401]
    assert list(raw_store(operator).list("raw/")) == []


def test_a_refused_spotify_client_exits_1_naming_the_secret(
    operator: Adapters, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = {"client_id": SPOTIFY_CLIENT_ID, "client_secret": "not-the-secret"}
    monkeypatch.setenv(SPOTIFY_SECRET, json.dumps(wrong))
    result = invoke("fetch-spotify", "-q", "echo")
    assert result.exit_code == 1, result.output
    (line,) = [line for line in result.output.splitlines() if "error:" in line]
    assert "invalid_client" in line
    assert "'concert/spotify'" in line


def test_a_rate_limited_run_waits_as_told_and_completes(
    fake: FakeApis,
    operator: Adapters,
) -> None:
    fake.artists = echoes()
    retry_now = Fault(429, RATE_LIMITED, headers={"Retry-After": "0"})
    fake.fail(SEARCH, retry_now, retry_now)
    result = invoke("fetch-spotify", "-q", "echo")
    assert result.exit_code == 0, result.output
    assert [received.status for received in fake.seen(SEARCH)] == [429, 429, 200]
    assert sum(processed_rows(operator, "artists").values()) == 2


def test_a_rate_limit_that_outlasts_the_retries_exits_1(
    fake: FakeApis,
    operator: Adapters,
) -> None:
    fake.fail(EVENTS, *[Fault(429, RATE_LIMITED, headers={"Retry-After": "0"})] * 5)
    result = invoke("fetch-ticketmaster", *WINDOW)
    assert result.exit_code == 1, result.output
    assert "still failing after 5 attempt(s)" in result.output.replace("\n", "")
    assert isinstance(result.exception, SystemExit)  # handled: no traceback
    assert list(raw_store(operator).list("raw/")) == []


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["fetch-ticketmaster", "--start", "2030-07-02", "--end", "2030-07-01"], "'--end'"),
        (["fetch-ticketmaster", "--start", "July 1st"], "'--start'"),
        (["fetch-ticketmaster", "--country-code", "USA"], "'--country-code'"),
        (["fetch-ticketmaster", *WINDOW, "--size", "500"], "'--size'"),
        (["fetch-ticketmaster", "--max-pages", "0"], "'--max-pages'"),
        (["fetch-spotify"], "'--query'"),
        (["fetch-spotify", "--artist-id", "not-an-id"], "'--artist-id'"),
        (["fetch-spotify", "-q", "echo", "--limit", "51"], "'--limit'"),
    ],
)
def test_bad_option_values_exit_2_naming_the_option_before_any_request(
    fake: FakeApis,
    operator: Adapters,
    args: list[str],
    option: str,
) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for {option}" in result.output
    assert fake.requests == []
