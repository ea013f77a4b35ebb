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
kind of store, with no parsing or validation. Both drain the stream several
times, alternating (each round with a fresh checkpoint group and stores): the
rates are the best round's, the time ratio is the median of the rounds' ratios.
Target: 50,000 events/s, durable.

Growth rows then drain one stream grown to 100,000, 1,000,000 and 10,000,000
events (each row a fresh consumer reading from the start); a row whose
estimated publish and drain time exceeds ``GROWTH_BUDGET_SECONDS`` is skipped
with a note. Run alone with ``uv run python -m bench.bench_ingest_stream [--quick]``.
"""

from __future__ import annotations

import io
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from operator import truediv
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
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
GROWTH_BUDGET_SECONDS = 180.0
LINEAR_SPREAD = 0.25  # time per event within +-25% of the mean across sizes reads as linear
_MOMENTS = 3_600
_CONCERTS = 5_000


def _moments(now: datetime) -> pa.Array:
    """The event times: the seconds of the hour before ``now``."""
    return pa.array(
        [(now - timedelta(seconds=s)).strftime("%Y-%m-%dT%H:%M:%SZ") for s in range(_MOMENTS)]
    )


def _events(low: int, high: int, moments: pa.Array) -> list[Record]:
    """Events ``low`` to ``high`` of the workload (event ``n`` is the same in every run).

    Built column by column with Arrow: 10,000,000 events publish in about a minute.
    """
    n = np.arange(low, high, dtype=np.int64)
    moment = moments.take(pa.array(n % _MOMENTS))
    concert = pc.binary_join_element_wise("con-", _digits(n * 7919 % _CONCERTS, 5), "")
    quantity, price = n % 4 + 1, n % 7
    # Python's float text ("91.0"), which Arrow's cast would shorten to "91".
    prices = [45.5 + p for p in range(7)]
    totals = [str(round(q * p, 2)) for q in range(1, 5) for p in prices]
    pieces = [
        '{"event_id":"evt-', _digits(n, 9), '","event_type":"ticket_sale","occurred_at":"',
        moment, '","payload":{"sale_id":"sal-', _digits(n, 9), '","concert_id":"', concert,
        '","customer_id":"cus-', _digits(n % 90_000, 6),
        '","price_tier":"floor","quantity":', pa.array(quantity).cast(pa.string()),
        ',"unit_price":', pa.array([str(p) for p in prices]).take(pa.array(price)),
        ',"total_price":', pa.array(totals).take(pa.array((quantity - 1) * 7 + price)),
        ',"purchase_timestamp":"', moment, '","payment_method":"credit_card"}}',
    ]  # fmt: skip
    datas = pc.binary_join_element_wise(*pieces, "").cast(pa.binary())
    return list(map(Record, concert.to_pylist(), datas.to_pylist()))


def _digits(values: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pa.array(values).cast(pa.string()), width, "0")


def _checkpoints(root: Path) -> CheckpointStore:
    table = SqliteTable(root / "checkpoints.sqlite3", TableSpec(name="checkpoints"))
    table.create_if_missing()
    return CheckpointStore(table)


def _publish(stream: LocalEventStream, low: int, high: int, now: datetime) -> float:
    """Put events ``low`` to ``high`` on the stream (never all in memory); returns the seconds."""
    started = time.perf_counter()
    moments = _moments(now)
    for start in range(low, high, PUBLISH_BATCH):
        stream.put_records(_events(start, min(start + PUBLISH_BATCH, high), moments))
    return time.perf_counter() - started


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

    consumer = StreamConsumer(stream, _checkpoints(root), "baseline", collect, batch_size=BATCH)
    started = time.perf_counter()
    while consumer.poll_once():
        pass
    sink = io.BytesIO()
    pq.write_table(pa.table({"data": pa.array(datas, pa.binary())}), sink)
    store.put("events.parquet", sink.getvalue())
    seconds = time.perf_counter() - started
    assert len(datas) == count
    return seconds


def _fresh(root: Path, name: str) -> Path:
    """An empty folder for one drain's checkpoints and stores (the last one's is removed)."""
    shutil.rmtree(root, ignore_errors=True)
    folder = root / name
    folder.mkdir(parents=True)
    return folder


def run(quick: bool) -> Section:
    section = Section(
        title="Stream ingest with validation",
        description=(
            "A running `EventLandingHandler` consumer draining ticket-sale events from a "
            "2-shard LocalEventStream into the raw, processed and quarantine zones (validated "
            "with the SQL generated from the models, local stores with fsync, checkpoint after "
            "each durable batch) against the same records drained with no validation into one "
            "Parquet file, in the same run; best of alternating rounds, the ratio is the median "
            "of the rounds' ratios. Growth rows drain one stream grown to each size."
        ),
    )
    count = 10_000 if quick else 500_000
    rounds = 1 if quick else 3
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="bench-stream-") as folder:
        root = Path(folder)
        stream = LocalEventStream(root / "streams", "events", shard_count=2)
        publish_seconds = _publish(stream, 0, count, now)
        consumer: list[float] = []
        baseline: list[float] = []
        for _ in range(rounds):
            baseline.append(_drain_baseline(_fresh(root / "run", "baseline"), stream, count))
            consumer.append(_consume(_fresh(root / "run", "consumer"), stream, count))
        stream.close()
        shutil.rmtree(root / "streams")
        candidate = section.add(Measurement("consumer into the lake", count, min(consumer),
                                            "events/s", "validated, durable"))  # fmt: skip
        plain = section.add(Measurement("drain to one Parquet file", count, min(baseline),
                                        "events/s", "baseline, no validation"))  # fmt: skip
        ratio = statistics.median(map(truediv, consumer, baseline))
        verdict = "meets" if candidate.rate >= TARGET_RATE else "misses"
        section.findings.append(
            f"{candidate.rate:,.0f} events/s through the consumer into the processed zone "
            f"({verdict} the {TARGET_RATE:,}/s target), {ratio:.1f}x the time of draining the "
            f"same events unvalidated ({plain.rate:,.0f}/s)."
        )
        rates = (publish_seconds / count, min(consumer) / count)
        _growth(section, root / "growth", quick, now, rates)
    return section


def _growth(
    section: Section, root: Path, quick: bool, now: datetime, rates: tuple[float, float]
) -> None:
    """Drain one stream grown to each size: the time per event should stay flat.

    ``rates`` are the seconds per event to publish and to drain, last measured.
    """
    sizes = [1_000, 3_000] if quick else [100_000, 1_000_000, 10_000_000]
    stream = LocalEventStream(root / "streams", "events", shard_count=2)
    published = 0
    per_event: list[float] = []
    try:
        for size in sizes:
            estimate = (size - published) * rates[0] + size * rates[1]
            if not quick and estimate > GROWTH_BUDGET_SECONDS:
                section.findings.append(
                    f"growth: {size:,} events skipped: publishing and draining them would take "
                    f"about {estimate:.0f} s, over the {GROWTH_BUDGET_SECONDS:.0f} s budget of "
                    "this row."
                )
                continue
            publish_seconds = _publish(stream, published, size, now)
            seconds = _consume(_fresh(root / "run", "consumer"), stream, size)
            rates = (publish_seconds / (size - published), seconds / size)
            published = size
            per_event.append(seconds / size * 1e6)
            section.add(Measurement(f"growth: consumer into the lake, {size:,} events", size,
                                    seconds, "events/s", "validated, durable"))  # fmt: skip
    finally:
        stream.close()
        shutil.rmtree(root, ignore_errors=True)
    if len(per_event) > 1:
        mean = statistics.mean(per_event)
        spread = max(abs(value / mean - 1) for value in per_event)
        verdict = "flat: linear" if spread <= LINEAR_SPREAD else "not flat"
        section.findings.append(
            "Time per event across the growth rows: "
            + ", ".join(f"{value:.1f} µs" for value in per_event)
            + f" ({verdict}, within {spread:.0%} of their mean)."
        )


if __name__ == "__main__":
    sys.stdout.write(run(quick="--quick" in sys.argv).to_markdown())
