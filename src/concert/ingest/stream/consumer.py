"""Landing stream micro-batches in the lake, exactly once per stream record.

:class:`EventLandingHandler` is the handler of a
:class:`foundation.stream.StreamConsumer`. Each micro-batch of one shard:

1. is written to the raw zone as JSON lines under a batch id derived from the
   shard and the first sequence number, with if-none-match and the last
   sequence number in the object's metadata. That object is the batch's
   write-ahead record: after a crash, the batch that starts at the same
   record finds it and replays exactly those records (from the raw object,
   so a different read size cannot change the batch), writing the same keys;
2. is validated with the SQL generated from the models (envelope first: JSON,
   event id, type, time; then the payload as the entity's fields);
3. lands accepted rows as processed Parquet partitioned by the event's own
   time (a late event lands in its old date partition, as part of the new
   batch), invalid ones in quarantine with reasons, and manifests last.

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
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pyarrow as pa
import pyarrow.compute as pc

from concert.domain.models import ENTITIES, EntitySpec
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
from concert.validation.constraints import (
    ZONE_REASON,
    sql_identifier,
    sql_string,
)
from concert.validation.engine import (
    ERROR_COLUMN,
    EXTRA_COLUMN,
    ROW_COLUMN,
    WHOLE_RECORD,
    Lineage,
    TableSlot,
    ValidationResult,
    Validator,
    connect,
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
_EVENT_ID = r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}"
_ZONED = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?"
    r"([Zz]|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])"
)


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


_BATCH_SCHEMA = pa.schema([pa.field(ROW_COLUMN, pa.int64()), pa.field("line", pa.string())])
_ENVELOPE = ("event_id", "event_type", "occurred_at")


def _payload_fields() -> list[str]:
    """Every field of every event type's entity, each once, in model order."""
    names: dict[str, None] = {}
    for entity in EVENT_ENTITIES.values():
        names.update(dict.fromkeys(ENTITIES[entity].fields))
    return list(names)


def _envelope_sql() -> str:
    """One JSON parse per event: envelope checks, every payload field, unknown payload keys."""
    fields = _payload_fields()
    paths = [f"$.{name}" for name in _ENVELOPE] + [f"$.payload.{name}" for name in fields]
    listed = "[" + ", ".join(sql_string(p) for p in paths) + "]"
    values = [
        f"v[{i}] AS {sql_identifier(name)}" for i, name in enumerate([*_ENVELOPE, *fields], start=1)
    ]
    extra = " ".join(
        f"WHEN v[2] = {sql_string(event_type)} THEN list_filter(keys, lambda k: NOT "
        f"list_contains([{', '.join(sql_string(f) for f in ENTITIES[entity].fields)}], k))"
        for event_type, entity in EVENT_ENTITIES.items()
    )
    types_ok = " OR ".join(f"v[2] = {sql_string(t)}" for t in EVENT_ENTITIES)
    return f"""
        WITH docs AS (
            SELECT {ROW_COLUMN}, line, json_valid(line) AS valid FROM _batch
        ),
        parsed AS (
            SELECT {ROW_COLUMN}, line,
                CASE WHEN valid THEN json_type(line, ['$', '$.payload']) END AS types,
                CASE WHEN valid THEN json_extract_string(line, {listed}) END AS v
            FROM docs
        ),
        keyed AS (
            SELECT *, CASE WHEN types[2] = 'OBJECT' THEN json_keys(line, '$.payload') END AS keys
            FROM parsed
        )
        SELECT {ROW_COLUMN}, line, {", ".join(values)},
            CASE {extra} END AS {EXTRA_COLUMN},
            CASE
                WHEN types IS NULL OR types[1] <> 'OBJECT'
                    THEN 'invalid event: not a JSON object'
                WHEN v[1] IS NULL OR NOT regexp_full_match(v[1], '{_EVENT_ID}')
                    THEN 'event_id is missing or not an identifier'
                WHEN v[2] IS NULL OR NOT ({types_ok})
                    THEN 'event_type must be one of {", ".join(EVENT_ENTITIES)}'
                WHEN v[3] IS NULL OR NOT regexp_full_match(v[3], '{_ZONED}')
                    THEN 'occurred_at {ZONE_REASON}'
                WHEN types[2] IS DISTINCT FROM 'OBJECT'
                    THEN 'payload must be a JSON object'
            END AS {ERROR_COLUMN}
        FROM keyed
    """  # noqa: S608 - generated from the models


