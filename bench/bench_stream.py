"""LocalEventStream durable append rate against a plain append-and-fdatasync file.

Small events (~100 bytes of JSON, partition keys drawn from 5,000 concerts)
are put in batches of 500 with ``put_records``, which returns once every
touched shard's segment file is synced: 2 shards, so 2 syncs a call. Its
per-record results are built lazily, so the calls timed here do not build
them. The baseline appends the same bytes (keys and data) batch by batch to
one file with one ``write`` and one ``fdatasync`` per batch: the least any
durable log must do. Records are built before the clock starts, as a
producer already holds them. Every round runs each case back to back in
fresh files; rates are the best round's, the time ratio is the median of the
rounds' ratios, since other work on a shared machine slows whole rounds.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from operator import truediv
from pathlib import Path

from bench.harness import Measurement, Section
from foundation.stream import LocalEventStream, Record

BATCH = 500
TARGET_RATE = 50_000
TARGET_RATIO = 2.0
_sync: Callable[[int], None] = getattr(os, "fdatasync", os.fsync)


def make_records(count: int, *, unique_keys: bool = False) -> list[Record]:
    return [
        Record(
            f"sale-{n:08d}" if unique_keys else f"concert-{n * 7919 % 5000:04d}",
            (
                f'{{"sale":{n},"concert":{n * 7919 % 5000},"tier":"floor","quantity":2,'
                f'"unit_price":89.5,"paid_by":"card"}}'
            ).encode(),
        )
        for n in range(count)
    ]


def put_batches(directory: Path, records: list[Record]) -> float:
    with LocalEventStream(directory, "bench", shard_count=2) as stream:
        started = time.perf_counter()
        for low in range(0, len(records), BATCH):
            stream.put_records(records[low : low + BATCH])
        return time.perf_counter() - started


def append_batches(path: Path, records: list[Record]) -> float:
    batches = [
        b"".join(r.partition_key.encode() + r.data for r in records[low : low + BATCH])
        for low in range(0, len(records), BATCH)
    ]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        started = time.perf_counter()
        for batch in batches:
            os.write(fd, batch)
            _sync(fd)
        return time.perf_counter() - started
    finally:
        os.close(fd)


def paired_rounds(rounds: int, runs: dict[str, Callable[[Path], float]]) -> dict[str, list[float]]:
    """Seconds of every run in every round; each round runs them back to back in fresh dirs."""
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    with tempfile.TemporaryDirectory(prefix="bench-stream-") as scratch:
        for round_number in range(rounds):
            for name, run_once in runs.items():
                directory = Path(scratch) / f"{name}-{round_number}"
                directory.mkdir()
                seconds[name].append(run_once(directory))
    return seconds


def run(quick: bool) -> Section:
    count = 5_000 if quick else 200_000
    repeated, unique = make_records(count), make_records(count, unique_keys=True)
    seconds = paired_rounds(
        1 if quick else 5,
        {
            "baseline": lambda directory: append_batches(directory / "log", repeated),
            "stream": lambda directory: put_batches(directory, repeated),
            "unique": lambda directory: put_batches(directory, unique),
        },
    )
    section = Section("Event stream: durable local append", " ".join(__doc__.split()))
    note = f"{count:,} events of ~100 bytes, batches of {BATCH}; best of {len(seconds['stream'])}"
    baseline, stream, unique_keys = (
        section.add(Measurement(title, count, min(seconds[name]), "events/s", text))
        for name, title, text in (
            ("baseline", "append + fdatasync per batch, 1 file (baseline)", note),
            ("stream", "LocalEventStream.put_records, 2 shards", note),
            ("unique", "LocalEventStream.put_records, 2 shards, every key new", note),
        )
    )
    # Each round's ratio compares runs seconds apart, under the same load from other work.
    ratio = statistics.median(map(truediv, seconds["stream"], seconds["baseline"]))
    unique_ratio = statistics.median(map(truediv, seconds["unique"], seconds["baseline"]))
    section.findings += [
        f"LocalEventStream appends {stream.rate:,.0f} durable events/s "
        f"({'meets' if stream.rate >= TARGET_RATE else 'MISSES'} the {TARGET_RATE:,}/s target).",
        f"It takes {ratio:.2f}x the baseline's time, median of the rounds' ratios "
        f"({'within' if ratio <= TARGET_RATIO else 'OUTSIDE'} the {TARGET_RATIO:.0f}x target; "
        f"best against best: {stream.seconds / baseline.seconds:.2f}x), syncing two shard files "
        "per call where the baseline syncs one.",
        f"With a new partition key on every record (MD5 for each) it appends "
        f"{unique_keys.rate:,.0f} events/s, {unique_ratio:.2f}x the baseline's time.",
    ]
    return section


if __name__ == "__main__":
    print(run(quick=False).to_markdown())
