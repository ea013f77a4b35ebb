"""Events through the local stream into the lake: validation, dedupe, late events, crashes."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from concert.domain.models import ENTITIES, TicketSale, UserInteraction
from concert.ingest.stream import (
    Event,
    EventLandingHandler,
    consume_events,
    event_for,
    publish_events,
)
from concert.ingest.stream.checks import MIN_SPLIT_ROWS, EventChecks
from concert.lake import read_manifest
from concert.validation.engine import Lineage
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


def _quarantined(lake: Lake) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for s in lake.raw.list("quarantine/stream/")
        for line in lake.raw.get(s.key).body.decode().splitlines()
    ]


def test_each_envelope_problem_gets_its_reason_and_unreadable_lines_are_kept(lake: Lake) -> None:
    good = json.loads(sales(1)[0].encode())
    envelope = {k: v for k, v in good.items() if k != "payload"}
    lines = [
        json.dumps(good).encode(),
        b"[1, 2]",
        b"{not json",
        b"\xff\xfe",  # not UTF-8
        json.dumps({**envelope, "event_id": None, "payload": good["payload"]}).encode(),
        json.dumps({**envelope, "event_id": "p1", "payload": 5}).encode(),
        json.dumps({**envelope, "event_id": "p2"}).encode(),
        json.dumps({**envelope, "event_id": "p3", "payload": {}}).encode(),
        json.dumps({**envelope, "event_id": "p4", "payload": {**good["payload"], "x": 1}}).encode(),
    ]
    lake.stream.put_records([Record("k", line) for line in lines])
    lake.consume()
    assert_exactly_once(lake, 1)
    quarantined = _quarantined(lake)
    assert len(quarantined) == len(lines) - 1
    reasons = {(e["field"], e["reason"]) for q in quarantined for e in q["errors"]}
    assert ("_record", "invalid event: not a JSON object") in reasons
    assert ("_record", "event_id is missing or not an identifier") in reasons
    assert ("_record", "payload must be a JSON object") in reasons
    assert ("x", "Extra inputs are not permitted") in reasons
    unreadable = {q["record"]["line"] for q in quarantined if "line" in q["record"]}
    assert unreadable == {"[1, 2]", "{not json", "\ufffd\ufffd"}
    (manifest_key,) = [
        s.key for s in lake.raw.list("raw/stream/events/") if s.key.endswith("_manifest.json")
    ]
    manifest = read_manifest(lake.raw, manifest_key)
    assert (manifest.rows_read, manifest.rows_accepted) == (len(lines), 1)
    listed = {f.key for f in manifest.files}
    assert {s.key for s in lake.raw.list("quarantine/stream/")} <= listed


def test_a_replayed_batch_reads_events_holding_a_carriage_return_whole(
    lake: Lake, tmp_path: Path
) -> None:
    """The raw object is split on the newlines the handler wrote, not on a "\\r" (JSON space)."""
    events = [e.encode().replace(b",", b",\r", 1) for e in sales(5)]
    lake.stream.put_records([Record("k", data) for data in events])
    store = CrashingStore(tmp_path / "processed", fail_at=1)
    crash_then_resume(lake, crashing=lambda handler: handler, processed=store, batch_size=50)
    handler = EventLandingHandler(lake.raw, lake.processed)
    consumer = StreamConsumer(lake.stream, lake.checkpoints, "concert-lake", handler)
    while consumer.poll_once():
        pass
    handler.close()
    assert handler.stats.replayed_batches == 1
    assert_exactly_once(lake, 5)
    assert _quarantined(lake) == []


def _mixed_batch(count: int) -> list[bytes]:
    """Valid sales with, in both halves, a bad payload, an unreadable line and a repeat."""
    lines = [e.encode() for e in sales(count)]
    for position in (count // 4, count * 3 // 4):
        payload = {**sale(position).model_dump(mode="json"), "quantity": 0}
        lines[position] = Event(f"bad{position}", "ticket_sale", NOW, payload).encode()
        lines[position + 1] = b"{not json"
        lines[position + 2] = lines[position // 2]
    return lines


def test_a_batch_split_across_lanes_validates_as_in_one_piece() -> None:
    lines = _mixed_batch(MIN_SPLIT_ROWS + 500)
    text = pa.array(lines, pa.binary()).cast(pa.string())
    spec = ENTITIES["ticket_sales"]
    lineage = Lineage("b1", "stream", NOW)
    whole, split = EventChecks(lanes=1), EventChecks(lanes=2)
    try:
        envelopes = whole.envelopes(text)
        assert split.envelopes(text).equals(envelopes)
        events = envelopes.filter(pc.equal(envelopes.column("event_type"), "ticket_sale"))
        one, two = whole.validate(events, spec, lineage), split.validate(events, spec, lineage)
    finally:
        whole.close()
        split.close()
    assert two.rows_read == one.rows_read == len(lines) - 2
    for name in ("accepted", "rejections", "quarantine"):
        assert getattr(two, name).equals(getattr(one, name)), name
    assert one.rows_rejected == 2


def test_a_batch_worth_splitting_lands_once_with_repeats_and_rows_numbered(lake: Lake) -> None:
    lines = _mixed_batch(MIN_SPLIT_ROWS + 500)
    lake.stream.put_records([Record("k", line) for line in lines])
    lake.consume()
    assert_exactly_once(lake, len(lines) - 6)
    rows = {q["row"]: q["errors"][0]["reason"] for q in _quarantined(lake)}
    for position in (len(lines) // 4, len(lines) * 3 // 4):
        assert rows[position + 1] == "Input should be greater than or equal to 1"
        assert rows[position + 2] == "invalid event: not a JSON object"
        first = position // 2 + 1
        assert rows[position + 3] == f"duplicate event_id 'e{position // 2}' (first in row {first})"


def test_a_handler_polled_again_after_a_failed_write_lands_the_batch_once(
    lake: Lake, tmp_path: Path
) -> None:
    publish_events(lake.stream, sales(20))
    handler = EventLandingHandler(lake.raw, CrashingStore(tmp_path / "processed", fail_at=1))
    consumer = StreamConsumer(lake.stream, lake.checkpoints, "concert-lake", handler)
    with pytest.raises(RuntimeError, match="crash"):
        consumer.poll_once()
    while consumer.poll_once():
        pass
    handler.close()
    assert handler.stats.replayed_batches == 1
    assert_exactly_once(lake, 20)
    assert _quarantined(lake) == []
