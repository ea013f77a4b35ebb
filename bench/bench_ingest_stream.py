"""Stream consumer throughput into the processed zone against an unvalidated drain.

Ticket-sale events (the documented envelope, about 330 bytes each, keyed by
concert over 5,000 concerts, event times within the last hour) are published
to a 2-shard LocalEventStream before the clock starts. The candidate is
an ``EventLandingHandler`` under a ``StreamConsumer`` (built, and its SQL
planned, before the clock starts): read 10,000-record batches per shard, validate envelope and
payload with the SQL generated from the models, dedupe event ids, write the raw
JSON lines, processed Parquet and manifests on local stores that fsync, then
checkpoint. The baseline, in the same run, reads the same records through a
StreamConsumer and writes them as one Parquet file of raw bytes to the same
kind of store, with no parsing or validation. Target: 50,000 events/s, durable.
Run alone with ``uv run python -m bench.bench_ingest_stream [--quick]``.
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from bench.harness import Measurement, Section
from concert.ingest.stream import EventLandingHandler
from foundation.objectstore import LocalObjectStore
from foundation.stream import (
    CheckpointStore,
    LocalEventStream,
    Record,
    StreamConsumer,
    StreamRecord,
)
from foundation.table import TableSpec
from foundation.table.sqlite import SqliteTable

TARGET_RATE = 50_000
BATCH = 10_000
PUBLISH_BATCH = 5_000


def _events(count: int) -> list[Record]:
    now = datetime.now(UTC)
    records = []
    for n in range(count):
        moment = (now - timedelta(seconds=n % 3_600)).strftime("%Y-%m-%dT%H:%M:%SZ")
        concert = f"con-{n * 7919 % 5_000:05d}"
        quantity, price = n % 4 + 1, 45.5 + n % 7
        data = (
            f'{{"event_id":"evt-{n:09d}","event_type":"ticket_sale","occurred_at":"{moment}",'
            f'"payload":{{"sale_id":"sal-{n:09d}","concert_id":"{concert}",'
            f'"customer_id":"cus-{n % 90_000:06d}","price_tier":"floor","quantity":{quantity},'
            f'"unit_price":{price},"total_price":{round(quantity * price, 2)},'
            f'"purchase_timestamp":"{moment}","payment_method":"credit_card"}}}}'
        )
        records.append(Record(concert, data.encode()))
    return records


def _checkpoints(root: Path) -> CheckpointStore:
    table = SqliteTable(root / "checkpoints.sqlite3", TableSpec(name="checkpoints"))
    table.create_if_missing()
    return CheckpointStore(table)


def _publish(root: Path, records: list[Record]) -> LocalEventStream:
    stream = LocalEventStream(root / "streams", "events", shard_count=2)
    for low in range(0, len(records), PUBLISH_BATCH):
        stream.put_records(records[low : low + PUBLISH_BATCH])
    return stream


def _consume(root: Path, stream: LocalEventStream, count: int) -> float:
    """Drain time of a running consumer (its SQL is planned once, at start, before the clock)."""
    raw, processed = LocalObjectStore(root / "raw"), LocalObjectStore(root / "processed")
    handler = EventLandingHandler(raw, processed)
    consumer = StreamConsumer(stream, _checkpoints(root), "lake", handler, batch_size=BATCH)
    started = time.perf_counter()
    while consumer.poll_once():
        pass
    seconds = time.perf_counter() - started
    handler.close()
    assert handler.stats.events_accepted == count, handler.stats
    return seconds


def _drain_baseline(root: Path, stream: LocalEventStream, count: int) -> float:
    store = LocalObjectStore(root / "baseline")
    datas: list[bytes] = []

    def collect(records: list[StreamRecord]) -> None:
        datas.extend(record.data for record in records)

    consumer = StreamConsumer(stream, _checkpoints(root / "baseline"), "baseline", collect,
                              batch_size=BATCH)  # fmt: skip
    started = time.perf_counter()
    while consumer.poll_once():
        pass
    sink = io.BytesIO()
    pq.write_table(pa.table({"data": pa.array(datas, pa.binary())}), sink)
    store.put("events.parquet", sink.getvalue())
    seconds = time.perf_counter() - started
    assert len(datas) == count
    return seconds


def run(quick: bool) -> Section:
    section = Section(
        title="Stream ingest with validation",
        description=(
            "A running `EventLandingHandler` consumer draining ticket-sale events from a "
            "2-shard LocalEventStream into the raw, processed and quarantine zones (validated "
            "with the SQL generated from the models, local stores with fsync, checkpoint after "
            "each durable batch) against the same records drained with no validation into one "
            "Parquet file, in the same run."
        ),
    )
    count = 10_000 if quick else 500_000
    records = _events(count)
    with tempfile.TemporaryDirectory(prefix="bench-stream-") as folder:
        root = Path(folder)
        (root / "baseline").mkdir()
        stream = _publish(root, records)
        baseline = _drain_baseline(root, stream, count)
        seconds = _consume(root, stream, count)
        stream.close()
    candidate = section.add(Measurement("consumer into the lake", count, seconds, "events/s",
                                        "validated, durable"))  # fmt: skip
    plain = section.add(Measurement("drain to one Parquet file", count, baseline, "events/s",
                                    "baseline, no validation"))  # fmt: skip
    verdict = "meets" if candidate.rate >= TARGET_RATE else "misses"
    section.findings.append(
        f"{candidate.rate:,.0f} events/s through the consumer into the processed zone "
        f"({verdict} the {TARGET_RATE:,}/s target), {plain.rate / candidate.rate:.1f}x the time "
        f"of draining the same events unvalidated ({plain.rate:,.0f}/s)."
    )
    return section


if __name__ == "__main__":
    sys.stdout.write(run(quick="--quick" in sys.argv).to_markdown())
