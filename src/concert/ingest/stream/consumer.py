"""Landing stream micro-batches in the lake, exactly once per stream record.

:class:`EventLandingHandler` is the handler of a
:class:`foundation.stream.StreamConsumer`. Each micro-batch of one shard:

1. is written to the raw zone as JSON lines under a batch id derived from the
   shard and the first sequence number, with if-none-match and the last
   sequence number in the object's metadata. That object is the batch's
   write-ahead record: after a crash, the batch that starts at the same
   record finds it and replays exactly those records (from the raw object,
   so a different read size cannot change the batch), writing the same keys;
2. is validated, while that write syncs, with the SQL generated from the
   models (envelope first: JSON, event id, type, time; then the payload as
   the entity's fields), in halves on two cores (:mod:`.checks`);
3. lands accepted rows as processed Parquet partitioned by the event's own
   time (a late event lands in its old date partition, as part of the new
   batch) and invalid ones in quarantine with reasons, all at once, then the
   manifests, together, once every object they name is durable.

Only then does the handler return and the consumer move its checkpoint, so a
crash anywhere loses nothing and duplicates nothing in the processed zone.

Duplicate event ids (a producer that retried a put): the second copy is
rejected, with the reason, when it is in the same batch or among the last
``recent_ids`` event ids this handler saw. Older duplicates (or ones seen by a
previous process) reach the processed zone and are removed by the warehouse
staging models, which keep one row per entity key.
"""

from __future__ import annotations

import json
import threading
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from operator import attrgetter
from typing import Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from concert.domain.models import ENTITIES
from concert.ingest.stream.checks import EventChecks
from concert.ingest.stream.events import EVENT_ENTITIES
from concert.lake import (
    BatchManifest,
    ManifestFile,
    Zone,
    manifest_key,
    quarantine_key,
    raw_key,
    split_by_month,
)
from concert.validation.engine import (
    ERROR_COLUMN,
    ROW_COLUMN,
    WHOLE_RECORD,
    Lineage,
    ValidationResult,
)
from concert.validation.landing import (
    LandedObject,
    jsonl_bytes,
    land_processed,
    put_once,
    write_once,
    write_processed_manifests,
)
from foundation.objectstore import ObjectInfo, ObjectStore, PreconditionFailedError
from foundation.stream import CheckpointStore, EventStream, StreamConsumer, StreamRecord

SOURCE = "stream"
RAW_ENTITY = "events"
DEFAULT_RECENT_IDS = 1_000_000
_WRITERS = 4  # objects of one batch written at once: processed parts, quarantines, manifests


@dataclass
class ConsumerStats:
    """Running totals of what the handler landed."""

    batches: int = 0
    replayed_batches: int = 0
    events_read: int = 0
    events_accepted: int = 0
    events_rejected: int = 0
    by_entity: dict[str, int] = field(default_factory=dict)


def _batch_id(record: StreamRecord) -> str:
    shard = record.shard_id.rsplit("-", 1)[-1].lstrip("0") or "0"
    return f"s{shard}-{record.sequence_number}"


_data = attrgetter("data")


