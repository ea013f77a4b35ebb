"""The bulk validation engine: raw text in, typed accepted rows and reasoned rejections out.

One pass of generated SQL (:mod:`concert.validation.constraints`) over a DuckDB
relation parses every field, decides each row and projects the normalised
values; a second pass over the rejected rows only (usually few) computes the
reason of every failing field. The engine runs on its own in-memory DuckDB
connection (:func:`connect`): it is a processing engine, not the warehouse.

Rows are numbered by their position in the relation (1 = first) unless the
relation carries a ``_row`` column; the generated SQL has no joins, so DuckDB
keeps the relation's order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from concert.domain.models import EntitySpec
from concert.domain.schema import arrow_schema
from concert.validation.constraints import EntitySql, entity_sql, sql_identifier, sql_string
from concert.validation.exceptions import ColumnMismatchError

ROW_COLUMN = "_row"
"""An optional BIGINT column numbering the relation's rows (else: their positions)."""
EXTRA_COLUMN = "_extra"
"""An optional VARCHAR[] column naming keys the record had that the model does not know."""
ERROR_COLUMN = "_error"
"""An optional VARCHAR column: why the record could not be read at all (NULL if it could)."""
WHOLE_RECORD = "_record"
"""The field named by rejections that concern the whole record (a line that does not parse)."""
DEFAULT_CHUNK_ROWS = 2_000_000
_EXTRA_REASON = "Extra inputs are not permitted"
_REJECTION_SCHEMA = pa.schema(
    [
        pa.field("row", pa.int64(), nullable=False),
        pa.field("field", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("value", pa.string()),
    ]
)
_QUARANTINE_SCHEMA = pa.schema(
    [pa.field("row", pa.int64(), nullable=False), pa.field("line", pa.string(), nullable=False)]
)


class TableSlot:
    """An Arrow table that DuckDB re-reads on every run of a prepared statement.

    Registered once, then refilled: a prepared statement binds to the object
    registered when it was prepared, and this object hands DuckDB its current
    ``table`` each time (through the Arrow PyCapsule stream interface).
    """

    def __init__(self, schema: pa.Schema) -> None:
        self.table: pa.Table = schema.empty_table()

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        return self.table.__arrow_c_stream__(requested_schema)


@dataclass(frozen=True, slots=True)
class Lineage:
    """The lineage columns every processed row carries."""

    batch_id: str
    source: str
    ingested_at: datetime


@dataclass(frozen=True, slots=True)
class Rejection:
    """One failing field of one rejected row."""

    row: int
    field: str
    reason: str
    value: str | None = None


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """What validating some rows gave.

    ``accepted`` has exactly ``arrow_schema(spec)``. ``rejections`` has one
    row per failing field (row, field, reason,
    value); ``quarantine`` one JSON line per rejected row with its errors and
    raw values. Every row read is accepted or rejected.
    """

    entity: str
    rows_read: int
    accepted: pa.Table
    rejections: pa.Table
    quarantine: pa.Table

    @property
    def rows_accepted(self) -> int:
        return int(self.accepted.num_rows)

    @property
    def rows_rejected(self) -> int:
        return int(self.quarantine.num_rows)

    def first_rejections(self, limit: int) -> list[Rejection]:
        return rejections_of(self.rejections.slice(0, limit))


def rejections_of(table: pa.Table) -> list[Rejection]:
    return [Rejection(**row) for row in table.to_pylist()]


def empty_rejections() -> pa.Table:
    return _REJECTION_SCHEMA.empty_table()


def empty_quarantine() -> pa.Table:
    return _QUARANTINE_SCHEMA.empty_table()


def connect(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB connection set up for validation (UTC session)."""
    config: dict[str, str | bool | int | float | list[str]] = {}
    if threads is not None:
        config["threads"] = threads
    con = duckdb.connect(":memory:", config=config)
    # The time zone needs ICU, which loads on first use, so it cannot be set in the config.
    con.execute("SET TimeZone = 'UTC'")
    return con


def _first_pass(sql: EntitySql, relation: str, passthrough: list[str]) -> str:
    ok = sql.ok()
    if EXTRA_COLUMN in passthrough:
        ok += f" AND coalesce(len({EXTRA_COLUMN}) = 0, true)"
    if ERROR_COLUMN in passthrough:
        ok += f" AND {ERROR_COLUMN} IS NULL"
    # A list, NULL for valid rows: Arrow then gets one offsets buffer, where a struct
    # would get a column per field even when every row is valid.
    raw_values = ", ".join(f.raw for f in sql.fields)
    outputs = [
        *sql.accepted_columns(),
        "_ok",
        f"CASE WHEN _ok THEN NULL ELSE [{raw_values}] END AS _raw",
        *passthrough,
    ]
    return f"""
        WITH {_parse_stages(sql, relation, passthrough)},
        checked AS (SELECT *, {", ".join(sql.ok_columns())} FROM parsed),
        decided AS (SELECT *, {ok} AS _ok FROM checked)
        SELECT {", ".join(outputs)} FROM decided
    """  # noqa: S608 - generated from the models, values never inlined


def _parse_stages(sql: EntitySql, relation: str, passthrough: list[str]) -> str:
    """CTEs ``raw`` (renamed input), ``helped`` (helper columns) and ``parsed``."""
    helpers = sql.helper_columns()
    return f"""
        raw AS (SELECT {", ".join([*sql.raw_columns(), *passthrough])} FROM {relation}),
        helped AS (SELECT *{"".join(", " + h for h in helpers)} FROM raw),
        parsed AS (SELECT *, {", ".join(sql.parsed_columns())} FROM helped)
    """  # noqa: S608 - generated from the models, values never inlined


def _second_pass(sql: EntitySql, relation: str) -> str:
    errors = ", ".join(
        f"struct_pack(field := {sql_string(name)}, reason := {reason}, "
        f"value := {_raw_of(sql, name)})"
        for name, reason in sql.reasons()
    )
    extra = (
        f"coalesce(list_transform({EXTRA_COLUMN}, lambda k: struct_pack(field := k, "
        f"reason := {sql_string(_EXTRA_REASON)}, value := NULL::VARCHAR)), [])"
    )
    fallback = (
        f"[struct_pack(field := '{WHOLE_RECORD}', reason := 'rejected by the model', "
        "value := NULL::VARCHAR)]"
    )
    raw_struct = ", ".join(
        f"{sql_identifier(f.name)} := _raw[{index}]" for index, f in enumerate(sql.fields, 1)
    )
    restored = f"(SELECT * REPLACE (struct_pack({raw_struct}) AS _raw) FROM {relation})"  # noqa: S608 - generated
    unnested = f"(SELECT *, unnest(_raw) FROM {restored})"  # noqa: S608 - a relation name
    unreadable = (
        f"[struct_pack(field := '{WHOLE_RECORD}', reason := {ERROR_COLUMN}, "
        "value := NULL::VARCHAR)]"
    )
    return f"""
        WITH {_parse_stages(sql, unnested, [ROW_COLUMN, "_raw", EXTRA_COLUMN, ERROR_COLUMN])},
        found AS (
            SELECT {ROW_COLUMN}, _raw,
                CASE WHEN {ERROR_COLUMN} IS NOT NULL THEN {unreadable}
                ELSE list_filter([{errors}], lambda e: e.reason IS NOT NULL) || {extra}
                END AS errors
            FROM parsed
        ),
        reported AS (
            SELECT {ROW_COLUMN}, _raw,
                CASE WHEN len(errors) = 0 THEN {fallback} ELSE errors END AS errors
            FROM found
        )
        SELECT {ROW_COLUMN} AS row, errors,
            to_json(struct_pack(
                row := {ROW_COLUMN},
                errors := list_transform(errors, lambda e: struct_pack(
                    field := e.field, reason := e.reason)),
                record := _raw
            )) AS line
        FROM reported ORDER BY {ROW_COLUMN}
    """  # noqa: S608 - generated from the models, values never inlined


def _raw_of(sql: EntitySql, name: str) -> str:
    known = {f.name: f.raw for f in sql.fields}
    return known.get(name, "NULL::VARCHAR")


def _rejected_schema() -> pa.Schema:
    return pa.schema(
        [
            pa.field(ROW_COLUMN, pa.int64()),
            pa.field("_raw", pa.list_(pa.string())),  # the raw values in field order
            pa.field(EXTRA_COLUMN, pa.list_(pa.string())),
            pa.field(ERROR_COLUMN, pa.string()),
        ]
    )


def _reasons(found: pa.Table) -> tuple[pa.Table, pa.Table]:
    """The second pass's output as (rejections, quarantine lines)."""
    errors = found.column("errors").combine_chunks()
    flat = pc.list_flatten(errors)
    parents = pc.list_parent_indices(errors)
    rejections = pa.table(
        {
            "row": pc.take(found.column("row"), parents),
            "field": flat.field("field"),
            "reason": flat.field("reason"),
            "value": flat.field("value"),
        }
    ).cast(_REJECTION_SCHEMA)
    quarantine = pa.table({"row": found.column("row"), "line": found.column("line")})
    return rejections, quarantine.cast(_QUARANTINE_SCHEMA)


def _lineage_columns(lineage: Lineage, rows: int) -> list[pa.Array]:
    return [
        pa.repeat(pa.scalar(lineage.batch_id, pa.string()), rows),
        pa.repeat(pa.scalar(lineage.source, pa.string()), rows),
        pa.repeat(pa.scalar(lineage.ingested_at, pa.timestamp("us", tz="UTC")), rows),
    ]


@dataclass(frozen=True, slots=True)
class _Chunk:
    table: pa.Table
    first_row: int  # position of the chunk's first row, for positional row numbers


def _batches(reader: pa.RecordBatchReader) -> Iterator[pa.RecordBatch]:
    """The reader's batches; an error DuckDB meets after the first batch (a malformed
    CSV line far into a file) reaches Arrow's reader as an OSError, and is a DuckDB
    error again here."""
    try:
        yield from reader
    except OSError as exc:
        raise duckdb.Error(str(exc)) from exc


def _chunks(reader: pa.RecordBatchReader, chunk_rows: int) -> Iterator[_Chunk]:
    batches: list[pa.RecordBatch] = []
    buffered = 0
    seen = 0
    for batch in _batches(reader):
        batches.append(batch)
        buffered += batch.num_rows
        if buffered >= chunk_rows:
            yield _Chunk(pa.Table.from_batches(batches), seen)
            seen += buffered
            batches, buffered = [], 0
    if batches or seen == 0:
        yield _Chunk(pa.Table.from_batches(batches, reader.schema), seen)


class Validator:
    """The validation of one relation name on one connection, planned once.

    Planning the generated SQL costs about as much as validating 10,000 rows,
    so callers that validate many small batches (the stream consumer) build a
    ``Validator(..., prepare=True)`` once and re-register their batch under the
    same name before each :meth:`validate`.

    ``relation`` is SQL usable after FROM in ``con``: VARCHAR columns named like
    the fields (lists and maps as JSON text), optionally ``_row``, ``_extra``
    and ``_error`` (see the constants).
    """

    _prepared = 0

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        spec: EntitySpec,
        relation: str,
        *,
        prepare: bool = False,
    ) -> None:
        self.con = con
        self.spec = spec
        self.sql = entity_sql(spec.name)
        self.schema = arrow_schema(spec)
        columns = con.sql(f"SELECT * FROM {relation} LIMIT 0").columns  # noqa: S608
        missing = [f.name for f in self.sql.fields if f.name not in columns]
        if missing:
            raise ColumnMismatchError(
                f"missing column {missing[0]!r}; expected columns: {', '.join(spec.fields)}",
                column=missing[0],
            )
        passthrough = [c for c in (ROW_COLUMN, EXTRA_COLUMN, ERROR_COLUMN) if c in columns]
        self.query = _first_pass(self.sql, relation, passthrough)
        Validator._prepared += 1
        name = f"_validate_{spec.name}_{Validator._prepared}"
        self._rejected = TableSlot(_rejected_schema())
        self._prepare = prepare
        self._reasons_con: duckdb.DuckDBPyConnection | None = None
        self.reasons_query = _second_pass(self.sql, "_rejected")
        if prepare:
            con.execute(f"PREPARE {name} AS {self.query}")
            self.query = f"EXECUTE {name}"

    def close(self) -> None:
        """Release the reasons connection (the caller owns ``con``)."""
        if self._reasons_con is not None:
            self._reasons_con.close()

    def _reasons_connection(self) -> duckdb.DuckDBPyConnection:
        """The reasons run while the first pass still streams: on a connection of their own,
        opened on the first rejection (a clean file never pays for it)."""
        if self._reasons_con is None:
            self._reasons_con = connect(threads=1)
            self._reasons_con.register("_rejected", self._rejected)
            if self._prepare:
                self._reasons_con.execute(f"PREPARE _reasons AS {self.reasons_query}")
                self.reasons_query = "EXECUTE _reasons"
        return self._reasons_con

    def _reasons(self, rejected: pa.Table) -> tuple[pa.Table, pa.Table]:
        self._rejected.table = rejected.cast(self._rejected.table.schema)
        connection = self._reasons_connection()
        return _reasons(connection.sql(self.reasons_query).to_arrow_table())

    def iter(
        self,
        lineage: Lineage,
        *,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        row_map: pa.Array | None = None,
    ) -> Iterator[ValidationResult]:
        """Validate in chunks of about ``chunk_rows`` rows (bounded memory).

        ``row_map`` gives the row number of each position when rows are neither
        numbered (``_row``) nor consecutive.
        """
        reader = self.con.sql(self.query).to_arrow_reader(batch_size=min(chunk_rows, 1_000_000))
        for chunk in _chunks(reader, chunk_rows):
            yield self._validate_chunk(lineage, chunk, row_map)

    def _validate_chunk(
        self, lineage: Lineage, chunk: _Chunk, row_map: pa.Array | None
    ) -> ValidationResult:
        table = chunk.table
        ok = table.column("_ok")
        bad = pc.invert(ok)
        rejected_count = pc.sum(bad).as_py() or 0
        if rejected_count:
            accepted = table.filter(ok)
            positions = pc.add(pc.indices_nonzero(bad), chunk.first_row)
            if ROW_COLUMN in table.column_names:
                rows = table.column(ROW_COLUMN).filter(bad)
            elif row_map is not None:
                rows = pc.take(row_map, positions)
            else:
                rows = pc.add(positions, 1)
            rejected = pa.table(
                {
                    ROW_COLUMN: pc.cast(rows, pa.int64()),
                    "_raw": table.column("_raw").filter(bad),
                    EXTRA_COLUMN: _column_or_nulls(table, EXTRA_COLUMN, bad, pa.list_(pa.string())),
                    ERROR_COLUMN: _column_or_nulls(table, ERROR_COLUMN, bad, pa.string()),
                }
            )
            rejections, quarantine = self._reasons(rejected)
        else:
            accepted = table
            rejections, quarantine = empty_rejections(), empty_quarantine()
        names = [f.name for f in self.sql.fields]
        columns = [accepted.column(name) for name in names]
        columns += _lineage_columns(lineage, accepted.num_rows)
        typed = pa.Table.from_arrays(columns, names=self.schema.names).cast(self.schema)
        return ValidationResult(
            entity=self.spec.name,
            rows_read=table.num_rows,
            accepted=typed,
            rejections=rejections,
            quarantine=quarantine,
        )

    def validate(self, lineage: Lineage) -> ValidationResult:
        """Validate the whole relation at once."""
        (result,) = self.iter(lineage, chunk_rows=2**62)
        return result


def iter_validated(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    spec: EntitySpec,
    lineage: Lineage,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    row_map: pa.Array | None = None,
) -> Iterator[ValidationResult]:
    """Validate ``relation`` in chunks (see :class:`Validator`)."""
    validator = Validator(con, spec, relation)
    try:
        yield from validator.iter(lineage, chunk_rows=chunk_rows, row_map=row_map)
    finally:
        validator.close()


def _column_or_nulls(
    table: pa.Table, name: str, mask: pa.ChunkedArray, kind: pa.DataType
) -> pa.ChunkedArray | pa.Array:
    if name in table.column_names:
        return table.column(name).filter(mask)
    return pa.nulls(pc.sum(mask).as_py() or 0, kind)


def validate_relation(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    spec: EntitySpec,
    lineage: Lineage,
) -> ValidationResult:
    """Validate the whole relation at once (see :class:`Validator`)."""
    validator = Validator(con, spec, relation)
    try:
        return validator.validate(lineage)
    finally:
        validator.close()


def validate_table(
    table: pa.Table, spec: EntitySpec, lineage: Lineage, *, threads: int | None = None
) -> ValidationResult:
    """Validate an Arrow table of raw text (string columns named like the fields)."""
    con = connect(threads)
    try:
        con.register("_input", table)
        return validate_relation(con, "_input", spec, lineage)
    finally:
        con.close()


__all__ = [
    "ERROR_COLUMN",
    "EXTRA_COLUMN",
    "ROW_COLUMN",
    "WHOLE_RECORD",
    "Lineage",
    "Rejection",
    "TableSlot",
    "ValidationResult",
    "Validator",
    "connect",
    "empty_quarantine",
    "empty_rejections",
    "iter_validated",
    "rejections_of",
    "validate_relation",
    "validate_table",
]
