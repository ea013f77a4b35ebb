"""The SQL side of landing events: envelope checks, then each entity's validation.

:class:`EventChecks` plans the generated SQL once per DuckDB connection
(*lane*) and runs a batch split across its lanes at once: DuckDB releases the
GIL, so two lanes validate a 10,000-event batch on both cores while a single
connection would scan its one Arrow chunk on one. Halves are numbered by their
rows in the whole batch and joined back in order, so the result is the same
rows in the same order as validating the batch in one piece.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from itertools import pairwise
from typing import TypeVar

import pyarrow as pa

from concert.domain.models import ENTITIES, EntitySpec
from concert.ingest.stream.events import EVENT_ENTITIES
from concert.validation.constraints import ZONE_REASON, sql_identifier, sql_string
from concert.validation.engine import (
    ERROR_COLUMN,
    EXTRA_COLUMN,
    ROW_COLUMN,
    Lineage,
    TableSlot,
    ValidationResult,
    Validator,
    connect,
)

_T = TypeVar("_T")
# Measured on 2 shared cores: about 10% more events/s than one lane, for about 10% more CPU.
LANES = 2
MIN_SPLIT_ROWS = 2_000  # below this a batch is validated in one piece: halves would not pay
_EVENT_ID = r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}"
_ZONED = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?"
    r"([Zz]|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])"
)
_BATCH_SCHEMA = pa.schema([pa.field(ROW_COLUMN, pa.int64()), pa.field("line", pa.large_string())])
_ENVELOPE = ("event_id", "event_type", "occurred_at")


def _payload_fields() -> list[str]:
    """Every field of every event type's entity, each once, in model order."""
    names: dict[str, None] = {}
    for entity in EVENT_ENTITIES.values():
        names.update(dict.fromkeys(ENTITIES[entity].fields))
    return list(names)


def _envelope_sql() -> str:
    """Envelope checks, every payload field and unknown payload keys, in three JSON parses.

    A usual event is parsed by ``json_valid`` (the others raise on bad JSON),
    then once for every value at once and once for the payload's keys. A value
    found at ``$.event_id`` proves the event an object, and a payload key
    proves the payload one; only events that prove neither pay a fourth parse
    (``json_type``) to tell which reason applies.
    """
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
        WITH parsed AS (
            SELECT {ROW_COLUMN},
                CASE WHEN json_valid(line) THEN json_extract_string(line, {listed}) END AS v,
                line
            FROM _batch
        ),
        keyed AS (
            SELECT *, CASE WHEN v IS NOT NULL THEN json_keys(line, '$.payload') END AS keys
            FROM parsed
        ),
        typed AS (
            SELECT *,
                CASE WHEN v[1] IS NOT NULL THEN 'OBJECT'
                    WHEN v IS NOT NULL THEN json_type(line) END AS event_json,
                CASE WHEN len(keys) > 0 THEN 'OBJECT'
                    WHEN keys IS NOT NULL THEN json_type(line, '$.payload') END AS payload_json
            FROM keyed
        )
        SELECT {ROW_COLUMN}, {", ".join(values)},
            CASE WHEN payload_json = 'OBJECT' THEN CASE {extra} END END AS {EXTRA_COLUMN},
            CASE
                WHEN event_json IS DISTINCT FROM 'OBJECT'
                    THEN 'invalid event: not a JSON object'
                WHEN v[1] IS NULL OR NOT regexp_full_match(v[1], '{_EVENT_ID}')
                    THEN 'event_id is missing or not an identifier'
                WHEN v[2] IS NULL OR NOT ({types_ok})
                    THEN 'event_type must be one of {", ".join(EVENT_ENTITIES)}'
                WHEN v[3] IS NULL OR NOT regexp_full_match(v[3], '{_ZONED}')
                    THEN 'occurred_at {ZONE_REASON}'
                WHEN payload_json IS DISTINCT FROM 'OBJECT'
                    THEN 'payload must be a JSON object'
            END AS {ERROR_COLUMN}
        FROM typed
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