def _events_schema(spec: EntitySpec) -> pa.Schema:
    """What the validator of an entity reads: its fields as text, plus row, extra, error."""
    return pa.schema(
        [
            pa.field(ROW_COLUMN, pa.int64()),
            *(pa.field(name, pa.string()) for name in spec.fields),
            pa.field(EXTRA_COLUMN, pa.list_(pa.string())),
            pa.field(ERROR_COLUMN, pa.string()),
        ]
    )


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
        self._seen: set[str] = set()
        self._seen_order: deque[list[str]] = deque()
        self._done: dict[str, int] = {}  # shard -> last sequence landed by this process
        self._lock = threading.Lock()
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="raw-events")
        # Planned once: planning the SQL costs as much as validating 10,000 events.
        self._con = connect()
        self._batch = TableSlot(_BATCH_SCHEMA)
        self._con.register("_batch", self._batch)
        self._con.execute(f"PREPARE _envelopes AS {_envelope_sql()}")
        self._slots: dict[str, TableSlot] = {}
        self._validators: dict[str, Validator] = {}
        for entity in EVENT_ENTITIES.values():
            spec = ENTITIES[entity]
            self._slots[entity] = TableSlot(_events_schema(spec))
            self._con.register(f"_events_{entity}", self._slots[entity])
            self._validators[entity] = Validator(self._con, spec, f"_events_{entity}", prepare=True)

    def close(self) -> None:
        self._writer.shutdown()
        for validator in self._validators.values():
            validator.close()
        self._con.close()

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
            records = [r for r in records if int(r.sequence_number) > done]
            if not records:
                return []
        first = records[0]
        batch_id = _batch_id(first)
        day = first.arrived_at.astimezone(UTC).date()
        key = raw_key(SOURCE, RAW_ENTITY, day, batch_id, "events.jsonl")
        lines = [record.data for record in records]
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
        outcome = self._validate_lines(lines, lineage)
        stored = writing.result()
        replayed = stored is None
        if stored is None:
            # The batch was begun before a crash: replay exactly its records.
            found = self.raw_store.get(key)
            stored, lines = found.info, found.body.splitlines()
            outcome = self._validate_lines(lines, lineage)
        self._remember_accepted(outcome)
        self._write(outcome, batch_id, day, _RawObject(stored.key, stored.size, stored.etag))
        self.stats.batches += 1
        self.stats.replayed_batches += int(replayed)
        self.stats.events_read += outcome.read
        self.stats.events_accepted += outcome.accepted
        self.stats.events_rejected += outcome.read - outcome.accepted
        last = int(stored.metadata["last-sequence"])
        self._done[shard] = last
        return [r for r in records if int(r.sequence_number) > last]

    def _put_raw(self, key: str, body: bytes, metadata: dict[str, str]) -> ObjectInfo | None:
        """The batch's raw lines, written once; None when they already are (a replay)."""
        try:
            return self.raw_store.put(
                key, body, content_type="application/x-ndjson", metadata=metadata,
                if_none_match=True,
            )  # fmt: skip
        except PreconditionFailedError:
            return None

    def _validate_lines(self, lines: list[bytes], lineage: Lineage) -> _BatchOutcome:
        envelopes = self._envelopes(lines)
        types = envelopes.column("event_type")
        known = pc.fill_null(pc.is_in(types, pa.array(list(EVENT_ENTITIES))), False)
        results: dict[str, ValidationResult] = {}
        for event_type, entity in EVENT_ENTITIES.items():
            chosen = envelopes.filter(pc.equal(types, event_type))
            if chosen.num_rows:
                results[entity] = self._validate(chosen, ENTITIES[entity], lineage)
        return _BatchOutcome(len(lines), envelopes, envelopes.filter(pc.invert(known)), results)

    def _envelopes(self, lines: list[bytes]) -> pa.Table:
        try:
            text = pa.array(lines, pa.binary()).cast(pa.string())
        except pa.ArrowInvalid:
            text = pa.array([line.decode("utf-8", "replace") for line in lines], pa.string())
        rows = pa.array(range(1, len(lines) + 1), pa.int64())
        self._batch.table = pa.table({ROW_COLUMN: rows, "line": text})
        envelopes = self._con.sql("EXECUTE _envelopes").to_arrow_table()
        return self._dedupe(envelopes)

    def _dedupe(self, envelopes: pa.Table) -> pa.Table:
        """Reject repeated event ids: within the batch and among the recent ones."""
        ids = envelopes.column("event_id").to_pylist()
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
        self._seen_order.append(ids)
        total = sum(map(len, self._seen_order))
        while total > self.recent_ids and len(self._seen_order) > 1:
            evicted = self._seen_order.popleft()
            total -= len(evicted)
            self._seen.difference_update(evicted)

    def _validate(self, events: pa.Table, spec: EntitySpec, lineage: Lineage) -> ValidationResult:
        self._slots[spec.name].table = events.select(_events_schema(spec).names)
        return self._validators[spec.name].validate(lineage)

    def _write(self, outcome: _BatchOutcome, batch_id: str, day: date, raw: _RawObject) -> None:
        files = [ManifestFile(key=raw.key, size=raw.size, etag=raw.etag, rows=outcome.read)]
        details: dict[str, str] = {}
        raw_manifest = manifest_key(Zone.RAW, RAW_ENTITY, day, batch_id, source=SOURCE)
        for entity, result in outcome.results.items():
            spec = ENTITIES[entity]
            partitions = split_by_month(result.accepted, spec.event_time, day)
            by_month: dict[date, list[LandedObject]] = {}
            for month, obj in land_processed(
                self.processed_store, spec, partitions, batch_id=batch_id
            ):
                by_month.setdefault(month, []).append(obj)
            write_processed_manifests(
                self.processed_store, spec, by_month, batch_id=batch_id, source=SOURCE,
                details={"raw_manifest": raw_manifest},
            )  # fmt: skip
            details[f"{entity}_accepted"] = str(result.rows_accepted)
            details[f"{entity}_rejected"] = str(result.rows_rejected)
            self.stats.by_entity[entity] = (
                self.stats.by_entity.get(entity, 0) + result.rows_accepted
            )
            if result.rows_rejected:
                files.append(
                    self._quarantine(entity, day, batch_id, result.quarantine.column("line"))
                )
        if outcome.unreadable.num_rows:
            lines = _unreadable_lines(outcome.unreadable)
            files.append(self._quarantine(RAW_ENTITY, day, batch_id, lines))
            details["events_unreadable"] = str(outcome.unreadable.num_rows)
        write_once(
            self.raw_store,
            raw_manifest,
            BatchManifest(
                batch_id=batch_id,
                zone=Zone.RAW,
                source=SOURCE,
                entity=RAW_ENTITY,
                files=files,
                rows_read=outcome.read,
                rows_accepted=outcome.accepted,
                rows_rejected=outcome.read - outcome.accepted,
                details=details,
            ),
        )

    def _quarantine(
        self, entity: str, day: date, batch_id: str, lines: pa.Array | pa.ChunkedArray
    ) -> ManifestFile:
        key = quarantine_key(SOURCE, entity, day, batch_id)
        landed = put_once(
            self.raw_store, key, jsonl_bytes([lines]), rows=len(lines),
            content_type="application/x-ndjson",
        )  # fmt: skip
        return landed.manifest_file()


@dataclass(frozen=True, slots=True)
class _RawObject:
    key: str
    size: int
    etag: str


@dataclass(frozen=True, slots=True)
class _BatchOutcome:
    read: int
    envelopes: pa.Table
    unreadable: pa.Table  # envelope rejections: row, line, error
    results: dict[str, ValidationResult]

    @property
    def accepted(self) -> int:
        return sum(r.rows_accepted for r in self.results.values())


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
