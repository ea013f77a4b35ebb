"""Mapping the APIs' documented objects to model records: every item is mapped or rejected
with a field and a reason, and what an API does not publish is never invented."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from concert.domain.models import ConcertStatus, VenueType
from concert.ingest.connectors import (
    Enrichment,
    EntityBatch,
    UnmappableRecordError,
    VenueFacts,
)
from concert.ingest.connectors.mapping import (
    spotify_artist as map_spotify_artist,
)
from concert.ingest.connectors.mapping import (
    ticketmaster_attraction,
    ticketmaster_event,
    ticketmaster_venue,
)
from tests.integration.concert.connectors.fake_apis import (
    spotify_artist,
    tm_attraction,
    tm_event,
    tm_venue,
)

START = datetime(2025, 8, 1, 1, 0, tzinfo=UTC)


def rejected(mapper: Any, item: Any) -> tuple[str, str]:
    with pytest.raises(UnmappableRecordError) as caught:
        mapper(item)
    return caught.value.field, caught.value.reason


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("onsale", ConcertStatus.SCHEDULED),
        ("offsale", ConcertStatus.SCHEDULED),
        ("canceled", ConcertStatus.CANCELLED),
        ("cancelled", ConcertStatus.CANCELLED),
        ("postponed", ConcertStatus.POSTPONED),
        ("rescheduled", ConcertStatus.POSTPONED),
    ],
)
def test_event_status_codes_map_to_concert_statuses(code: str, status: ConcertStatus) -> None:
    assert ticketmaster_event(tm_event(1, START, status=code))["status"] is status


def test_an_unknown_status_code_is_rejected_naming_it() -> None:
    assert rejected(ticketmaster_event, tm_event(1, START, status="moved")) == (
        "status",
        "unknown dates.status.code 'moved'",
    )


def test_prices_prefer_the_standard_range_and_skip_a_premium_equal_to_general() -> None:
    event = tm_event(1, START)
    event["priceRanges"] = [
        {"type": "standard including fees", "currency": "USD", "min": 60.0, "max": 90.0},
        {"type": "standard", "currency": "USD", "min": 45, "max": 45},
    ]
    assert ticketmaster_event(event)["ticket_prices"] == {"general": 45.0}
    event["priceRanges"] = [{"type": "standard", "currency": "USD", "max": 45}]
    assert rejected(ticketmaster_event, event) == (
        "ticket_prices",
        "the price range has no numeric min",
    )


def test_a_local_date_without_a_time_is_placed_at_local_midnight_in_utc() -> None:
    event = tm_event(1, START, date_time=False)  # New York, 2025-07-31 21:00 local
    del event["dates"]["start"]["localTime"]
    assert ticketmaster_event(event)["event_date"] == datetime(2025, 7, 31, 4, 0, tzinfo=UTC)


def test_a_local_date_uses_the_venue_time_zone_when_the_event_has_none() -> None:
    event = tm_event(1, START, venue=tm_venue(1, zone="Asia/Tokyo"), date_time=False)
    del event["dates"]["timezone"]
    assert ticketmaster_event(event)["event_date"] == START


@pytest.mark.parametrize(
    ("zone", "reason"),
    [
        (None, "only a localDate, and no dates.timezone nor venue timezone"),
        ("Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
    ],
)
def test_a_local_date_without_a_usable_time_zone_is_rejected(zone: str | None, reason: str) -> None:
    event = tm_event(1, START, date_time=False)
    event["dates"]["timezone"] = zone
    del event["_embedded"]["venues"][0]["timezone"]
    assert rejected(ticketmaster_event, event) == ("event_date", reason)


def test_an_event_with_a_date_to_be_announced_is_rejected() -> None:
    event = tm_event(1, START)
    event["dates"]["start"] = {"dateTBA": True, "dateTBD": True}
    assert rejected(ticketmaster_event, event)[0] == "event_date"


def test_an_event_without_attractions_is_rejected_for_its_artist() -> None:
    event = tm_event(1, START, attractions=[])
    assert rejected(ticketmaster_event, event) == (
        "artist_id",
        "the event has no _embedded.attractions[0].id",
    )


def test_a_venue_maps_its_city_state_country_and_string_coordinates() -> None:
    venue = tm_venue(4)
    record = ticketmaster_venue(
        venue, Enrichment(venues={venue["id"]: VenueFacts(19_500, VenueType.ARENA)})
    )
    assert record == {
        "venue_id": f"tm:{venue['id']}",
        "name": "Hall 4",
        "city": "New York",
        "state": "NY",
        "country": "US",
        "capacity": 19_500,
        "venue_type": VenueType.ARENA,
        "latitude": pytest.approx(40.7497062),
        "longitude": pytest.approx(-73.9916006),
    }


def test_a_venue_with_unreadable_coordinates_is_rejected_naming_the_axis() -> None:
    venue = tm_venue(4)
    venue["location"]["latitude"] = "north-ish"
    enrichment = Enrichment(venues={venue["id"]: VenueFacts(500, VenueType.CLUB)})
    assert rejected(lambda item: ticketmaster_venue(item, enrichment), venue) == (
        "latitude",
        "location.latitude 'north-ish' is not a number",
    )


def test_an_unenriched_venue_is_rejected_because_capacity_is_not_published() -> None:
    field, reason = rejected(lambda item: ticketmaster_venue(item, Enrichment()), tm_venue(4))
    assert field == "capacity"
    assert "--venue-facts" in reason


def test_attraction_popularity_comes_from_enrichment_or_an_opted_in_default() -> None:
    attraction = tm_attraction(2, genre="Undefined", sub_genre="Undefined")
    assert rejected(lambda item: ticketmaster_attraction(item, Enrichment()), attraction)[0] == (
        "popularity"
    )
    record = ticketmaster_attraction(attraction, Enrichment(default_popularity=10))
    assert (record["popularity"], record["genres"], record["spotify_id"]) == (10, [], None)


def test_a_spotify_artist_maps_without_members_or_formation_date() -> None:
    assert map_spotify_artist(spotify_artist(3, "Nova", popularity=64)) == {
        "artist_id": "spotify:Spot000000000000000003",
        "name": "Nova",
        "genres": ["indie rock", "dream pop"],
        "popularity": 64,
        "formation_date": None,
        "members": [],
        "spotify_id": "Spot000000000000000003",
    }


@pytest.mark.parametrize(
    ("item", "field"),
    [
        (None, "artist_id"),
        ("Nova", "item"),
        ({"name": "No Id", "popularity": 3}, "artist_id"),
        (spotify_artist(3, popularity=None), "popularity"),
    ],
)
def test_spotify_items_that_cannot_be_artists_are_rejected(item: Any, field: str) -> None:
    assert rejected(map_spotify_artist, item)[0] == field


def test_an_entity_batch_gives_every_item_exactly_one_outcome() -> None:
    batch = EntityBatch("artists")
    for item in [spotify_artist(1), None, spotify_artist(2), spotify_artist(1)]:
        batch.add(item, map_spotify_artist)
    assert batch.read == 4
    assert [record.index for record in batch.records] == [0, 2]
    assert [(r.index, r.field, r.reason) for r in batch.rejections] == [
        (1, "artist_id", "Spotify answered null: no artist has this id"),
        (3, "artist_id", "duplicate of item 0 in this batch"),
    ]
    assert batch.rejections[1].key == "spotify:Spot000000000000000001"
