"""The Ticketmaster connector against a local server speaking the Discovery API v2's
documented shapes: page/size paging, the deep-paging limit, mapping and landing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from concert.domain.models import Artist, Concert, ConcertStatus, Venue, VenueType
from concert.ingest.connectors import (
    Enrichment,
    EventQuery,
    TicketmasterClient,
    VenueFacts,
    fetch_ticketmaster_events,
)
from concert.lake import read_manifest
from concert.settings import ConcertSettings
from foundation.objectstore import LocalObjectStore
from foundation.secrets import SecretStore
from tests.integration.concert.connectors.conftest import Timekeeper
from tests.integration.concert.connectors.fake_apis import (
    TICKETMASTER_API_KEY,
    FakeApis,
    spotify_id,
    tm_attraction,
    tm_event,
    tm_venue,
)

EVENTS = "/discovery/v2/events.json"
START = datetime(2025, 7, 1, tzinfo=UTC)
DAY = date(2025, 6, 1)


def small_depth_client(
    fake: FakeApis, settings: ConcertSettings, clock: Timekeeper, depth: int
) -> TicketmasterClient:
    """A client and server that both stop paging at ``depth`` items, so tests stay small."""
    fake.max_depth = depth
    return TicketmasterClient(
        TICKETMASTER_API_KEY,
        api_url=settings.ticketmaster_api_url,
        options=clock.options(),
        max_depth=depth,
    )


def test_events_page_through_total_pages_with_the_api_key_as_a_query_parameter(
    fake: FakeApis, secrets: SecretStore, settings: ConcertSettings, clock: Timekeeper
) -> None:
    fake.events = [tm_event(number, START + timedelta(days=number)) for number in range(7)]
    query = EventQuery(start=START, end=START + timedelta(days=30))
    with TicketmasterClient.from_secrets(secrets, settings, options=clock.options()) as client:
        pages = list(client.search_events(query, size=3))
    assert [len(page.items) for page in pages] == [3, 3, 1]
    assert {page.total for page in pages} == {7}
    seen = fake.seen(EVENTS)
    assert [received.query["page"] for received in seen] == ["0", "1", "2"]
    for received in seen:
        assert received.query["apikey"] == TICKETMASTER_API_KEY
        assert received.query["classificationName"] == "music"
        assert received.query["startDateTime"] == "2025-07-01T00:00:00Z"
        assert received.query["endDateTime"] == "2025-07-31T00:00:00Z"
    assert all(TICKETMASTER_API_KEY not in page.response.request for page in pages)


def test_a_search_past_the_paging_depth_is_narrowed_by_date_windows(
    fake: FakeApis, settings: ConcertSettings, clock: Timekeeper
) -> None:
    fake.events = [tm_event(number, START + timedelta(hours=7 * number)) for number in range(25)]
    warnings: list[str] = []
    query = EventQuery(start=START, end=START + timedelta(days=10))
    with small_depth_client(fake, settings, clock, depth=10) as client:
        pages = list(client.search_events(query, size=4, warnings=warnings))
    found = [event["id"] for page in pages for event in page.items]
    assert set(found) == {event["id"] for event in fake.events}
    assert warnings == []
    seen = fake.seen(EVENTS)
    assert all(received.status == 200 for received in seen)
    assert all(int(r.query["page"]) * int(r.query["size"]) < 10 for r in seen)
    windows = {(r.query["startDateTime"], r.query["endDateTime"]) for r in seen}
    assert len(windows) > 2


def test_a_window_that_cannot_be_narrowed_stops_at_the_depth_limit_with_a_warning(
    fake: FakeApis,
    secrets: SecretStore,
    settings: ConcertSettings,
    raw_store: LocalObjectStore,
    clock: Timekeeper,
) -> None:
    venue, act = tm_venue(1), tm_attraction(1)
    fake.events = [
        tm_event(number, START, venue=venue, attractions=[act]) for number in range(1005)
    ]
    run = fetch_ticketmaster_events(
        EventQuery(start=START, end=START + timedelta(minutes=30)),
        secrets=secrets,
        settings=settings,
        raw_store=raw_store,
        options=clock.options(),
        batch_id="deep",
        day=DAY,
    )
    assert [int(received.query["page"]) for received in fake.seen(EVENTS)] == [0, 1, 2, 3, 4]
    assert all(received.status == 200 for received in fake.seen(EVENTS))
    assert run.batch("concerts").read == 1000
    (warning,) = run.warnings
    assert "stopped after 1000 of 1005 item(s)" in warning
    assert "size * page < 1000" in warning
    manifest = read_manifest(raw_store, run.batch("concerts").manifest_key)
    assert manifest.details["warnings"] == warning


def test_venue_and_attraction_listings_page_and_stop_at_the_depth_limit(
    fake: FakeApis, settings: ConcertSettings, clock: Timekeeper
) -> None:
    fake.venues = [tm_venue(number) for number in range(9)]
    fake.attractions = [tm_attraction(number) for number in range(14)]
    warnings: list[str] = []
    with small_depth_client(fake, settings, clock, depth=10) as client:
        venues = list(client.search("venues", size=4, warnings=warnings))
        assert warnings == []
        attractions = list(
            client.search("attractions", {"keyword": "act"}, size=4, warnings=warnings)
        )
    assert [len(page.items) for page in venues] == [4, 4, 1]
    assert [len(page.items) for page in attractions] == [4, 4, 4]
    (warning,) = warnings
    assert "/attractions.json (keyword=act): stopped after 12 of 14 item(s)" in warning
    assert all(received.status == 200 for received in fake.requests)


def test_fetch_maps_events_venues_and_attractions_and_lands_them_under_one_batch(
    fake: FakeApis,
    secrets: SecretStore,
    settings: ConcertSettings,
    raw_store: LocalObjectStore,
    clock: Timekeeper,
) -> None:
    hall, club = tm_venue(1), tm_venue(2, state=False, zone="America/Chicago")
    unknown = tm_venue(3, zone="Europe/London")
    star = tm_attraction(1, genre="Rock", sub_genre="Undefined", spotify=spotify_id(7))
    opener, newcomer = tm_attraction(2, genre="Pop", sub_genre="Indie Pop"), tm_attraction(3)
    no_venue = tm_event(5, START + timedelta(days=5), venue=hall, attractions=[star])
    del no_venue["_embedded"]["venues"]
    fake.events = [
        tm_event(0, START, venue=hall, attractions=[star, opener]),
        tm_event(1, START + timedelta(days=1), venue=club, attractions=[star], prices=None),
        tm_event(
            2,
            datetime(2025, 7, 3, 19, 30, tzinfo=UTC),
            venue=unknown,
            attractions=[newcomer],
            status="canceled",
            date_time=False,
        ),
        tm_event(3, START + timedelta(days=3), venue=hall, attractions=[newcomer], currency="EUR"),
        tm_event(
            4, START + timedelta(days=4), venue=club, attractions=[star], status="rescheduled"
        ),
        no_venue,
    ]
    enrichment = Enrichment(
        venues={
            hall["id"]: VenueFacts(2_000, VenueType.HALL),
            club["id"]: VenueFacts(800, VenueType.CLUB),
        },
        artist_popularity={star["id"]: 81, opener["id"]: 35},
    )
    run = fetch_ticketmaster_events(
        EventQuery(start=START, end=START + timedelta(days=30)),
        secrets=secrets,
        settings=settings,
        raw_store=raw_store,
        enrichment=enrichment,
        size=4,
        options=clock.options(),
        batch_id="tm-run-1",
        day=DAY,
    )
    assert run.pages == 2
    counts = {batch.entity: (batch.read, batch.accepted, batch.rejected) for batch in run.batches}
    assert counts == {"concerts": (6, 3, 3), "venues": (3, 2, 1), "artists": (3, 2, 1)}
    assert {batch.batch_id for batch in run.batches} == {"tm-run-1"}

    def records(entity: str) -> list[str]:
        body = raw_store.get(run.batch(entity).records_key).body
        return body.decode().splitlines()

    def rejections(entity: str) -> dict[str, tuple[str, str]]:
        key = run.batch(entity).quarantine_key
        assert key is not None
        lines = [json.loads(line) for line in raw_store.get(key).body.splitlines()]
        return {line["key"]: (line["field"], line["reason"]) for line in lines}

    concerts = {c.concert_id: c for c in map(Concert.model_validate_json, records("concerts"))}
    assert set(concerts) == {"tm:vvG1000000", "tm:vvG1000002", "tm:vvG1000004"}
    first = concerts["tm:vvG1000000"]
    assert (first.artist_id, first.venue_id) == (f"tm:{star['id']}", f"tm:{hall['id']}")
    assert first.ticket_prices == {"general": 49.5, "premium": 150.0}
    assert first.event_date == START
    cancelled = concerts["tm:vvG1000002"]
    # Only localDate/localTime in Europe/London (BST) -> the same instant in UTC.
    assert cancelled.event_date == datetime(2025, 7, 3, 19, 30, tzinfo=UTC)
    assert cancelled.status is ConcertStatus.CANCELLED
    assert concerts["tm:vvG1000004"].status is ConcertStatus.POSTPONED
    assert rejections("concerts") == {
        "tm:vvG1000001": (
            "ticket_prices",
            "the event has no priceRanges (Ticketmaster omits many)",
        ),
        "tm:vvG1000003": ("ticket_prices", "priced in 'EUR', not USD (the model has no currency)"),
        "tm:vvG1000005": ("venue_id", "the event has no _embedded.venues[0].id"),
    }

    venues = {v.venue_id: v for v in map(Venue.model_validate_json, records("venues"))}
    assert venues[f"tm:{club['id']}"].state is None
    assert venues[f"tm:{hall['id']}"].state == "NY"
    assert venues[f"tm:{hall['id']}"].capacity == 2_000
    assert venues[f"tm:{hall['id']}"].latitude == pytest.approx(40.7497062)
    assert rejections("venues")[f"tm:{unknown['id']}"][0] == "capacity"

    artists = {a.artist_id: a for a in map(Artist.model_validate_json, records("artists"))}
    headliner = artists[f"tm:{star['id']}"]
    assert (headliner.genres, headliner.popularity) == (["rock"], 81)
    assert headliner.spotify_id == spotify_id(7)
    assert artists[f"tm:{opener['id']}"].genres == ["pop", "indie pop"]
    assert rejections("artists")[f"tm:{newcomer['id']}"][0] == "popularity"

    concerts_manifest = read_manifest(raw_store, run.batch("concerts").manifest_key)
    assert sum(f.rows for f in concerts_manifest.files if "/page-" in f.key) == 6
    assert TICKETMASTER_API_KEY not in json.dumps(concerts_manifest.details)
    for entity in ("venues", "artists"):
        manifest = read_manifest(raw_store, run.batch(entity).manifest_key)
        assert manifest.details["derived_from"] == (
            "raw/ticketmaster/concerts/dt=2025-06-01/batch=tm-run-1/"
        )
        assert manifest.rows_read == manifest.rows_accepted + manifest.rows_rejected