class EventLandingHandler:
    """The :class:`StreamConsumer` handler that lands events (see the module docstring)."""

    def __init__(
        self,
        raw_store: ObjectStore,
        processed_store: ObjectStore,
        *,
        recent_ids: int = DEFAULT_RECENT_IDS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.raw_store = raw_store
        self.processed_store = processed_store
        self.recent_ids = recent_ids
        self.clock = clock
        self.stats = ConsumerStats()
        # Each batch's ids as a tuple, not a list: the garbage collector stops tracking a tuple
        # of strings, so full collections do not walk a million ids twice.
        self._seen: set[str] = set()
        self._seen_order: deque[tuple[str, ...]] = deque()
        self._done: dict[str, int] = {}  # shard -> last sequence landed by this process
        self._lock = threading.Lock()
        # The raw write, then a batch's data objects, then its manifests, each set at once.
        self._writer = ThreadPoolExecutor(_WRITERS, thread_name_prefix="land-events")
        self._checks = EventChecks()

    def close(self) -> None:
        self._writer.shutdown()
        self._checks.close()

    def __call__(self, records: list[StreamRecord]) -> None:
        with self._lock:
            while records:
                records = self._land_next(records)

    # -- one batch ------------------------------------------------------------------------------

    def _land_next(self, records: list[StreamRecord]) -> list[StreamRecord]:
        """Land the batch starting at ``records[0]``; returns the records after it."""
        shard = records[0].shard_id
        done = self._done.get(shard)
        if done is not None:
            records = records[_after(records, done) :]
            if not records:
                return []
        first = records[0]
        batch_id = _batch_id(first)
        day = first.arrived_at.astimezone(UTC).date()
        key = raw_key(SOURCE, RAW_ENTITY, day, batch_id, "events.jsonl")
        lines = list(map(_data, records))
        body = b"\n".join(lines) + b"\n"
        if body.count(b"\n") != len(lines):  # newlines inside an event are JSON whitespace
            lines = [line.replace(b"\n", b" ") for line in lines]
            body = b"\n".join(lines) + b"\n"
        metadata = {
            "shard": shard,
            "first-sequence": first.sequence_number,
            "last-sequence": records[-1].sequence_number,
            "records": str(len(records)),
        }
        # The raw write (its fsync) runs while the batch is validated; nothing else is
        # written before it is durable.
        writing = self._writer.submit(self._put_raw, key, body, metadata)
        lineage = Lineage(batch_id, SOURCE, self.clock())
        outcome = self._validate_lines(lines, body, lineage)
        stored = writing.result()
        replayed = stored is None
        if stored is None:
            # The batch was begun before a crash: replay exactly its records.
            found = self.raw_store.get(key)
            stored, body = found.info, found.body
            # Split on the newlines the write put there only: an event may hold a "\r".
            outcome = self._validate_lines(body.split(b"\n")[:-1], body, lineage)
        self._write(outcome, batch_id, day, _RawObject(stored.key, stored.size, stored.etag))
        # Only once landed: a batch that failed and is handed over again must not find its
        # own events "already ingested".
        self._remember_accepted(outcome)
        self.stats.batches += 1
        self.stats.replayed_batches += int(replayed)
        self.stats.events_read += outcome.read
        self.stats.events_accepted += outcome.accepted
        self.stats.events_rejected += outcome.read - outcome.accepted
        last = int(stored.metadata["last-sequence"])
        self._done[shard] = last
        return records[_after(records, last) :]

    def _put_raw(self, key: str, body: bytes, metadata: dict[str, str]) -> ObjectInfo | None:
        """The batch's raw lines, written once; None when they already are (a replay)."""
        try:
            return self.raw_store.put(
                key, body, content_type="application/x-ndjson", metadata=metadata,
                if_none_match=True,
            )  # fmt: skip
        except PreconditionFailedError:
            return None

    def _validate_lines(self, lines: list[bytes], body: bytes, lineage: Lineage) -> _BatchOutcome:
        text = _text(lines, body)
        envelopes, ids = self._envelopes(text)
        types = envelopes.column("event_type")
        results: dict[str, ValidationResult] = {}
        typed = 0
        for event_type, entity in EVENT_ENTITIES.items():
            chosen = pc.fill_null(pc.equal(types, event_type), False)
            count = pc.sum(chosen).as_py() or 0
            if count:
                # The usual batch holds one type: no copy of its columns.
                events = envelopes if count == len(lines) else envelopes.filter(chosen)
                results[entity] = self._checks.validate(events, ENTITIES[entity], lineage)
                typed += count
        unreadable = _unreadable(envelopes, text) if typed < len(lines) else None
        return _BatchOutcome(len(lines), envelopes, ids, unreadable, results)

    def _envelopes(self, text: pa.Array) -> tuple[pa.Table, list[str | None]]:
        """The envelope of every line, and the event ids (repeated ones rejected)."""
        envelopes = self._checks.envelopes(text)
        ids: list[str | None] = envelopes.column("event_id").to_pylist()
        return self._dedupe(envelopes, ids), ids

    def _dedupe(self, envelopes: pa.Table, ids: list[str | None]) -> pa.Table:
        """Reject repeated event ids: within the batch and among the recent ones."""
        unique = set(ids)
        if len(unique) == len(ids) and unique.isdisjoint(self._seen):
            return envelopes  # the usual batch: set operations in C, no loop
        errors = envelopes.column(ERROR_COLUMN).to_pylist()
        first_row: dict[str, int] = {}
        for index, (event_id, error) in enumerate(zip(ids, errors, strict=True)):
            if error is not None or event_id is None:
                continue
            if event_id in first_row:
                errors[index] = (
                    f"duplicate event_id {event_id!r} (first in row {first_row[event_id]})"
                )
            elif event_id in self._seen:
                errors[index] = f"duplicate event_id {event_id!r}: already ingested recently"
            else:
                first_row[event_id] = index + 1
        index = envelopes.schema.get_field_index(ERROR_COLUMN)
        return envelopes.set_column(index, ERROR_COLUMN, pa.array(errors, pa.string()))

    def _remember_accepted(self, outcome: _BatchOutcome) -> None:
        """Only accepted events count as seen: a rejected one may be sent again, fixed."""
        if outcome.accepted == outcome.read:
            # Every event was accepted, so every id is a distinct identifier.
            self._remember(cast(list[str], outcome.ids))
            return
        envelopes = outcome.envelopes
        rejected = pa.concat_arrays(
            [pa.array([], pa.int64())]
            + [r.quarantine.column("row").combine_chunks() for r in outcome.results.values()]
        )
        accepted = pc.and_(
            pc.is_null(envelopes.column(ERROR_COLUMN)),
            pc.invert(pc.is_in(envelopes.column(ROW_COLUMN), rejected)),
        )
        self._remember(envelopes.column("event_id").filter(accepted).to_pylist())

    def _remember(self, ids: list[str]) -> None:
        self._seen.update(ids)
        self._seen_order.append(tuple(ids))
        total = sum(map(len, self._seen_order))
        while total > self.recent_ids and len(self._seen_order) > 1:
            evicted = self._seen_order.popleft()
            total -= len(evicted)
            self._seen.difference_update(evicted)

    def _write(self, outcome: _BatchOutcome, batch_id: str, day: date, raw: _RawObject) -> None:
        """Processed parts and quarantine objects at once, then every manifest at once.

        Data objects are durable before any manifest names them; the fsyncs of
        objects written together overlap (they release the GIL).
        """
        raw_manifest = manifest_key(Zone.RAW, RAW_ENTITY, day, batch_id, source=SOURCE)
        landing = {
            entity: self._writer.submit(self._land, entity, result, batch_id, day)
            for entity, result in outcome.results.items()
        }
        quarantines = [
            self._writer.submit(self._quarantine, entity, day, batch_id, lines)
            for entity, lines in _quarantined_lines(outcome)
        ]
        _wait_all([*landing.values(), *quarantines])
        manifests: list[Future[object]] = [
            self._writer.submit(
                write_processed_manifests,
                self.processed_store,
                ENTITIES[entity],
                _by_month(written.result()),
                batch_id=batch_id,
                source=SOURCE,
                details={"raw_manifest": raw_manifest},
            )
            for entity, written in landing.items()
        ]
        files = [ManifestFile(key=raw.key, size=raw.size, etag=raw.etag, rows=outcome.read)]
        files += [future.result() for future in quarantines]
        manifest = BatchManifest(
            batch_id=batch_id,
            zone=Zone.RAW,
            source=SOURCE,
            entity=RAW_ENTITY,
            files=files,
            rows_read=outcome.read,
            rows_accepted=outcome.accepted,
            rows_rejected=outcome.read - outcome.accepted,
            details=_counts(outcome),
        )
        manifests.append(self._writer.submit(write_once, self.raw_store, raw_manifest, manifest))
        _wait_all(manifests)
        for entity, result in outcome.results.items():
            self.stats.by_entity[entity] = (
                self.stats.by_entity.get(entity, 0) + result.rows_accepted
            )

    def _land(
        self, entity: str, result: ValidationResult, batch_id: str, day: date
    ) -> list[tuple[date, LandedObject]]:
        spec = ENTITIES[entity]
        partitions = split_by_month(result.accepted, spec.event_time, day)
        return land_processed(self.processed_store, spec, partitions, batch_id=batch_id)

    def _quarantine(
        self, entity: str, day: date, batch_id: str, lines: pa.Array | pa.ChunkedArray
    ) -> ManifestFile:
        key = quarantine_key(SOURCE, entity, day, batch_id)
        landed = put_once(
            self.raw_store, key, jsonl_bytes([lines]), rows=len(lines),
            content_type="application/x-ndjson",
        )  # fmt: skip
        return landed.manifest_file()


def _after(records: list[StreamRecord], sequence: int) -> int:
    """The index of the first record after ``sequence`` (records are in sequence order)."""
    return bisect_right(records, sequence, key=_sequence)


def _sequence(record: StreamRecord) -> int:
    return int(record.sequence_number)


def _text(lines: list[bytes], body: bytes) -> pa.Array:
    """The lines as Arrow strings on ``body`` itself (the lines, each closed by a newline).

    No copy: each string keeps its closing newline, which JSON reads as
    whitespace. Invalid UTF-8 is decoded with replacement characters.
    """
    ends = np.cumsum(np.fromiter(map(len, lines), np.int64, len(lines)) + 1)
    offsets = np.concatenate([np.zeros(1, np.int64), ends])
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(body)]
    try:
        return pa.Array.from_buffers(pa.large_binary(), len(lines), buffers).cast(pa.large_string())
    except pa.ArrowInvalid:
        decoded = [line.decode("utf-8", "replace") + "\n" for line in lines]
        return pa.array(decoded, pa.large_string())