class _Lane:
    """One connection with the envelope and every entity's validation planned on it.

    Planned once: planning the SQL costs as much as validating 10,000 events.
    One DuckDB thread: a lane scans one Arrow chunk, which DuckDB does on one.
    """

    def __init__(self) -> None:
        self.con = connect(threads=1)
        self.batch = TableSlot(_BATCH_SCHEMA)
        self.con.register("_batch", self.batch)
        self.con.execute(f"PREPARE _envelopes AS {_envelope_sql()}")
        self.slots: dict[str, TableSlot] = {}
        self.validators: dict[str, Validator] = {}
        for entity in EVENT_ENTITIES.values():
            spec = ENTITIES[entity]
            self.slots[entity] = TableSlot(_events_schema(spec))
            self.con.register(f"_events_{entity}", self.slots[entity])
            self.validators[entity] = Validator(self.con, spec, f"_events_{entity}", prepare=True)

    def envelopes(self, text: pa.Array, first_row: int) -> pa.Table:
        rows = pa.array(range(first_row, first_row + len(text)), pa.int64())
        self.batch.table = pa.table({ROW_COLUMN: rows, "line": text})
        return self.con.sql("EXECUTE _envelopes").to_arrow_table()

    def validate(self, events: pa.Table, spec: EntitySpec, lineage: Lineage) -> ValidationResult:
        slot = self.slots[spec.name]
        slot.table = events.select(slot.table.schema.names)
        return self.validators[spec.name].validate(lineage)

    def close(self) -> None:
        for validator in self.validators.values():
            validator.close()
        self.con.close()


class EventChecks:
    """Envelope checks and entity validation of event lines, on ``lanes`` connections."""

    def __init__(self, lanes: int = LANES) -> None:
        self._lanes = [_Lane() for _ in range(max(lanes, 1))]
        self._pool = ThreadPoolExecutor(max(lanes - 1, 1), thread_name_prefix="event-sql")

    def close(self) -> None:
        self._pool.shutdown()
        for lane in self._lanes:
            lane.close()

    def envelopes(self, text: pa.Array) -> pa.Table:
        """Per line (rows numbered from 1): ``_row``, the envelope and every payload field as
        text, unknown payload keys (``_extra``) and why the envelope is wrong (``_error``)."""
        pieces = self._pieces(len(text))
        return pa.concat_tables(
            self._on_lanes(
                lambda lane, low, high: lane.envelopes(text.slice(low, high - low), low + 1),
                pieces,
            )
        )

    def validate(self, events: pa.Table, spec: EntitySpec, lineage: Lineage) -> ValidationResult:
        """Validate rows of :meth:`envelopes` (those of ``spec``'s event type) as ``spec``."""
        results = self._on_lanes(
            lambda lane, low, high: lane.validate(events.slice(low, high - low), spec, lineage),
            self._pieces(events.num_rows),
        )
        if len(results) == 1:
            return results[0]
        return ValidationResult(
            entity=spec.name,
            rows_read=sum(r.rows_read for r in results),
            accepted=pa.concat_tables([r.accepted for r in results]),
            rejections=pa.concat_tables([r.rejections for r in results]),
            quarantine=pa.concat_tables([r.quarantine for r in results]),
        )

    def _pieces(self, rows: int) -> list[tuple[int, int]]:
        """Consecutive row ranges, one per lane for a batch worth splitting."""
        count = len(self._lanes) if rows >= MIN_SPLIT_ROWS else 1
        bounds = [rows * index // count for index in range(count + 1)]
        return list(pairwise(bounds))

    def _on_lanes(
        self, work: Callable[[_Lane, int, int], _T], pieces: list[tuple[int, int]]
    ) -> list[_T]:
        """``work`` on each piece, each on its own lane: the first here, others on threads."""
        others = [
            self._pool.submit(work, lane, low, high)
            for lane, (low, high) in zip(self._lanes[1:], pieces[1:], strict=False)
        ]
        try:
            first = work(self._lanes[0], *pieces[0])
        finally:
            wait(others)
        return [first, *(future.result() for future in others)]


__all__ = ["LANES", "MIN_SPLIT_ROWS", "EventChecks"]
