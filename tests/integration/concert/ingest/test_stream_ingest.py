"""Events through the local stream into the lake: validation, dedupe, late events, crashes."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from concert.domain.models import TicketSale, UserInteraction
from concert.ingest.stream import (
    Event,
    EventLandingHandler,
    consume_events,
    event_for,
    publish_events,
)
from concert.lake import read_manifest
from foundation.objectstore import LocalObjectStore, ObjectInfo, ObjectStore
from foundation.stream import CheckpointStore, LocalEventStream, Record, StreamConsumer
from foundation.table import TableSpec
from foundation.table.sqlite import SqliteTable

NOW = datetime.now(UTC).replace(microsecond=0)


class Lake:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.stream = LocalEventStream(root / "streams", "events", 2)
        self.raw = LocalObjectStore(root / "raw", fsync=False)
        self.processed = LocalObjectStore(root / "processed", fsync=False)
        table = SqliteTable(root / "checkpoints.sqlite3", TableSpec(name="checkpoints"))
        table.create_if_missing()
        self.checkpoints = CheckpointStore(table)

    def consume(self, batch_size: int = 10_000) -> None:
        consume_events(
            self.stream, self.checkpoints, raw_store=self.raw, processed_store=self.processed,
            batch_size=batch_size,
        )  # fmt: skip

    def processed_table(self, entity: str = "ticket_sales") -> pa.Table:
        tables = [
            pq.read_table(io.BytesIO(self.processed.get(s.key).body))
            for s in self.processed.list(f"processed/{entity}/")
            if s.key.endswith(".parquet")
        ]
        return pa.concat_tables(tables) if tables else pa.table({})


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return Lake(tmp_path)


def sale(n: int, *, when: datetime = NOW, quantity: int = 2) -> TicketSale:
    return TicketSale(
        sale_id=f"s{n}", concert_id=f"c{n % 7}", customer_id=f"u{n}", price_tier="vip",
        quantity=quantity, unit_price=12.5, total_price=quantity * 12.5,
        purchase_timestamp=when, payment_method="paypal",
    )  # fmt: skip


def sales(count: int, start: int = 0) -> list[Event]:
    return [event_for(sale(n), event_id=f"e{n}") for n in range(start, start + count)]


def assert_exactly_once(lake: Lake, expected: int) -> None:
    table = lake.processed_table()
    ids = table.column("sale_id").to_pylist()
    assert len(ids) == expected
    assert len(set(ids)) == expected


def test_events_land_once_partitioned_by_their_own_time(lake: Lake) -> None:
    view = UserInteraction(
        interaction_id="i1", user_id="u1", interaction_type="view", timestamp=NOW, artist_id="a1"
    )
    events = [*sales(30), event_for(view, event_id="x1")]
    assert publish_events(lake.stream, events) == 31
    lake.consume(batch_size=7)
    assert_exactly_once(lake, 30)
    assert lake.processed_table("user_interactions").column("interaction_id").to_pylist() == ["i1"]
    month = f"/month={NOW:%Y-%m}/"
    assert all(month in s.key for s in lake.processed.list("processed/"))
    for summary in lake.raw.list("raw/stream/events/"):
        if summary.key.endswith("_manifest.json"):
            manifest = read_manifest(lake.raw, summary.key)
            assert manifest.rows_accepted + manifest.rows_rejected == manifest.rows_read


def test_invalid_events_are_quarantined_with_reasons(lake: Lake) -> None:
    good = sales(2)
    bad_payload = Event(
        "e-bad", "ticket_sale", NOW, {**good[0].payload, "sale_id": "s9", "quantity": 0}
    )
    refund = {"event_id": "e7", "event_type": "refund", "occurred_at": "2025-01-01T00:00:00Z"}
    lake.stream.put_records(
        [
            *(Record("k", e.encode()) for e in [*good, bad_payload]),
            Record("k", b"{not json"),
            Record("k", json.dumps({**refund, "payload": {}}).encode()),
        ]
    )
    lake.consume()
    assert_exactly_once(lake, 2)
    reasons = []
    for summary in lake.raw.list("quarantine/stream/"):
        for line in lake.raw.get(summary.key).body.decode().splitlines():
            reasons += [(e["field"], e["reason"]) for e in json.loads(line)["errors"]]
    assert ("quantity", "Input should be greater than or equal to 1") in reasons
    assert ("_record", "invalid event: not a JSON object") in reasons
    assert ("_record", "event_type must be one of ticket_sale, user_interaction") in reasons


def test_repeated_event_ids_are_rejected_within_and_across_batches(lake: Lake) -> None:
    events = sales(5)
    handler = EventLandingHandler(lake.raw, lake.processed)
    consumer = StreamConsumer(lake.stream, lake.checkpoints, "concert-lake", handler)
    publish_events(lake.stream, [*events, events[1]])  # in the same batch
    while consumer.poll_once():
        pass
    publish_events(lake.stream, [events[2]])  # in a later batch of the same consumer
    while consumer.poll_once():
        pass
    handler.close()
    assert_exactly_once(lake, 5)
    lines = [
        json.loads(line)
        for s in lake.raw.list("quarantine/stream/")
        for line in lake.raw.get(s.key).body.decode().splitlines()
    ]
    assert len(lines) == 2
    assert all("duplicate event_id" in line["errors"][0]["reason"] for line in lines)


def test_a_late_event_lands_in_its_old_partition_as_a_new_batch(lake: Lake) -> None:
    publish_events(lake.stream, sales(3))
    lake.consume()
    old_day = NOW - timedelta(days=40)
    publish_events(lake.stream, [event_for(sale(99, when=old_day), event_id="late")])
    lake.consume()
    late_keys = [
        s.key for s in lake.processed.list(f"processed/ticket_sales/month={old_day:%Y-%m}/")
    ]
    assert len(late_keys) == 2  # one part and its manifest
    today = [s.key for s in lake.processed.list(f"processed/ticket_sales/month={NOW:%Y-%m}/")]
    late_batch = late_keys[0].split("/")[3]
    assert all(late_batch not in key for key in today)
    assert_exactly_once(lake, 4)


class CrashingStore(LocalObjectStore):
    """A store that dies (once) before its ``fail_at``-th write."""

    def __init__(self, root: Path, fail_at: int) -> None:
        super().__init__(root, fsync=False)
        self.writes = 0
        self.fail_at = fail_at

    def put(self, key: str, data: bytes, **kwargs: Any) -> ObjectInfo:  # type: ignore[override]
        self.writes += 1
        if self.writes == self.fail_at:
            raise RuntimeError(f"crash before writing {key}")
        return super().put(key, data, **kwargs)


def crash_then_resume(
    lake: Lake,
    *,
    crashing: Callable[[EventLandingHandler], Callable[[list[Any]], None]],
    raw: ObjectStore | None = None,
    processed: ObjectStore | None = None,
    batch_size: int,
) -> None:
    handler = EventLandingHandler(raw or lake.raw, processed or lake.processed)
    consumer = StreamConsumer(lake.stream, lake.checkpoints, "concert-lake", crashing(handler),
                              batch_size=batch_size)  # fmt: skip
    with pytest.raises(RuntimeError, match="crash"):
        while consumer.poll_once():
            pass
    handler.close()


def _crash_after_handler(handler: EventLandingHandler) -> Callable[[list[Any]], None]:
    calls = {"n": 0}

    def run(records: list[Any]) -> None:
        handler(records)
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("crash before the checkpoint")

    return run


@pytest.mark.parametrize(
    ("where", "fail_at"),
    [("processed", 1), ("processed", 4), ("raw", 3), ("checkpoint", 0)],
)
def test_a_consumer_killed_mid_batch_resumes_with_nothing_lost_or_doubled(
    lake: Lake, tmp_path: Path, where: str, fail_at: int
) -> None:
    publish_events(lake.stream, sales(40))
    if where == "checkpoint":
        crash_then_resume(lake, crashing=_crash_after_handler, batch_size=9)
    else:
        store = CrashingStore(tmp_path / ("processed" if where == "processed" else "raw"), fail_at)
        crash_then_resume(
            lake,
            crashing=lambda handler: handler,
            raw=store if where == "raw" else None,
            processed=store if where == "processed" else None,
            batch_size=9,
        )
    # More events arrive before the restart, so the first batch read again is longer.
    publish_events(lake.stream, sales(25, start=40))
    lake.consume(batch_size=50)
    assert_exactly_once(lake, 65)


def test_publish_keys_sales_by_concert_and_interactions_by_user() -> None:
    event = event_for(sale(3))
    assert event.partition_key == "c3"
    decoded: Mapping[str, Any] = json.loads(event.encode())
    assert decoded["event_type"] == "ticket_sale"
    assert decoded["occurred_at"].endswith("Z")
    assert decoded["payload"]["sale_id"] == "s3"


def test_an_event_rejected_for_its_payload_may_be_sent_again_fixed(lake: Lake) -> None:
    good = sales(1)[0]
    broken = Event(good.event_id, good.event_type, NOW, {**good.payload, "quantity": 0})
    handler = EventLandingHandler(lake.raw, lake.processed)
    consumer = StreamConsumer(lake.stream, lake.checkpoints, "concert-lake", handler)
    for event in (broken, good):
        publish_events(lake.stream, [event])
        while consumer.poll_once():
            pass
    handler.close()
    assert_exactly_once(lake, 1)
