"""Landing API records: pages kept byte for byte, records validated by the model, rejections
quarantined with reasons, a manifest whose counts add up, and nothing ever overwritten."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from concert.ingest.connectors import (
    ApiPage,
    ApiResponse,
    MappedRecord,
    Rejection,
    land_api_records,
)
from concert.lake import read_manifest
from foundation.errors import BadRequestError
from foundation.objectstore import LocalObjectStore, PreconditionFailedError

DAY = date(2025, 6, 1)
PREFIX = "raw/ticketmaster/concerts/dt=2025-06-01/batch=b-1/"


def page(items: list[Any], request: str = "ticketmaster GET /events.json?page=0") -> ApiPage:
    body = json.dumps({"_embedded": {"events": items}}, indent=1).encode()
    return ApiPage(ApiResponse("ticketmaster GET /events.json", request, body, None), items)


def concert(number: int, **changes: Any) -> dict[str, Any]:
    record = {
        "concert_id": f"tm:e{number}",
        "artist_id": "tm:a1",
        "venue_id": "tm:v1",
        "event_date": datetime(2025, 7, 1, 20, tzinfo=UTC),
        "ticket_prices": {"general": 40.0, "premium": 95.5},
        "status": "scheduled",
    }
    return {**record, **changes}


def land(store: LocalObjectStore, **changes: Any) -> Any:
    arguments: dict[str, Any] = {
        "source": "ticketmaster",
        "entity": "concerts",
        "raw_responses": [page([{"id": "e0"}, {"id": "e1"}]), page([{"id": "e2"}, {"id": "e3"}])],
        "mapped": [MappedRecord(0, concert(0)), MappedRecord(2, concert(2, ticket_prices={}))],
        "rejections": [
            Rejection(1, "ticket_prices", "the event has no priceRanges", "tm:e1"),
            Rejection(3, "venue_id", "the event has no _embedded.venues[0].id", "tm:e3"),
        ],
        "batch_id": "b-1",
        "day": DAY,
    }
    arguments.update(changes)
    return land_api_records(store, **arguments)


def test_pages_land_byte_for_byte_and_records_as_model_ndjson(raw_store: LocalObjectStore) -> None:
    raw_pages = [page([{"id": "e0"}, {"id": "e1"}]), page([{"id": "e2"}, {"id": "e3"}])]
    landed = land(raw_store, raw_responses=raw_pages)
    assert raw_store.get(f"{PREFIX}page-00000.json").body == raw_pages[0].response.body
    assert raw_store.get(f"{PREFIX}page-00001.json").body == raw_pages[1].response.body
    (line,) = raw_store.get(landed.records_key).body.decode().splitlines()
    # The upload format: model field names in order, UTC with a Z, enums by value.
    assert json.loads(line) == {
        "concert_id": "tm:e0",
        "artist_id": "tm:a1",
        "venue_id": "tm:v1",
        "event_date": "2025-07-01T20:00:00Z",
        "ticket_prices": {"general": 40.0, "premium": 95.5},
        "total_attendance": None,
        "revenue": None,
        "status": "scheduled",
    }


def test_records_failing_the_model_are_rejected_with_field_and_reason(
    raw_store: LocalObjectStore,
) -> None:
    landed = land(raw_store)
    assert (landed.read, landed.accepted, landed.rejected) == (4, 1, 3)
    assert landed.quarantine_key == (
        "quarantine/ticketmaster/concerts/dt=2025-06-01/batch=b-1/rejected.jsonl"
    )
    lines = [json.loads(line) for line in raw_store.get(landed.quarantine_key).body.splitlines()]
    assert [line["index"] for line in lines] == [1, 2, 3]
    assert lines[1] == {
        "index": 2,
        "field": "ticket_prices",
        "reason": "Dictionary should have at least 1 item after validation, not 0",
        "key": "tm:e2",
    }


def test_the_manifest_counts_every_item_and_lists_every_file(raw_store: LocalObjectStore) -> None:
    landed = land(raw_store, details={"note": "test"})
    manifest = read_manifest(raw_store, landed.manifest_key)
    assert landed.manifest_key == f"{PREFIX}_manifest.json"
    assert (manifest.rows_read, manifest.rows_accepted, manifest.rows_rejected) == (4, 1, 3)
    assert [(file.key.rsplit("/", 1)[-1], file.rows) for file in manifest.files] == [
        ("page-00000.json", 2),
        ("page-00001.json", 2),
        ("records.ndjson", 1),
        ("rejected.jsonl", 3),
    ]
    for file in manifest.files:
        assert raw_store.head(file.key).etag == file.etag
    assert manifest.details == {
        "note": "test",
        "page-00000.json": "ticketmaster GET /events.json?page=0",
        "page-00001.json": "ticketmaster GET /events.json?page=0",
    }


def test_a_landed_batch_is_never_overwritten(raw_store: LocalObjectStore) -> None:
    land(raw_store)
    before = raw_store.get(f"{PREFIX}page-00000.json").body
    with pytest.raises(PreconditionFailedError):
        land(raw_store, raw_responses=[page([{"id": "x"}] * 4)])
    assert raw_store.get(f"{PREFIX}page-00000.json").body == before
    assert read_manifest(raw_store, f"{PREFIX}_manifest.json").rows_read == 4


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"mapped": [MappedRecord(0, concert(0))]}, "mapped"),  # items 2 and 3 unaccounted
        ({"mapped": [MappedRecord(1, concert(1)), MappedRecord(2, concert(2))]}, "rejections"),
        ({"source": "myspace"}, "source"),
    ],
)
def test_batches_that_would_lose_items_are_refused_before_anything_is_written(
    raw_store: LocalObjectStore, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(BadRequestError) as caught:
        land(raw_store, **changes)
    assert caught.value.extra["field"] == field
    assert list(raw_store.list("")) == []


def test_an_unknown_entity_is_refused(raw_store: LocalObjectStore) -> None:
    with pytest.raises(BadRequestError, match="unknown entity 'gigs'"):
        land(raw_store, entity="gigs")