def _wait_all(futures: Sequence[Future[Any]]) -> None:
    """Wait for every write, then raise the first failure: none is left running behind it."""
    wait(futures)
    for future in futures:
        future.result()


def _quarantined_lines(outcome: _BatchOutcome) -> list[tuple[str, pa.Array | pa.ChunkedArray]]:
    """The quarantine lines of a batch, by entity (``events`` for those of no known type)."""
    found: list[tuple[str, pa.Array | pa.ChunkedArray]] = [
        (entity, result.quarantine.column("line"))
        for entity, result in outcome.results.items()
        if result.rows_rejected
    ]
    if outcome.unreadable is not None:
        found.append((RAW_ENTITY, _unreadable_lines(outcome.unreadable)))
    return found


def _counts(outcome: _BatchOutcome) -> dict[str, str]:
    """The raw manifest's details: accepted and rejected per entity, unreadable events."""
    counts: dict[str, str] = {}
    for entity, result in outcome.results.items():
        counts[f"{entity}_accepted"] = str(result.rows_accepted)
        counts[f"{entity}_rejected"] = str(result.rows_rejected)
    if outcome.unreadable is not None:
        counts["events_unreadable"] = str(outcome.unreadable.num_rows)
    return counts


def _by_month(written: list[tuple[date, LandedObject]]) -> dict[date, list[LandedObject]]:
    by_month: dict[date, list[LandedObject]] = {}
    for month, obj in written:
        by_month.setdefault(month, []).append(obj)
    return by_month


