"""The ``raw_<entity>`` tables: CREATE TABLE statements generated from the Arrow schemas.

The processed Parquet files are loaded into these tables by position, so the
columns are exactly ``arrow_schema(spec)``: the model's fields, then lineage.
The DDL is written in DuckDB's dialect like every other statement, and the
Redshift adapter translates it with sqlglot. Scalars translate one to one
(VARCHAR becomes VARCHAR(MAX), DOUBLE becomes DOUBLE PRECISION, TIMESTAMPTZ
stays). Lists and maps do not: sqlglot would write ``VARCHAR(MAX)[]`` and
``MAP<...>``, which Redshift has no column type for, so for Redshift the
generator writes ``SUPER`` (Redshift's semi-structured type, which COPY fills
from nested Parquet) and sqlglot passes that through unchanged.
"""

from __future__ import annotations

import pyarrow as pa

from concert.domain import ENTITIES, EntitySpec, entity_spec
from concert.domain.schema import arrow_schema
from concert.warehouse.exceptions import RawTableMismatchError
from foundation.warehouse import Warehouse

#: The backend whose SQL has no list or map type; nested columns become SUPER there.
SUPER_BACKEND = "redshift"

_SCALAR_TYPES: dict[pa.DataType, str] = {
    pa.string(): "VARCHAR",
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE",
    pa.bool_(): "BOOLEAN",
    pa.date32(): "DATE",
    pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ",
    pa.timestamp("us"): "TIMESTAMP",
}

_COLUMNS = (
    "SELECT column_name FROM information_schema.columns "
    "WHERE table_catalog = current_database() "
    "AND lower(table_schema) = lower($schema) AND lower(table_name) = lower($table) "
    "ORDER BY ordinal_position"
)


def raw_table_name(entity: str) -> str:
    """The warehouse table that holds an entity's processed rows as loaded."""
    return f"raw_{entity_spec(entity).name}"


def sql_type(data_type: pa.DataType, *, backend: str = "duckdb") -> str:
    """The DuckDB-dialect column type for an Arrow type (``SUPER`` for nested on Redshift)."""
    nested = pa.types.is_list(data_type) or pa.types.is_map(data_type)
    if nested and backend == SUPER_BACKEND:
        return "SUPER"
    if pa.types.is_list(data_type):
        return f"{sql_type(data_type.value_type)}[]"
    if pa.types.is_map(data_type):
        return f"MAP({sql_type(data_type.key_type)}, {sql_type(data_type.item_type)})"
    try:
        return _SCALAR_TYPES[data_type]
    except KeyError:
        raise TypeError(f"no SQL column type for Arrow type {data_type}") from None


def raw_table_ddl(spec: EntitySpec, *, backend: str = "duckdb") -> str:
    """``CREATE TABLE IF NOT EXISTS raw_<entity> (...)`` with the processed-zone columns."""
    columns = [
        f"    {field.name} {sql_type(field.type, backend=backend)}"
        + ("" if field.nullable else " NOT NULL")
        for field in arrow_schema(spec)
    ]
    body = ",\n".join(columns)
    return f"CREATE TABLE IF NOT EXISTS {raw_table_name(spec.name)} (\n{body}\n)"


def create_raw_tables(warehouse: Warehouse, entities: list[str] | None = None) -> list[str]:
    """Create the missing ``raw_<entity>`` tables and check the existing ones; returns their names.

    An existing table whose columns differ from the Arrow schema (a field was
    added to a model since it was created) raises :class:`RawTableMismatchError`:
    loading by position into it would put values in the wrong columns.
    """
    names = []
    for entity in entities or list(ENTITIES):
        spec = entity_spec(entity)
        table = raw_table_name(entity)
        warehouse.execute(raw_table_ddl(spec, backend=warehouse.backend))
        _check_columns(warehouse, table, arrow_schema(spec).names)
        names.append(table)
    return names


def _check_columns(warehouse: Warehouse, table: str, expected: list[str]) -> None:
    found = warehouse.query(_COLUMNS, {"schema": warehouse.default_schema, "table": table})
    actual = [str(name).lower() for name in found.column("column_name").to_pylist()]
    if actual == expected:
        return
    missing = [name for name in expected if name not in actual]
    extra = [name for name in actual if name not in expected]
    problems = []
    if missing:
        problems.append(f"lacks column(s) {', '.join(missing)}")
    if extra:
        problems.append(f"has unexpected column(s) {', '.join(extra)}")
    if not problems:
        problems.append(f"has its columns in another order: {', '.join(actual)}")
    raise RawTableMismatchError(
        f"table {table} {' and '.join(problems)}; expected {', '.join(expected)}. "
        f"Drop it and reload the processed zone to rebuild it from the current schema.",
        table=table,
    )


__all__ = ["create_raw_tables", "raw_table_ddl", "raw_table_name", "sql_type"]