@dataclass(frozen=True, slots=True)
class _RawObject:
    key: str
    size: int
    etag: str


@dataclass(frozen=True, slots=True)
class _BatchOutcome:
    read: int
    envelopes: pa.Table
    ids: list[str | None]  # each line's event id, as read
    unreadable: pa.Table | None  # events of no known type: row, error, line
    results: dict[str, ValidationResult]

    @property
    def accepted(self) -> int:
        return sum(r.rows_accepted for r in self.results.values())


def _unreadable(envelopes: pa.Table, text: pa.Array) -> pa.Table:
    """The events of no known type (each has its envelope error), with their lines."""
    known = pc.is_in(envelopes.column("event_type"), pa.array(list(EVENT_ENTITIES)))
    unknown = envelopes.filter(pc.invert(pc.fill_null(known, False)))
    rows = unknown.column(ROW_COLUMN)
    return pa.table(
        {
            ROW_COLUMN: rows,
            ERROR_COLUMN: unknown.column(ERROR_COLUMN),
            "line": pc.utf8_rtrim(pc.take(text, pc.subtract(rows, 1)), "\n"),
        }
    )


def _unreadable_lines(unreadable: pa.Table) -> pa.Array:
    rows = unreadable.column(ROW_COLUMN).to_pylist()
    errors = unreadable.column(ERROR_COLUMN).to_pylist()
    lines = unreadable.column("line").to_pylist()
    return pa.array(
        [
            json.dumps(
                {
                    "row": row,
                    "errors": [{"field": WHOLE_RECORD, "reason": error}],
                    "record": {"line": line},
                }
            )
            for row, error, line in zip(rows, errors, lines, strict=True)
        ],
        pa.string(),
    )


@dataclass(frozen=True, slots=True)
class ConsumeReport:
    """What draining the stream landed."""

    polls: int
    stats: ConsumerStats


def consume_events(
    stream: EventStream,
    checkpoints: CheckpointStore,
    *,
    raw_store: ObjectStore,
    processed_store: ObjectStore,
    group: str = "concert-lake",
    batch_size: int = 10_000,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> ConsumeReport:
    """Land every event on the stream after the group's checkpoints, until none is left."""
    handler = EventLandingHandler(raw_store, processed_store)
    consumer = StreamConsumer(stream, checkpoints, group, handler, batch_size=batch_size)
    polls = 0
    try:
        while consumer.poll_once():
            polls += 1
            if progress is not None:
                progress("stream", handler.stats.events_read, None)
    finally:
        handler.close()
    return ConsumeReport(polls, handler.stats)


__all__ = [
    "DEFAULT_RECENT_IDS",
    "RAW_ENTITY",
    "SOURCE",
    "ConsumeReport",
    "ConsumerStats",
    "EventLandingHandler",
    "consume_events",
]
